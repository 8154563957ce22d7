"""Read-only reference data: regions, themes, event formats."""

from collections.abc import Sequence

from fastapi import APIRouter

from app.core.db import SessionDep
from app.core.errors import error_responses
from app.models import EventFormat, Region, Theme
from app.reference import service
from app.reference.schemas import EventFormatRead, RegionRead, ThemeRead

router = APIRouter(tags=["reference"])


@router.get("/regions", response_model=list[RegionRead])
async def list_regions(session: SessionDep) -> Sequence[Region]:
    """The 18 French regions by INSEE code, with their time zones."""
    return await service.list_regions(session)


@router.get("/regions/{code}", response_model=RegionRead, responses=error_responses(404))
async def get_region(session: SessionDep, code: str) -> Region:
    """One region, by INSEE code (`53`) or name (`bretagne`)."""
    return await service.get_region(session, code)


@router.get("/themes", response_model=list[ThemeRead])
async def list_themes(session: SessionDep) -> Sequence[Theme]:
    """The themes events and projects are classified by."""
    return await service.list_themes(session)


@router.get("/themes/{code}", response_model=ThemeRead, responses=error_responses(404))
async def get_theme(session: SessionDep, code: str) -> Theme:
    """One theme, by code in any case and with or without accents."""
    return await service.get_theme(session, code)


@router.get("/event-formats", response_model=list[EventFormatRead])
async def list_event_formats(session: SessionDep) -> Sequence[EventFormat]:
    """The formats events are held in; a training session is a `formation`."""
    return await service.list_event_formats(session)
