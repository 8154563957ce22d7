"""Read-only reference data: regions, themes, event formats."""

from fastapi import APIRouter, Request, Response

from app.core.db import SessionDep
from app.core.errors import error_responses
from app.core.schemas import Page
from app.lists.query import QueryModel
from app.models import Region, Theme
from app.reference import service
from app.reference.schemas import EventFormatRead, ReferenceParams, RegionRead, ThemeRead

router = APIRouter(tags=["reference"])


@router.get("/regions", response_model=Page[RegionRead], responses=error_responses(400, 422))
async def list_regions(request: Request, params: QueryModel[ReferenceParams]) -> Response:
    """The 18 French regions by INSEE code, with their time zones; keyset-paginated like every list."""
    return await service.REGIONS.respond(request, params)


@router.get("/regions/{code}", response_model=RegionRead, responses=error_responses(404))
async def get_region(session: SessionDep, code: str) -> Region:
    """One region, by INSEE code (`53`) or name (`bretagne`)."""
    return await service.get_region(session, code)


@router.get("/themes", response_model=Page[ThemeRead], responses=error_responses(400, 422))
async def list_themes(request: Request, params: QueryModel[ReferenceParams]) -> Response:
    """The themes events and projects are classified by, by code; keyset-paginated like every list."""
    return await service.THEMES.respond(request, params)


@router.get("/themes/{code}", response_model=ThemeRead, responses=error_responses(404))
async def get_theme(session: SessionDep, code: str) -> Theme:
    """One theme, by code in any case and with or without accents."""
    return await service.get_theme(session, code)


@router.get("/event-formats", response_model=Page[EventFormatRead], responses=error_responses(400, 422))
async def list_event_formats(request: Request, params: QueryModel[ReferenceParams]) -> Response:
    """The formats events are held in (a training session is a `formation`), by code; keyset-paginated like every
    list."""
    return await service.EVENT_FORMATS.respond(request, params)
