"""Use cases of events: where and when they happen, read in the time zone they happen in, stored in UTC."""

import operator
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.core import crud
from app.core.crud import PageResult, Reference, ResourceSpec
from app.core.errors import FieldError, InvalidInput
from app.core.filters import Filter, compare, where
from app.core.pagination import sorts_for
from app.events.schemas import EventCreate, EventFilters, EventRead
from app.models import Campaign, Event, EventFormat, Lab, Organization, Project, Region, Theme
from app.reference.data import PARIS, timezone_for_region

SPEC = ResourceSpec(
    model=Event,
    noun="event",
    sorts=sorts_for(Event, "starts_at", "title"),
    default_sort="starts_at",
    search_fields=("title", "description", "city", "tags"),
    unique_fields=("external_id",),
    references={
        "theme_code": Reference(Theme, "theme"),
        "format": Reference(EventFormat, "event format"),
        "organizer_organization_id": Reference(Organization, "organization"),
        "lab_id": Reference(Lab, "lab"),
        "project_id": Reference(Project, "project"),
        "campaign_id": Reference(Campaign, "campaign"),
        "region_code": Reference(Region, "region"),
    },
)


def to_utc(value: datetime, zone: ZoneInfo, loc: list[str | int]) -> datetime:
    """The instant a datetime names, in UTC; one without an offset is a local time in `zone`.

    An ambiguous local time (the hour repeated when clocks go back) means its first occurrence; a local time
    the clocks skip does not exist and is refused rather than silently moved by an hour.
    """
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    aware = value.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
        msg = f"{value.isoformat()} does not exist in {zone.key}: the clocks skip that hour (daylight saving time)"
        raise InvalidInput([FieldError(loc=loc, msg=msg, type="nonexistent_local_time")])
    return aware.astimezone(UTC)


async def _default_region(session: AsyncSession, data: EventCreate) -> str | None:
    """Where an event happens when the body does not say: its lab's region, else its organizer's."""
    if data.lab_id is not None:
        lab = await session.get(Lab, data.lab_id)
        if lab is not None:
            return lab.region_code
    if data.organizer_organization_id is not None:
        organizer = await session.get(Organization, data.organizer_organization_id)
        if organizer is not None:
            return organizer.region_code
    return None


async def _row_values(session: AsyncSession, data: EventCreate) -> dict[str, Any]:
    """The row to write: region and zone defaulted, local times read in the zone, and the local start day."""
    values = data.model_dump()
    region_code = data.region_code or await _default_region(session, data)
    zone_name = data.timezone or timezone_for_region(region_code)
    zone = ZoneInfo(zone_name)
    instants: dict[str, datetime] = {}
    errors: list[FieldError] = []
    for name in ("starts_at", "ends_at"):
        try:
            instants[name] = to_utc(values[name], zone, ["body", name])
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    if instants["ends_at"] < instants["starts_at"]:
        raise InvalidInput(
            [FieldError(loc=["body", "ends_at"], msg="must be on or after starts_at", type="ends_before_start")]
        )
    values.update(
        instants,
        region_code=region_code,
        timezone=zone_name,
        local_start_date=instants["starts_at"].astimezone(zone).date(),
    )
    return values


def _paris_instant(param: str) -> Callable[[datetime], datetime]:
    """A filter's instant in UTC, read as Paris time when it has no offset."""
    paris = ZoneInfo(PARIS)
    return lambda value: to_utc(value, paris, ["query", param])


_column = SPEC.column
FILTERS: tuple[Filter, ...] = (
    *crud.common(SPEC),
    compare("region", _column("region_code")),
    crud.reference("lab", _column("lab_id"), Lab, one=True),
    crud.reference("organizer", _column("organizer_organization_id"), Organization, one=True),
    crud.reference("project", _column("project_id"), Project, one=True),
    crud.reference("campaign", _column("campaign_id"), Campaign, one=True),
    compare("theme", _column("theme_code")),
    compare("format", _column("format")),
    compare("status", _column("status")),
    compare("attendance_mode", _column("attendance_mode")),
    compare("audience", _column("audience")),
    compare("starts_after", _column("starts_at"), operator.ge, _paris_instant("starts_after")),
    compare("starts_before", _column("starts_at"), operator.lt, _paris_instant("starts_before")),
)


def filters(params: EventFilters) -> list[ColumnElement[bool]]:
    """The conditions of the event list's filters, for exports, calendars and stats."""
    return where(FILTERS, params)


async def list_events(
    connection: AsyncConnection, params: EventFilters, *, lab: Lab | None = None, campaign: Campaign | None = None
) -> PageResult:
    """The filtered page; `lab` or `campaign` narrow it for the lists nested under them."""
    within = {"lab_id": lab.id} if lab is not None else {}
    if campaign is not None:
        within["campaign_id"] = campaign.id
    return await crud.list_page(
        connection, SPEC, FILTERS, params, params.list_query(params.sort), EventRead, within=within
    )


async def get_event(session: AsyncSession, ident: str) -> Event:
    return await crud.get(session, SPEC, ident)


async def create_event(session: AsyncSession, data: EventCreate) -> Event:
    return await crud.insert(session, SPEC, await _row_values(session, data))


async def replace_event(session: AsyncSession, event: Event, data: EventCreate) -> Event:
    """Also recomputes the local start day, so a change of time zone alone keeps the instants but moves the day."""
    return await crud.update(session, SPEC, event, await _row_values(session, data))


async def delete_event(session: AsyncSession, event: Event) -> None:
    await crud.delete(session, SPEC, event)
