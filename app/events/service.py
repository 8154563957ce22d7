"""Use cases of events: where and when they happen, read in the time zone they happen in, stored in UTC."""

import operator
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app import crud
from app.auth import permissions
from app.auth.permissions import Area
from app.campaigns import rules as campaign_rules
from app.core.errors import FieldError, InvalidInput
from app.core.schemas import Input, merge_patch
from app.core.security import Caller
from app.crud import Reference, ResourceSpec
from app.events import rules, session_rules, session_store
from app.events.schemas import PLACE_COLUMNS, EventCreate, EventFilters, EventRead, bounding_box
from app.exports.geojson import feature_collection, point
from app.lists.filters import common, compare, distance_km, holds, near, not_passed, reference, within_box
from app.lists.listing import ComputedSort, Listing
from app.models import Campaign, Event, EventFormat, Lab, Organization, Project, Region, Theme
from app.publication import service as publication
from app.publication.visibility import visibility
from app.reference.data import PARIS

SPEC = ResourceSpec(
    model=Event,
    guard=permissions.guard(Area.content, "event", permissions.column("lab_id")),
    noun="event",
    search_fields=("title", "description", "city", "tags", "place.name", "place.address"),
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
    """The row to write (see `rules.placed_in_time`), within its campaign's dates; a refusal located in the body."""
    region = None if data.region_code else await _default_region(session, data)
    try:
        values = data.model_dump()
        if data.sessions is not None:
            values = session_rules.spanned(values, ZoneInfo(rules.zone_for(values, region)[1]))
        values = rules.placed_in_space(rules.placed_in_time(values, region))
    except InvalidInput as exc:
        raise InvalidInput([error.model_copy(update={"loc": ["body", *error.loc]}) for error in exc.errors]) from None
    campaign = await session.get(Campaign, data.campaign_id) if data.campaign_id is not None else None
    if campaign is not None:
        refusal = campaign_rules.campaign_refusal(
            [(held["starts_at"], held["ends_at"]) for held in values["sessions"] or [values]],
            ZoneInfo(values["timezone"]),
            campaign.slug,
            campaign.starts_on,
            campaign.ends_on,
        )
        if refusal is not None:
            raise InvalidInput([FieldError(loc=["body", "campaign_id"], msg=refusal, type="outside_campaign")])
    return values


def paris_instant(param: str) -> Callable[[datetime], datetime]:
    """A filter's instant in UTC, read as Paris time when it has no offset."""
    paris = ZoneInfo(PARIS)
    return lambda value: rules.to_utc(value, paris, ["query", param])


_column = SPEC.column
EVENTS = Listing(
    "events",
    SPEC.table,
    EventRead,
    EventFilters,
    visibility=visibility(SPEC.table),
    filters=(
        *common(SPEC.table),
        compare("region", _column("region_code")),
        reference("lab", _column("lab_id"), Lab, one=True),
        reference("organizer", _column("organizer_organization_id"), Organization, one=True),
        reference("project", _column("project_id"), Project, one=True),
        reference("campaign", _column("campaign_id"), Campaign, one=True),
        compare("theme", _column("theme_code")),
        compare("format", _column("format")),
        compare("status", _column("status")),
        compare("attendance_mode", _column("attendance_mode")),
        compare("audience", _column("audience")),
        compare("starts_after", _column("starts_at"), operator.ge, paris_instant("starts_after")),
        compare("starts_before", _column("starts_at"), operator.lt, paris_instant("starts_before")),
        near("circle", _column("latitude"), _column("longitude")),
        within_box("bbox", _column("latitude"), _column("longitude"), bounding_box),
        compare("department", _column("department_code")),
        compare("commune", _column("commune_code")),
        compare("is_full", _column("is_full")),
        holds("accessibility", _column("accessibility")),
        not_passed("registration_open", _column("registration_deadline"), lambda: datetime.now(UTC)),
    ),
    flat={"place": PLACE_COLUMNS},
    computed={
        "distance": ComputedSort(
            "circle", 2, lambda point: distance_km(_column("latitude"), _column("longitude"), point)
        )
    },
)


async def geojson_chunks(engine: AsyncEngine, params: EventFilters, caller: Caller) -> AsyncIterator[bytes]:
    """The matching events that have a point, as a FeatureCollection; each feature's properties are the event
    as the list shows it."""

    async def features() -> AsyncIterator[dict[str, Any]]:
        async for event in EVENTS.records(engine, params, caller):
            place = event["place"]
            if place is not None and place["latitude"] is not None:
                yield point(event["id"], place["longitude"], place["latitude"], event)

    async for chunk in feature_collection(features()):
        yield chunk


async def get_event(session: AsyncSession, ident: str) -> Event:
    """The event, when the caller may see it (see app.publication.visibility); else 404."""
    event: Event = publication.visible_or_404(session, await crud.get(session, SPEC, ident), SPEC.noun, ident)
    return event


async def create_event(session: AsyncSession, data: EventCreate) -> Event:
    """Published or a draft as the caller's scopes say (app.publication.rules)."""
    values = publication.state_to_write(session, None, await _row_values(session, data), SPEC.noun)
    sessions = values.pop("sessions")
    event = await crud.insert(session, SPEC, values)
    await session_store.write(session, event, sessions, created=True)
    await publication.record(session, SPEC.entity_type, event.id, None, event.publication, event.publication_note)
    return event


async def replace_event(session: AsyncSession, event: Event, data: EventCreate) -> Event:
    """Also recomputes the local start day, so a change of time zone alone keeps the instants but moves the day;
    a change of publication must be one of the caller's moves."""
    was = event.publication
    values = publication.state_to_write(session, event.publication, await _row_values(session, data), SPEC.noun)
    sessions = values.pop("sessions")
    await crud.update(session, SPEC, event, values)
    await session_store.write(session, event, sessions)
    await publication.record(session, SPEC.entity_type, event.id, was, event.publication, event.publication_note)
    return event


def patched(event: Event, patch: Input) -> EventCreate:
    """The event with a merge patch applied; `city` alone changes the place's city, as older clients mean."""
    given = patch.model_dump(exclude_unset=True)
    if "city" in given and "place" not in given and event.place is not None:
        given["place"] = {**event.place, "city": given["city"]}
        patch = type(patch).model_validate(given)
    return merge_patch(EventCreate, event, patch)


async def delete_event(session: AsyncSession, event: Event) -> None:
    """With its sessions."""
    await session_store.remove_all(session, event)
    await crud.delete(session, SPEC, event)
