"""Events as an iCalendar feed (RFC 5545), one feed per lab, theme, campaign or region through the list's filters.

Each event keeps its UID (`<event id>@lab-registry`) from one export to the next, so calendar apps update it
in place rather than duplicating it. Times carry the event's own zone (`TZID=Europe/Paris`,
`TZID=America/Cayenne`…) and the feed holds one VTIMEZONE per zone used, as RFC 5545 requires, so a Paris
event in July shows at 10:00 CEST and one in December at 10:00 CET. `SEQUENCE` is the event's version.
"""

from collections.abc import AsyncIterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone
from icalendar import Event as VEvent
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import reading
from app.events import service as events
from app.events.schemas import EventFilters, EventStatus
from app.lists.export import chunks_of_rows

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


def uid(event_id: Any) -> str:
    return f"{event_id}@{UID_DOMAIN}"


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
    item.add("summary", row["title"])
    if row["description"]:
        item.add("description", row["description"])
    online = row["status"] == EventStatus.moved_online or row["attendance_mode"] == "online"
    location = row["online_url"] if online and row["online_url"] else row["city"]
    if location:
        item.add("location", location)
    url = row["online_url"] if online and row["online_url"] else row["registration_url"] or row["online_url"]
    if url:
        item.add("url", url)
    item.add("status", STATUSES[row["status"]])
    item.add("categories", [row["theme_code"], row["format"]])
    return item


def _head(name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    head: bytes = calendar.to_ical()
    return head.removesuffix(END)


async def ics_chunks(engine: AsyncEngine, params: EventFilters, name: str = "Lab Registry") -> AsyncIterator[bytes]:
    """The feed, streamed: header, the zones the matching events use, then the VEVENTs a chunk at a time."""
    listing = events.EVENTS
    where = listing.where(params)
    zones = select(listing.table.c.timezone).where(*where).distinct()
    async with reading(engine) as connection:
        used = sorted((await connection.execute(zones)).scalars())
    yield _head(name) + b"".join(Timezone.from_tzid(zone).to_ical() for zone in used)
    stmt = select(listing.table).where(*where)
    async for rows in chunks_of_rows(engine, stmt, listing.sorts[params.sort], listing.table.c.id):
        yield b"".join(vevent(row).to_ical() for row in rows)
    yield END


def feed_name(params: EventFilters) -> str:
    """`Lab Registry — lab bretagne, theme service-usager`: what the feed was filtered on."""
    parts = [
        f"{key} {value}"
        for key, value in (
            ("lab", params.lab),
            ("theme", params.theme),
            ("campaign", params.campaign),
            ("region", params.region),
        )
        if value
    ]
    return " — ".join(["Lab Registry", ", ".join(parts)]) if parts else "Lab Registry"
