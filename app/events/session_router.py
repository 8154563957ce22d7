"""HTTP routes of sessions: an event's own (`/events/{event}/sessions`) and the agenda across events."""

from fastapi import APIRouter, Request, Response

from app.core.db import SessionDep
from app.core.errors import error_responses
from app.core.schemas import Page, merge_patch
from app.crud.conditional import ItemRoute, created
from app.events import sessions
from app.events.dependencies import AnySessionItem, EventDep, SessionItem
from app.events.session_schemas import SessionCreate, SessionRead, SessionUpdate
from app.events.sessions import EventSessionFilters, SessionFilters
from app.lists.fast import fast_list
from app.lists.params import LIST_EXPORTS
from app.lists.query import QueryModel
from app.models import EventSession

router = APIRouter(route_class=ItemRoute, tags=["sessions"])


@router.get("/sessions", response_model=Page[SessionRead], responses={**LIST_EXPORTS, **error_responses(400, 422)})
@fast_list(sessions.SESSIONS)
async def list_sessions(request: Request, params: QueryModel[SessionFilters]) -> Response:
    """The agenda: sessions across events in time order, with the event list's filters applied to their events."""
    return await sessions.SESSIONS.respond(request, params)


@router.get("/sessions/{session_id}", response_model=SessionRead, responses=error_responses(404))
async def find_session(row: AnySessionItem) -> EventSession:
    """Read one session by its id alone (as the agenda lists it); its event's sessions are under the event."""
    return row


@router.get(
    "/events/{event}/sessions",
    response_model=Page[SessionRead],
    responses={**LIST_EXPORTS, **error_responses(400, 404, 422)},
)
async def list_event_sessions(request: Request, event: EventDep, params: QueryModel[EventSessionFilters]) -> Response:
    """An event's sessions, in time order."""
    return await sessions.EVENT_SESSIONS.respond(request, params, within={"event_id": event.id})


@router.post(
    "/events/{event}/sessions", status_code=201, response_model=SessionRead, responses=error_responses(404, 409, 422)
)
async def create_session(
    session: SessionDep, request: Request, response: Response, event: EventDep, body: SessionCreate
) -> EventSession:
    """Add a session to an event; the event's dates become the span of its sessions."""
    row = await sessions.create_session(session, event, body)
    created(request, response, row, "get_session", event=str(event.id), session_id=str(row.id))
    return row


@router.get("/events/{event}/sessions/{session_id}", response_model=SessionRead, responses=error_responses(404))
async def get_session(row: SessionItem) -> EventSession:
    """Read one session of an event."""
    return row


@router.patch(
    "/events/{event}/sessions/{session_id}", response_model=SessionRead, responses=error_responses(404, 409, 412, 422)
)
async def update_session(
    session: SessionDep,
    event: EventDep,
    row: SessionItem,
    body: SessionUpdate,  # type: ignore[valid-type]
) -> EventSession:
    """Change some fields of a session (JSON merge patch); `status: cancelled` cancels it alone."""
    return await sessions.replace_session(session, event, row, merge_patch(SessionCreate, row, body))


@router.put(
    "/events/{event}/sessions/{session_id}", response_model=SessionRead, responses=error_responses(404, 409, 412, 422)
)
async def replace_session(session: SessionDep, event: EventDep, row: SessionItem, body: SessionCreate) -> EventSession:
    """Replace a session's times and status."""
    return await sessions.replace_session(session, event, row, body)


@router.delete("/events/{event}/sessions/{session_id}", status_code=204, responses=error_responses(404, 409, 412))
async def delete_session(session: SessionDep, event: EventDep, row: SessionItem) -> None:
    """Remove a session; an event's last one stays (409): delete the event instead."""
    await sessions.delete_session(session, event, row)
