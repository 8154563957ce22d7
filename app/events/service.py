"""Use cases of events: where and when they happen, read in the time zone they happen in, stored in UTC."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.core import crud
from app.core.crud import PageResult, Reference, ResourceSpec
from app.core.errors import FieldError, InvalidInput
from app.core.pagination import sorts_for
from app.events.schemas import EventCreate, EventFilters, EventRead
from app.models import Campaign, Entity, Event, EventFormat, Lab, Organization, Project, Region, Theme
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


def filters(params: EventFilters) -> list[ColumnElement[bool]]:
    where = crud.common_filters(SPEC, params.q, params.updated_since)
    column = SPEC.column
    if params.region:
        where.append(column("region_code") == params.region)
    references: tuple[tuple[str | None, str, type[Entity]], ...] = (
        (params.lab, "lab_id", Lab),
        (params.organizer, "organizer_organization_id", Organization),
        (params.project, "project_id", Project),
        (params.campaign, "campaign_id", Campaign),
    )
    for value, name, model in references:
        if value:
            where.append(column(name) == crud.reference_id(model, value))
    if params.theme:
        where.append(column("theme_code") == params.theme)
    if params.format:
        where.append(column("format") == params.format)
    if params.status:
        where.append(column("status") == params.status)
    if params.attendance_mode:
        where.append(column("attendance_mode") == params.attendance_mode)
    if params.audience:
        where.append(column("audience") == params.audience)
    paris = ZoneInfo(PARIS)
    if params.starts_after is not None:
        where.append(column("starts_at") >= to_utc(params.starts_after, paris, ["query", "starts_after"]))
    if params.starts_before is not None:
        where.append(column("starts_at") < to_utc(params.starts_before, paris, ["query", "starts_before"]))
    return where


async def list_events(
    connection: AsyncConnection, params: EventFilters, *, lab: Lab | None = None, campaign: Campaign | None = None
) -> PageResult:
    """The filtered page; `lab` or `campaign` narrow it for the lists nested under them."""
    where = filters(params)
    if lab is not None:
        where.append(SPEC.column("lab_id") == lab.id)
    if campaign is not None:
        where.append(SPEC.column("campaign_id") == campaign.id)
    return await crud.list_page(connection, SPEC, where, params.list_query(params.sort), EventRead)


async def get_event(session: AsyncSession, ident: str) -> Event:
    return await crud.get(session, SPEC, ident)


async def create_event(session: AsyncSession, data: EventCreate) -> Event:
    return await crud.insert(session, SPEC, await _row_values(session, data))


async def replace_event(session: AsyncSession, event: Event, data: EventCreate) -> Event:
    """Also recomputes the local start day, so a change of time zone alone keeps the instants but moves the day."""
    return await crud.update(session, SPEC, event, await _row_values(session, data))


async def delete_event(session: AsyncSession, event: Event) -> None:
    await crud.delete(session, SPEC, event)
