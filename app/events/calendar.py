"""Events as an iCalendar feed (RFC 5545), one feed per lab, theme, campaign or region through the list's filters.

Each event keeps its UID (`<event id>@lab-registry`) from one export to the next, so calendar apps update it
in place rather than duplicating it. Times carry the event's own zone (`TZID=Europe/Paris`,
`TZID=America/Cayenne`…) and the feed holds one VTIMEZONE per zone used, as RFC 5545 requires, so a Paris
event in July shows at 10:00 CEST and one in December at 10:00 CET. `SEQUENCE` is the event's version.

No stored value can cut the feed or forge a line: text is written with every line break escaped (`\\n`)
and without control characters, and a URL with a character no URL carries as itself has it percent-encoded
(older versions stored such values; a bare CR is a line break to many calendar apps).
"""

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, vText
from icalendar import Event as VEvent
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel

from app.core.db import reading
from app.core.errors import FieldError, InvalidInput
from app.core.schemas import url_unsafe
from app.core.security import Caller
from app.events import service as events
from app.events.schemas import EventFilters, EventStatus
from app.lists.export import chunks_of_rows
from app.lists.filters import reference_ids
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


def vevent(row: Mapping[Any, Any]) -> VEvent:
    """One VEVENT: local times in the event's zone; a moved-online event points at its online room."""
    zone = ZoneInfo(row["timezone"])
    item = VEvent()
    item.add("uid", uid(row["id"]))
    item.add("dtstamp", row["updated_at"])
    item.add("created", row["created_at"])
    item.add("last-modified", row["updated_at"])
    item.add("sequence", row["version"])
    item.add("dtstart", row["starts_at"].astimezone(zone))
    item.add("dtend", row["ends_at"].astimezone(zone))
    item.add("summary", text(row["title"]))
    if row["description"]:
        item.add("description", text(row["description"]))
    online = row["status"] == EventStatus.moved_online or row["attendance_mode"] == "online"
    online_url = uri(row["online_url"]) if row["online_url"] else None
    registration_url = uri(row["registration_url"]) if row["registration_url"] else None
    if online and online_url:
        item.add("location", online_url)
        item.add("url", online_url)
    else:
        if row["city"]:
            item.add("location", text(row["city"]))
        if registration_url or online_url:
            item.add("url", registration_url or online_url)
    item.add("status", STATUSES[row["status"]])
    item.add("categories", [text(row["theme_code"]), text(row["format"])])
    return item


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
    events use, then the VEVENTs a chunk at a time."""
    listing = events.EVENTS
    where = listing.where(params, caller)
    zones = select(listing.table.c.timezone).where(*where).distinct()
    async with reading(engine) as connection:
        name = await feed_name(connection, params)
        used = sorted((await connection.execute(zones)).scalars())
    yield _head(name) + b"".join(Timezone.from_tzid(zone).to_ical() for zone in used)
    stmt = select(listing.table).where(*where)
    async for rows in chunks_of_rows(engine, stmt, listing.sorts[params.sort], listing.table.c.id):
        yield b"".join(vevent(row).to_ical() for row in rows)
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
