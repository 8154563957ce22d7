"""HTTP routes of funding."""

from fastapi import APIRouter

router = APIRouter()
