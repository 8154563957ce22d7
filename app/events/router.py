"""HTTP routes of events."""

from fastapi import APIRouter

router = APIRouter()
