"""HTTP routes of events, and the event lists nested under a lab and a campaign."""

from collections.abc import Sequence
from functools import partial

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from app.auth.dependencies import CallerDep
from app.campaigns.dependencies import CampaignDep
from app.core.db import SessionDep
from app.core.errors import error_responses
from app.core.schemas import Page, merge_patch
from app.crud.conditional import ItemRoute, created
from app.events import service
from app.events.calendar import ICS_MEDIA_TYPE, ics_chunks
from app.events.dependencies import EventDep, EventItem
from app.events.schemas import EventCreate, EventFilters, EventRead, EventUpdate
from app.exports import outputs
from app.labs.dependencies import LabDep
from app.lists.export import streamed
from app.lists.fast import fast_list
from app.lists.params import LIST_EXPORTS
from app.lists.query import QueryModel
from app.models import Event, PublicationChange
from app.publication import service as publication
from app.publication.schemas import PublicationChangeRead

router = APIRouter(route_class=ItemRoute, tags=["events"])


@router.get("/events", response_model=Page[EventRead], responses={**LIST_EXPORTS, **error_responses(400, 422)})
@fast_list(service.EVENTS)
async def list_events(request: Request, params: QueryModel[EventFilters]) -> Response:
    """List events, filtered and keyset-paginated, by start time unless sorted otherwise."""
    return await service.EVENTS.respond(request, params)


@router.get(
    "/events.ics",
    response_class=StreamingResponse,
    responses={**outputs.only("ics"), **error_responses(400, 422)},
)
async def events_calendar(request: Request, caller: CallerDep, params: QueryModel[EventFilters]) -> Response:
    """The matching events as an iCalendar feed (one per lab, theme, campaign or region); paging does not apply.

    A filter that names no lab, organizer, project, campaign, theme or format is 422.
    """
    chunks = partial(ics_chunks, params=params, caller=caller)
    return await streamed(request, chunks, ICS_MEDIA_TYPE, 'inline; filename="events.ics"')


@router.post("/events", status_code=201, response_model=EventRead, responses=error_responses(409, 422))
async def create_event(session: SessionDep, request: Request, response: Response, body: EventCreate) -> Event:
    """Create an event; times without an offset are read in its time zone (by default its region's). An event in
    a campaign lies within the campaign's dates (422 naming both)."""
    event = await service.create_event(session, body)
    created(request, response, event, "get_event", event=str(event.id))
    return event


@router.get("/events/{event}", response_model=EventRead, responses=error_responses(404))
async def get_event(event: EventItem) -> Event:
    """Read one event, by id."""
    return event


@router.get(
    "/events/{event}/publication-history", response_model=list[PublicationChangeRead], responses=error_responses(404)
)
async def event_publication_history(session: SessionDep, event: EventDep) -> Sequence[PublicationChange]:
    """Every move of the event's publication, oldest first: from, to, when, by whom, and why."""
    return await publication.history(session, service.SPEC.entity_type, event.id)


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
async def list_lab_events(request: Request, lab: LabDep, params: QueryModel[EventFilters]) -> Response:
    """List the events a lab holds, with the filters of the event list."""
    return await service.EVENTS.respond(request, params, within={"lab_id": lab.id})


@router.get(
    "/campaigns/{campaign}/events",
    response_model=Page[EventRead],
    responses={**LIST_EXPORTS, **error_responses(400, 404, 422)},
)
async def list_campaign_events(request: Request, campaign: CampaignDep, params: QueryModel[EventFilters]) -> Response:
    """List the events of a campaign, with the filters of the event list."""
    return await service.EVENTS.respond(request, params, within={"campaign_id": campaign.id})
