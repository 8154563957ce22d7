"""Request and response shapes of events."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator

from app.core.schemas import (
    Count,
    EntityRead,
    ExternalId,
    Input,
    Instant,
    LongText,
    Name,
    ShortText,
    ThemeCode,
    TimeZoneName,
    Url,
    partial,
)
from app.core.text import slugify
from app.lists.params import ListParams
from app.publication.rules import Publication
from app.publication.schemas import PUBLICATION_FIELD, Note, PublicationParam
from app.reference.schemas import CodeParam, RegionParam


class AttendanceMode(StrEnum):
    online = "online"
    in_person = "in-person"
    hybrid = "hybrid"


class Audience(StrEnum):
    agents = "agents"
    citizens = "citizens"
    all = "all"


class EventStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"
    postponed = "postponed"
    moved_online = "moved-online"


FormatCode = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(slugify)]
"""An event format code in any case, with or without accents: `Conférence` is `conference`."""

Tag = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"\S")]

LOCAL_TIME_RULE = (
    "RFC 3339. Without an offset it is a local time, read in the event's `timezone`: a time the clocks skip "
    "(spring forward) is refused, an ambiguous one (autumn fall-back) means its first occurrence, in summer time. "
    "Returned in UTC."
)


class EventCreate(Input):
    """An event held by a lab and/or an organization: webinar, training, workshop…"""

    title: Name = Field(examples=["Webinaire : l'usager au centre"])
    description: LongText | None = None
    theme_code: ThemeCode = Field(
        examples=["service-usager"], description="Primary theme; any case, accents optional (`Service-Usager`)."
    )
    tags: list[Tag] = Field(default_factory=list, max_length=50, description="Free keywords, up to 50 characters.")
    format: FormatCode = Field(examples=["webinaire"], description="An event format code; any case, accents optional.")
    attendance_mode: AttendanceMode
    audience: Audience
    starts_at: Instant = Field(examples=["2020-11-17T10:00:00+01:00"], description=LOCAL_TIME_RULE)
    ends_at: Instant = Field(
        examples=["2020-11-17T11:30:00+01:00"], description=f"On or after `starts_at`. {LOCAL_TIME_RULE}"
    )
    timezone: TimeZoneName | None = Field(
        default=None,
        examples=["Europe/Paris"],
        description="IANA time zone the event happens in; defaults to its region's (Europe/Paris, or the overseas "
        "region's own: America/Cayenne, Indian/Reunion…). Changing it alone keeps the stored instants.",
    )
    status: EventStatus = EventStatus.scheduled
    organizer_organization_id: uuid.UUID | None = Field(
        default=None, description="The organization holding the event; this and/or `lab_id` is required."
    )
    lab_id: uuid.UUID | None = Field(
        default=None,
        validate_default=True,
        description="The lab holding the event; this and/or `organizer_organization_id` is required.",
    )
    project_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    region_code: str | None = Field(
        default=None,
        max_length=3,
        examples=["53"],
        description="INSEE code of the region; defaults to the lab's region, else the organizer's.",
    )
    city: ShortText | None = Field(default=None, examples=["Rennes"])
    online_url: Url | None = None
    registration_url: Url | None = None
    capacity: Count | None = None
    participants_count: Count | None = Field(default=None, description="People who attended.")
    external_id: ExternalId | None = None
    publication: Publication | None = Field(default=None, description=PUBLICATION_FIELD)
    publication_note: Note | None = Field(default=None, description="Why it was rejected or taken back to draft.")

    @field_validator("lab_id")
    @classmethod
    def _someone_holds_it(cls, value: uuid.UUID | None, info: ValidationInfo) -> uuid.UUID | None:
        # A malformed organizer id is reported on its own; only a missing pair is reported here.
        if value is None and "organizer_organization_id" in info.data and not info.data["organizer_organization_id"]:
            raise ValueError("give lab_id and/or organizer_organization_id: an event is held by someone")
        return value


EventUpdate = partial(EventCreate, "EventUpdate", "Fields to change on an event (JSON merge patch).")


class EventRead(EntityRead):
    """An event as stored; instants in UTC."""

    external_id: str | None
    title: str
    description: str | None
    theme_code: str
    tags: list[str]
    format: str
    attendance_mode: AttendanceMode
    audience: Audience
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: EventStatus
    organizer_organization_id: uuid.UUID | None
    lab_id: uuid.UUID | None
    project_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    region_code: str | None
    city: str | None
    online_url: str | None
    registration_url: str | None
    capacity: int | None
    participants_count: int | None
    publication: Publication
    publication_note: str | None


FILTER_INSTANT = "RFC 3339; without an offset it is read in Europe/Paris, and a date alone means its midnight."
REFERENCE = "by id, slug or external_id"


class EventFilters(ListParams):
    """Filters of the event list."""

    region: RegionParam | None = Field(default=None, description="INSEE code or name.")
    lab: str | None = Field(default=None, max_length=200, description=f"Lab {REFERENCE}.")
    organizer: str | None = Field(default=None, max_length=200, description=f"Organizing organization {REFERENCE}.")
    project: str | None = Field(default=None, max_length=200, description=f"Project {REFERENCE}.")
    campaign: str | None = Field(default=None, max_length=200, description=f"Campaign {REFERENCE}.")
    theme: CodeParam | None = Field(default=None, description="Theme code, any case, accents optional.")
    format: CodeParam | None = Field(default=None, description="Event format code, any case, accents optional.")
    status: EventStatus | None = None
    attendance_mode: AttendanceMode | None = None
    audience: Audience | None = None
    starts_after: Instant | None = Field(default=None, description=f"Events starting at or after. {FILTER_INSTANT}")
    starts_before: Instant | None = Field(default=None, description=f"Events starting before. {FILTER_INSTANT}")
    publication: PublicationParam
    sort: Literal[
        "relevance",
        "starts_at",
        "-starts_at",
        "title",
        "-title",
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
    ] = "starts_at"
