"""HTTP routes of organizations."""

from fastapi import APIRouter

router = APIRouter()
