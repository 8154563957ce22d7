"""Use cases of sessions: one event's sessions as a sub-resource, and the agenda of sessions across events.

The agenda takes every filter of the event list, applied to each session's event (`app.lists.filters.through`),
and what a caller may see of events (a draft's sessions exist only for those who see the draft); its own
`starts_after`, `starts_before`, `status` and `updated_since` apply to the session itself.
"""

import operator
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app import crud
from app.campaigns import rules as campaign_rules
from app.core.errors import Conflict, FieldError, InvalidInput, NotFound
from app.core.security import Caller
from app.events import rules, session_rules, session_store
from app.events import service as events
from app.events.schemas import EventFilters
from app.events.session_schemas import SessionCreate, SessionRead, SessionStatus
from app.lists.filters import Given, compare, given_through, reference, through
from app.lists.listing import Listing
from app.lists.params import ListParams
from app.models import Campaign, Event, EventSession
from app.publication import service as publication

SPEC = session_store.SPEC
OWN = frozenset({"starts_after", "starts_before", "status", "updated_since"})
"""Filters of the event list that the agenda applies to the session rather than to its event."""


class SessionFilters(EventFilters):
    """The filters of the event list, each applied to the session's event; `starts_after`, `starts_before`,
    `status` and `updated_since` apply to the session itself."""

    event: str | None = Field(default=None, max_length=200, description="Event id or external_id.")
    status: SessionStatus | None = None  # type: ignore[assignment]
    sort: Literal["starts_at", "-starts_at", "created_at", "-created_at", "updated_at", "-updated_at"] = "starts_at"


class EventSessionFilters(ListParams):
    """Filters of one event's sessions."""

    status: SessionStatus | None = None
    sort: Literal["starts_at", "-starts_at"] = "starts_at"


_column = SPEC.column
_events = events.SPEC.table
_own = (
    compare("status", _column("status")),
    compare("updated_since", _column("updated_at"), operator.ge),
)
_window = (
    compare("starts_after", _column("starts_at"), operator.ge, events.paris_instant("starts_after")),
    compare("starts_before", _column("starts_at"), operator.lt, events.paris_instant("starts_before")),
)


def _visible(caller: Caller, params: Any) -> Given:
    """The sessions of the events the caller may see (app.publication.visibility)."""
    assert events.EVENTS.visibility is not None
    return given_through(events.EVENTS.visibility(caller, params), _column("event_id"), _events)


SESSIONS = Listing(
    "sessions",
    SPEC.table,
    SessionRead,
    SessionFilters,
    visibility=_visible,
    filters=(
        *(through(found, _column("event_id"), _events) for found in events.EVENTS.filters if found.param not in OWN),
        *_own,
        *_window,
        reference("event", _column("event_id"), Event, one=True),
    ),
)
EVENT_SESSIONS = Listing("event-sessions", SPEC.table, SessionRead, EventSessionFilters, filters=(*_own[:1], *_window))
"""One event's sessions: the event's loader already decided whether the caller sees it."""


async def get_session(session: AsyncSession, event: Event, ident: str) -> EventSession:
    """A session of this event only: the same id under another event is not found."""
    stmt = select(EventSession).where(crud.identity_clause(SPEC, ident), col(EventSession.event_id) == event.id)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No session '{ident}' in event '{event.id}'.")
    return found


async def find_session(session: AsyncSession, ident: str) -> EventSession:
    """A session by id, when the caller may see its event (see app.publication.visibility); else 404."""
    row = await crud.get(session, SPEC, ident)
    publication.visible_or_404(session, await session.get(Event, row.event_id), SPEC.noun, ident)
    return row


async def _placed(session: AsyncSession, event: Event, data: SessionCreate, current: EventSession | None) -> Any:
    """The session's values in UTC, refused (422, located in the body) when it overlaps another of the event."""
    zone = ZoneInfo(event.timezone)
    values = session_rules.placed(data.model_dump(), zone, ["body"])
    others = [crud.values_of(row) for row in await session_store.of_event(session, event.id) if row is not current]
    found = session_rules.overlap([values, *others])
    if found is not None:
        other = others[(found[1] if found[0] == 0 else found[0]) - 1]
        message = session_rules.overlap_message(other, zone)
        raise InvalidInput([FieldError(loc=["body", "starts_at"], msg=message, type="sessions_overlap")])
    return values


async def campaign_refusal(
    session: AsyncSession, campaign_id: uuid.UUID | None, zone: ZoneInfo, held: Sequence[Mapping[str, Any]]
) -> str | None:
    """Why sessions of an event in a campaign cannot be held: one lies outside the campaign's dates
    (`app.campaigns.rules.campaign_refusal`)."""
    campaign = await session.get(Campaign, campaign_id) if campaign_id is not None else None
    if campaign is None:
        return None
    spans = [(row["starts_at"], row["ends_at"]) for row in held]
    return campaign_rules.campaign_refusal(spans, zone, campaign.slug, campaign.starts_on, campaign.ends_on)


async def follow(session: AsyncSession, event: Event) -> None:
    """The event's dates follow its sessions (their span), with its local start day; each session within the
    event's campaign."""
    held = [crud.values_of(row) for row in await session_store.of_event(session, event.id)]
    refusal = await campaign_refusal(session, event.campaign_id, ZoneInfo(event.timezone), held)
    if refusal is not None:
        raise InvalidInput([FieldError(loc=["body", "starts_at"], msg=refusal, type="outside_campaign")])
    dates = session_rules.span(held)
    placed = rules.placed_in_time({**crud.values_of(event), **dates}, None)
    await crud.update(session, events.SPEC, event, {name: placed[name] for name in (*dates, "local_start_date")})


async def create_session(session: AsyncSession, event: Event, data: SessionCreate) -> EventSession:
    values = await _placed(session, event, data, None)
    row = await crud.insert(session, SPEC, {**values, "event_id": event.id})
    await follow(session, event)
    return row


async def replace_session(session: AsyncSession, event: Event, row: EventSession, data: SessionCreate) -> EventSession:
    values = await _placed(session, event, data, row)
    await crud.update(session, SPEC, row, values)
    await follow(session, event)
    return row


async def delete_session(session: AsyncSession, event: Event, row: EventSession) -> None:
    """Refused for an event's last session: an event happens at some time."""
    if len(await session_store.of_event(session, event.id)) == 1:
        raise Conflict("This is the event's only session: change it, or delete the event.")
    await crud.delete(session, SPEC, row)
    await follow(session, event)
