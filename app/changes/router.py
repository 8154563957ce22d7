"""The change feed (a read: public unless reads need a key)."""

from fastapi import APIRouter, Request, Response

from app.auth.dependencies import CallerDep
from app.changes import service
from app.changes.schemas import ChangeFilters, ChangePage
from app.core.db import SessionDep
from app.core.errors import error_responses
from app.core.urls import this_url_with
from app.lists.query import QueryModel

router = APIRouter(prefix="/changes", tags=["changes"])


@router.get("", response_model=ChangePage, responses=error_responses(400, 403, 422))
async def list_changes(
    session: SessionDep, request: Request, caller: CallerDep, params: QueryModel[ChangeFilters]
) -> Response:
    """Every create, update and delete in commit order, imports included, as published rows show them (a draft
    becoming public is a `publish`); poll with `since=<next_cursor>`."""
    items, cursor, full = await service.list_changes(session, params, caller)
    body = ChangePage.model_validate({"items": items, "next_cursor": cursor})
    headers = {}
    if full:
        headers["Link"] = f'<{this_url_with(request, since=cursor)}>; rel="next"'
    return Response(body.model_dump_json(), media_type="application/json", headers=headers)
