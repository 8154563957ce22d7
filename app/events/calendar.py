"""Events as an iCalendar feed (RFC 5545), one feed per lab, theme, campaign or region through the list's filters.

Each session of an event is one VEVENT whose UID (`<session id>@lab-registry`) stays from one export to the next,
so calendar apps update it in place rather than duplicating it (an event's first session has the event's id, the
UID the event had before sessions). Times carry the event's own zone (`TZID=Europe/Paris`,
`TZID=America/Cayenne`…) and the feed holds one VTIMEZONE per zone used, as RFC 5545 requires, so a Paris
event in July shows at 10:00 CEST and one in December at 10:00 CET. `SEQUENCE` grows with the event's and the
session's versions; a session cancelled alone is `STATUS:CANCELLED`.

No stored value can cut the feed or forge a line: text is written with every line break escaped (`\\n`)
and without control characters, and a URL with a character no URL carries as itself has it percent-encoded
(older versions stored such values; a bare CR is a line break to many calendar apps).
"""

import re
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, vCalAddress, vText
from icalendar import Event as VEvent
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel

from app.core.db import reading
from app.core.errors import FieldError, InvalidInput
from app.core.schemas import url_unsafe
from app.core.security import Caller
from app.events.schemas import EventFilters, EventStatus
from app.events.service import EVENTS
from app.events.session_schemas import SessionStatus
from app.events.session_store import SPEC
from app.lists.export import chunks_of_rows
from app.lists.filters import reference_ids
from app.lists.pagination import SortKey
from app.models import Campaign, EventFormat, Lab, Organization, Project, Theme
from app.models.base import Entity
from app.reference.data import REGION_NAMES

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"
UID_DOMAIN = "lab-registry"
PRODID = "-//Lab Registry//lab-registry//FR"

STATUSES: Mapping[str, str] = {
    EventStatus.scheduled: "CONFIRMED",
    EventStatus.cancelled: "CANCELLED",
    EventStatus.postponed: "TENTATIVE",
    EventStatus.moved_online: "CONFIRMED",
}
"""Our status → iCalendar STATUS; a postponed event has no settled date yet, hence TENTATIVE."""

END = b"END:VCALENDAR\r\n"


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def uid(event_id: Any) -> str:
    return f"{event_id}@{UID_DOMAIN}"


def text(value: str) -> vText:
    r"""A TEXT value: each line break (CR, LF, CRLF, and the others `str.splitlines` knows) becomes `\n`, which
    icalendar escapes; other control characters are dropped (RFC 5545 allows none but tab)."""
    return vText(_CONTROLS.sub("", "\n".join(value.splitlines())))


def uri(value: str) -> str:
    r"""A URI value with every character a URL never carries as itself percent-encoded (`\n` → `%0A`)."""
    if value.isprintable() and " " not in value:
        return value
    return "".join(quote(char, safe="") if url_unsafe(char) else char for char in value)


def vevent(row: Mapping[Any, Any], stamp: datetime) -> VEvent:
    """One VEVENT for one session (a row of `session_rows`): local times in the event's zone; a moved-online event
    points at its online room; `stamp` is when the feed was made."""
    zone = ZoneInfo(row["timezone"])
    item = VEvent()
    item.add("uid", uid(row["id"]))
    item.add("dtstamp", stamp)
    item.add("created", row["created_at"])
    item.add("last-modified", max(row["updated_at"], row["event_updated_at"]))
    # Both versions only grow: a change to the event or to this session raises it (a first session: the event's).
    item.add("sequence", row["event_version"] + row["version"] - 1)
    item.add("dtstart", row["starts_at"].astimezone(zone))
    item.add("dtend", row["ends_at"].astimezone(zone))
    item.add("summary", text(row["title"]))
    if row["description"]:
        item.add("description", text(row["description"]))
    online = row["event_status"] == EventStatus.moved_online or row["attendance_mode"] == "online"
    online_url = uri(row["online_url"]) if row["online_url"] else None
    registration_url = uri(row["registration_url"]) if row["registration_url"] else None
    if online and online_url:
        item.add("location", online_url)
    elif row["city"]:
        item.add("location", text(row["city"]))
    if registration_url or online_url:
        item.add("url", registration_url or online_url)
    organizer = row["organizer_name"] or row["lab_name"]
    if organizer:
        holder = row["organizer_organization_id"] or row["lab_id"]
        item.add("organizer", vCalAddress(f"urn:uuid:{holder}"), parameters={"cn": _CONTROLS.sub("", organizer)})
    cancelled = row["status"] == SessionStatus.cancelled
    item.add("status", "CANCELLED" if cancelled else STATUSES[row["event_status"]])
    item.add("categories", [text(row["theme_code"]), text(row["format"])])
    return item


def session_rows(where: list[Any]) -> Select[Any]:
    """Each session of the events `where` selects, with its event's columns (its own `id`, times, status and
    version under their names; the event's under `event_…`) and the names of its organizer and lab."""
    events, sessions = EVENTS.table, SPEC.table
    organizer, lab = Organization.__table__.alias("organizer"), Lab.__table__.alias("holder")  # type: ignore[attr-defined]
    own = ("id", "starts_at", "ends_at", "status", "version", "created_at", "updated_at")
    columns = [
        *(column for column in events.c if column.key not in (*own, "search_text")),
        *(events.c[name].label(f"event_{name}") for name in ("id", "status", "version", "updated_at")),
        *(sessions.c[name] for name in own),
        organizer.c.name.label("organizer_name"),
        lab.c.name.label("lab_name"),
    ]
    joined = (
        sessions.join(events, sessions.c.event_id == events.c.id)
        .outerjoin(organizer, organizer.c.id == events.c.organizer_organization_id)
        .outerjoin(lab, lab.c.id == events.c.lab_id)
    )
    return select(*columns).select_from(joined).where(*where)


def _head(name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", text(name))
    head: bytes = calendar.to_ical()
    return head.removesuffix(END)


async def ics_chunks(engine: AsyncEngine, params: EventFilters, caller: Caller) -> AsyncIterator[bytes]:
    """The feed, streamed: header (named after what it is filtered on, see `feed_name`), the zones the matching
    events use, then one VEVENT per session of each, in time order, a chunk at a time."""
    listing = EVENTS
    where = listing.where(params, caller)
    zones = select(listing.table.c.timezone).where(*where).distinct()
    async with reading(engine) as connection:
        name = await feed_name(connection, params)
        used = sorted((await connection.execute(zones)).scalars())
    yield _head(name) + b"".join(Timezone.from_tzid(zone).to_ical() for zone in used)
    sessions = SPEC.table
    stamp = datetime.now(UTC)
    async for rows in chunks_of_rows(engine, session_rows(where), SortKey(sessions.c.starts_at), sessions.c.id):
        yield b"".join(vevent(row, stamp).to_ical() for row in rows)
    yield END


NAMED_FILTERS: tuple[tuple[str, type[Entity], str, str], ...] = (
    ("lab", Lab, "name", "lab"),
    ("organizer", Organization, "name", "organization"),
    ("project", Project, "title", "project"),
    ("campaign", Campaign, "name", "campaign"),
)
"""Filters naming a row by id, slug or external_id: the parameter, the model, its name column, its noun."""

CODE_FILTERS: tuple[tuple[str, type[SQLModel], str], ...] = (
    ("theme", Theme, "theme"),
    ("format", EventFormat, "event format"),
)


async def feed_name(connection: AsyncConnection, params: EventFilters) -> str:
    """`Lab Registry — Lab d'innovation de Bretagne, Design`: the stored names of what the feed is filtered on.

    No text of the query string reaches the feed, and a filter naming nothing is 422: checked as the feed's
    first chunk is made, which is read before the answer starts.
    """
    names: list[str] = []
    errors: list[FieldError] = []
    for param, model, column, noun in NAMED_FILTERS:
        value = getattr(params, param)
        if not value:
            continue
        table = model.__table__  # type: ignore[attr-defined]
        stmt = select(table.c[column], table.c.slug).where(table.c.id.in_(reference_ids(model, value)))
        rows = (await connection.execute(stmt)).all()
        if not rows:
            errors.append(_not_found(param, f"no {noun} '{value}' (give its id, slug or external_id)"))
            continue
        # The filter takes the row whose slug the value is before one whose external_id it is.
        names.append(next((name for name, slug in rows if slug == value), rows[0][0]))
    for param, code_model, noun in CODE_FILTERS:
        value = getattr(params, param)
        if not value:
            continue
        codes = code_model.__table__.c  # type: ignore[attr-defined]
        label = (await connection.execute(select(codes.label).where(codes.code == value))).scalar()
        if label is None:
            errors.append(_not_found(param, f"no {noun} '{value}'"))
            continue
        names.append(label)
    if errors:
        raise InvalidInput(errors)
    if params.region:
        names.append(REGION_NAMES[params.region])
    return " — ".join(["Lab Registry", ", ".join(names)]) if names else "Lab Registry"


def _not_found(param: str, message: str) -> FieldError:
    return FieldError(loc=["query", param], msg=message, type="reference_not_found")
