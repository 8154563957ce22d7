"""HTTP routes of events, and the event lists nested under a lab and a campaign."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from app.campaigns.dependencies import CampaignDep
from app.core.concurrency import ItemRoute
from app.core.db import SessionDep, read_connection
from app.core.direct import direct_list
from app.core.errors import error_responses
from app.core.listing import page_response
from app.core.query import QueryModel
from app.core.schemas import LIST_EXPORTS, Page, merge_patch
from app.events import service
from app.events.dependencies import EventItem
from app.events.schemas import EventCreate, EventFilters, EventRead, EventUpdate
from app.exports.calendar import ICS_MEDIA_TYPE, feed_name, ics_chunks
from app.exports.lists import in_own_session
from app.labs.dependencies import LabDep
from app.models import Event

router = APIRouter(route_class=ItemRoute, tags=["events"])


@router.get("/events", response_model=Page[EventRead], responses={**LIST_EXPORTS, **error_responses(400, 422)})
@direct_list(EventRead, service.list_events)
async def list_events(session: SessionDep, request: Request, params: QueryModel[EventFilters]) -> Response:
    """List events, filtered and keyset-paginated, by start time unless sorted otherwise."""
    return page_response(request, EventRead, await service.list_events(await read_connection(session), params))


@router.get(
    "/events.ics",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/calendar": {"schema": {"type": "string"}}}}, **error_responses(400, 422)},
)
async def events_calendar(session: SessionDep, request: Request, params: QueryModel[EventFilters]) -> StreamingResponse:
    """The matching events as an iCalendar feed (one per lab, theme, campaign or region); paging does not apply.

    A filter that names no lab, organizer, project, campaign, theme or format is 422.
    """
    name = await feed_name(await read_connection(session), params)
    return StreamingResponse(
        in_own_session(request.app.state.sessionmaker, lambda own: ics_chunks(own, params, name)),
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": 'inline; filename="events.ics"'},
    )


@router.post("/events", status_code=201, response_model=EventRead, responses=error_responses(409, 422))
async def create_event(session: SessionDep, request: Request, response: Response, body: EventCreate) -> Event:
    """Create an event; times without an offset are read in its time zone (by default its region's)."""
    event = await service.create_event(session, body)
    response.headers["Location"] = str(request.url_for("get_event", event=str(event.id)))
    return event


@router.get("/events/{event}", response_model=EventRead, responses=error_responses(404))
async def get_event(event: EventItem) -> Event:
    """Read one event, by id."""
    return event


@router.patch("/events/{event}", response_model=EventRead, responses=error_responses(404, 409, 422))
async def update_event(session: SessionDep, event: EventItem, body: EventUpdate) -> Event:  # type: ignore[valid-type]
    """Change some fields of an event (JSON merge patch: `null` clears a field)."""
    return await service.replace_event(session, event, merge_patch(EventCreate, event, body))


@router.put("/events/{event}", response_model=EventRead, responses=error_responses(404, 409, 422))
async def replace_event(session: SessionDep, event: EventItem, body: EventCreate) -> Event:
    """Replace an event with a full representation; omitted optional fields are cleared or defaulted again."""
    return await service.replace_event(session, event, body)


@router.delete("/events/{event}", status_code=204, responses=error_responses(404))
async def delete_event(session: SessionDep, event: EventItem) -> None:
    """Delete an event."""
    await service.delete_event(session, event)


@router.get(
    "/labs/{lab}/events", response_model=Page[EventRead], responses={**LIST_EXPORTS, **error_responses(400, 404, 422)}
)
async def list_lab_events(
    session: SessionDep, request: Request, lab: LabDep, params: QueryModel[EventFilters]
) -> Response:
    """List the events a lab holds, with the filters of the event list."""
    return page_response(request, EventRead, await service.list_events(await read_connection(session), params, lab=lab))


@router.get(
    "/campaigns/{campaign}/events",
    response_model=Page[EventRead],
    responses={**LIST_EXPORTS, **error_responses(400, 404, 422)},
)
async def list_campaign_events(
    session: SessionDep, request: Request, campaign: CampaignDep, params: QueryModel[EventFilters]
) -> Response:
    """List the events of a campaign, with the filters of the event list."""
    return page_response(
        request, EventRead, await service.list_events(await read_connection(session), params, campaign=campaign)
    )
