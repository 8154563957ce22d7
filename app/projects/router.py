"""HTTP routes of projects."""

from fastapi import APIRouter

router = APIRouter()
