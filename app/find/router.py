"""`GET /search`: one search across the registry."""

from fastapi import APIRouter

from app.auth.dependencies import CallerDep
from app.core.db import SessionDep
from app.core.errors import error_responses
from app.find import service
from app.find.schemas import SearchParams, SearchResults
from app.lists.query import QueryModel

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResults, responses=error_responses(400, 422))
async def search(session: SessionDep, caller: CallerDep, params: QueryModel[SearchParams]) -> SearchResults:
    """Labs, projects, events and organizations that `q` finds, best first, with counts by kind, region and
    theme (published items only)."""
    return await service.search(session, params, caller)
