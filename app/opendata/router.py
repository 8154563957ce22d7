"""HTTP route of the Data Package descriptor."""

from typing import Any

from fastapi import APIRouter, Request

from app.core.urls import public_url
from app.opendata.package import descriptor

router = APIRouter(tags=["opendata"])


@router.get("/datapackage.json")
async def get_datapackage(request: Request) -> dict[str, Any]:
    """A Frictionless Data Package describing every list export: fields, types, constraints, primary and foreign
    keys, and the licence (Licence Ouverte 2.0). Saved beside the CSV exports (`?output=csv`, under their
    download names), `frictionless validate datapackage.json` checks them."""
    api = request.url.path.removesuffix("/datapackage.json")
    return descriptor(public_url(request, api))
