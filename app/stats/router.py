"""HTTP routes of statistics."""

from fastapi import APIRouter

router = APIRouter()
