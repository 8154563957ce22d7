"""Read-only reference data: regions, themes, event formats."""

from fastapi import APIRouter, Request, Response

from app.core.db import SessionDep, read_connection
from app.core.errors import error_responses
from app.core.listing import PageParams, page_answer
from app.core.query import QueryModel
from app.core.schemas import Page
from app.models import EventFormat, Region, Theme
from app.reference import service
from app.reference.schemas import EventFormatRead, RegionRead, ThemeRead

router = APIRouter(tags=["reference"])


@router.get("/regions", response_model=Page[RegionRead], responses=error_responses(400, 422))
async def list_regions(session: SessionDep, request: Request, params: QueryModel[PageParams]) -> Response:
    """The 18 French regions by INSEE code, with their time zones; keyset-paginated like every list."""
    return page_answer(request, RegionRead, await service.list_page(await read_connection(session), Region, params))


@router.get("/regions/{code}", response_model=RegionRead, responses=error_responses(404))
async def get_region(session: SessionDep, code: str) -> Region:
    """One region, by INSEE code (`53`) or name (`bretagne`)."""
    return await service.get_region(session, code)


@router.get("/themes", response_model=Page[ThemeRead], responses=error_responses(400, 422))
async def list_themes(session: SessionDep, request: Request, params: QueryModel[PageParams]) -> Response:
    """The themes events and projects are classified by, by code; keyset-paginated like every list."""
    return page_answer(request, ThemeRead, await service.list_page(await read_connection(session), Theme, params))


@router.get("/themes/{code}", response_model=ThemeRead, responses=error_responses(404))
async def get_theme(session: SessionDep, code: str) -> Theme:
    """One theme, by code in any case and with or without accents."""
    return await service.get_theme(session, code)


@router.get("/event-formats", response_model=Page[EventFormatRead], responses=error_responses(400, 422))
async def list_event_formats(session: SessionDep, request: Request, params: QueryModel[PageParams]) -> Response:
    """The formats events are held in (a training session is a `formation`), by code; keyset-paginated like every
    list."""
    return page_answer(
        request, EventFormatRead, await service.list_page(await read_connection(session), EventFormat, params)
    )
