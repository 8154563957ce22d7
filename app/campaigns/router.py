"""HTTP routes of campaigns."""

from fastapi import APIRouter

router = APIRouter()
