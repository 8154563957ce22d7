"""The sessions of one event as a whole list: read in time order, and written from the list an event's body
gives (create, PUT, PATCH) or from its dates when it gives none. Writes go through `app.crud`, so each session
is versioned and audited."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app import crud
from app.auth import permissions
from app.auth.permissions import Area
from app.core.errors import FieldError, InvalidInput
from app.crud import Reference, ResourceSpec
from app.events import session_rules as rules
from app.events.session_schemas import SessionStatus
from app.models import Event, EventSession

SPEC = ResourceSpec(
    model=EventSession,
    guard=permissions.guard(Area.content, "session", permissions.event_lab),
    noun="session",
    references={"event_id": Reference(Event, "event")},
)
WRITTEN = ("starts_at", "ends_at", "status")


async def of_event(session: AsyncSession, event_id: uuid.UUID) -> list[EventSession]:
    """An event's sessions, in time order."""
    stmt = (
        select(EventSession)
        .where(col(EventSession.event_id) == event_id)
        .order_by(col(EventSession.starts_at), col(EventSession.id))
    )
    return list((await session.execute(stmt)).scalars())


def dates_refusal(count: int) -> str:
    """Why the dates of an event with several sessions do not move alone."""
    return (
        f"this event has {count} sessions: change them (`sessions`, or /events/{{id}}/sessions) and its dates "
        "follow, as the span of its sessions"
    )


def _from_dates(event: Event, current: Sequence[EventSession]) -> list[dict[str, Any]]:
    """The list an event body without `sessions` stands for: its one session follows the event's dates. An event
    with several keeps them when its dates are their span; moving its dates alone is refused (which session?)."""
    if len(current) > 1:
        stored = [crud.values_of(row) for row in current]
        if rules.span(stored) == {"starts_at": event.starts_at, "ends_at": event.ends_at}:
            return stored
        refusal = dates_refusal(len(current))
        raise InvalidInput([FieldError(loc=["body", "starts_at"], msg=refusal, type="dates_of_sessions")])
    status = current[0].status if current else SessionStatus.scheduled
    kept = {"id": current[0].id} if current else {}
    return [{**kept, "starts_at": event.starts_at, "ends_at": event.ends_at, "status": status}]


async def write(
    session: AsyncSession, event: Event, given: Sequence[Mapping[str, Any]] | None, *, created: bool = False
) -> None:
    """Make the event's sessions the `given` list (placed in UTC, see `rules`): a session named by `id` is changed
    in place, one without is added, those left out are removed. An event's first session takes the event's id,
    so its calendar UID is the one the event had before sessions existed. An event just `created` has none yet
    (they are not read)."""
    current = [] if created else await of_event(session, event.id)
    wanted = _from_dates(event, current) if given is None else list(given)
    by_id = {row.id: row for row in current}
    unknown = [
        FieldError(loc=["body", "sessions", index, "id"], msg=f"no session '{item['id']}' here", type="unknown")
        for index, item in enumerate(wanted)
        if item.get("id") is not None and item["id"] not in by_id
    ]
    if unknown:
        raise InvalidInput(unknown)
    kept = {item["id"] for item in wanted if item.get("id") is not None}
    for row in current:
        if row.id not in kept:
            await crud.delete(session, SPEC, row)
    first = not current and not kept
    for item in wanted:
        values = {name: item[name] for name in WRITTEN}
        if item.get("id") is not None:
            await crud.update(session, SPEC, by_id[item["id"]], values)
            continue
        await crud.insert(session, SPEC, {**values, "event_id": event.id, **({"id": event.id} if first else {})})
        first = False


async def remove_all(session: AsyncSession, event: Event) -> None:
    """Remove an event's sessions (each audited), before the event itself."""
    for row in await of_event(session, event.id):
        await crud.delete(session, SPEC, row)
