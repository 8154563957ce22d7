"""Request and response shapes of events."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

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
from app.events.session_schemas import SessionInline
from app.lists.params import ListParams
from app.publication.rules import Publication
from app.publication.schemas import PUBLICATION_FIELD, Note, PublicationParam
from app.reference.data import region_at
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


class Price(StrEnum):
    free = "free"
    paid = "paid"


class Accessibility(StrEnum):
    """OpenAgenda's five accessibility markers."""

    wheelchair = "wheelchair"
    hearing = "hearing"
    visual = "visual"
    psychic = "psychic"
    mental = "mental"


COMMUNE_PATTERN = r"^((0[1-9]|1\d|2[1-9]|[3-8]\d|9[0-5])\d{3}|2[AB]\d{3}|97[1-8]\d{2})$"
CommuneCode = Annotated[str, StringConstraints(pattern=COMMUNE_PATTERN)]
PostalCode = Annotated[str, StringConstraints(pattern=r"^\d{5}$")]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]


class Place(Input):
    """Where an event happens: a venue, its address and its commune, and a point (WGS84) within France."""

    name: ShortText | None = Field(default=None, examples=["Hôtel de Rennes Métropole"])
    address: ShortText | None = Field(default=None, examples=["4 avenue Henri Fréville"])
    postal_code: PostalCode | None = Field(default=None, examples=["35200"])
    city: ShortText | None = Field(default=None, examples=["Rennes"])
    commune_code: CommuneCode | None = Field(
        default=None, examples=["35238"], description="INSEE commune code: `35238`, `2A004` (Corsica), `97411`."
    )
    latitude: float | None = Field(default=None, ge=-90, le=90, examples=[48.1113], description="With `longitude`.")
    longitude: float | None = Field(default=None, ge=-180, le=180, examples=[-1.6800], description="With `latitude`.")

    @model_validator(mode="after")
    def _point_in_france(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together: give both or neither")
        if (
            self.latitude is not None
            and self.longitude is not None
            and region_at(self.latitude, self.longitude) is None
        ):
            raise ValueError(
                f"({self.latitude}, {self.longitude}) is not in France nor its overseas regions: latitude first?"
            )
        return self


class PlaceRead(BaseModel):
    """A place as stored."""

    name: str | None
    address: str | None
    postal_code: str | None
    city: str | None
    commune_code: str | None
    latitude: float | None
    longitude: float | None


PLACE_COLUMNS = {
    "place_name": "name",
    "address": "address",
    "postal_code": "postal_code",
    "city": "city",
    "commune_code": "commune_code",
    "latitude": "latitude",
    "longitude": "longitude",
}
"""The place as flat columns of CSV exports and imports: column → key of the place."""

FormatCode = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(slugify)]
"""An event format code in any case, with or without accents: `Conférence` is `conference`."""

Tag = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"\S")]

LOCAL_TIME_RULE = (
    "RFC 3339. Without an offset it is a local time, read in the event's `timezone`: a time the clocks skip "
    "(spring forward) is refused, an ambiguous one (autumn fall-back) means its first occurrence, in summer time. "
    "Returned in UTC."
)
SPAN_RULE = "Required without `sessions`; with them, the span of the sessions (first start, last end) and not read."


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
    sessions: list[SessionInline] | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="The whole list of the event's sessions (see `/events/{id}/sessions`); left out, an event with "
        "one session has it follow `starts_at`/`ends_at`. Scheduled sessions may not overlap.",
    )
    starts_at: Instant | None = Field(
        default=None,
        validate_default=True,
        examples=["2020-11-17T10:00:00+01:00"],
        description=f"{LOCAL_TIME_RULE} {SPAN_RULE}",
    )
    ends_at: Instant | None = Field(
        default=None,
        validate_default=True,
        examples=["2020-11-17T11:30:00+01:00"],
        description=f"On or after `starts_at`. {LOCAL_TIME_RULE} {SPAN_RULE}",
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
    campaign_id: uuid.UUID | None = Field(
        default=None, description="The campaign it belongs to; the event lies within the campaign's dates."
    )
    region_code: str | None = Field(
        default=None,
        max_length=3,
        examples=["53"],
        description="INSEE code of the region; defaults to the lab's region, else the organizer's.",
    )
    place: Place | None = Field(
        default=None, description="Where it happens; `in-person` and `hybrid` events need at least its `city`."
    )
    city: ShortText | None = Field(
        default=None,
        examples=["Rennes"],
        description="The place's city, kept for older clients: given alone it is `place.city`; beside a "
        "`place` that has a city, it is that city.",
    )
    online_url: Url | None = Field(default=None, description="Required by `online` and `hybrid` events.")
    registration_url: Url | None = None
    registration_deadline: Instant | None = Field(
        default=None, description=f"Registration closes then. {LOCAL_TIME_RULE}"
    )
    capacity: Count | None = None
    registered_count: Count | None = Field(default=None, description="People registered so far.")
    participants_count: Count | None = Field(default=None, description="People who attended.")
    price: Price | None = Field(default=None, description="`free` or `paid` (then say how much in `price_note`).")
    price_note: ShortText | None = Field(default=None, examples=["15 € ; gratuit pour les agents"])
    accessibility: list[Accessibility] = Field(default_factory=list, max_length=5)
    languages: list[Language] = Field(
        default_factory=lambda: ["fr"], min_length=1, max_length=20, description="ISO 639-1 codes, `fr` by default."
    )
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

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _dated(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        # Invalid sessions are reported on their own; only dates missing beside no sessions are reported here.
        if value is None and "sessions" in info.data and info.data["sessions"] is None:
            raise ValueError("Field required (or give sessions: the event's dates are then their span)")
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
    place: PlaceRead | None
    city: str | None
    online_url: str | None
    registration_url: str | None
    registration_deadline: datetime | None
    capacity: int | None
    registered_count: int | None
    places_left: int | None = Field(
        description="Read only: capacity less the people registered; null without capacity."
    )
    is_full: bool = Field(description="Read only: no place left.")
    participants_count: int | None
    price: Price | None
    price_note: str | None
    accessibility: list[Accessibility]
    languages: list[str]
    publication: Publication
    publication_note: str | None


FILTER_INSTANT = "RFC 3339; without an offset it is read in Europe/Paris, and a date alone means its midnight."
REFERENCE = "by id, slug or external_id"


_NUMBER = r"-?\d{1,3}(\.\d{1,12})?"
NEAR_PATTERN = rf"^{_NUMBER},\s*{_NUMBER}$"
BBOX_PATTERN = rf"^{_NUMBER}(,\s*{_NUMBER}){{3}}$"


def near_point(text: str) -> tuple[float, float]:
    """`latitude,longitude` as numbers; ValueError when out of range."""
    latitude, longitude = (float(part) for part in text.split(","))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("near is latitude,longitude: latitude within ±90, longitude within ±180")
    return latitude, longitude


def bounding_box(text: str) -> tuple[float, float, float, float]:
    """`minLon,minLat,maxLon,maxLat` as numbers; ValueError when out of range or inverted."""
    west, south, east, north = (float(part) for part in text.split(","))
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise ValueError("bbox is minLon,minLat,maxLon,maxLat, each min at most its max, within ±180 and ±90")
    return west, south, east, north


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
    near: Annotated[str, StringConstraints(pattern=NEAR_PATTERN)] | None = Field(
        default=None, examples=["48.11,-1.68"], description="`latitude,longitude`: events placed within `radius_km`."
    )
    radius_km: float = Field(default=30, gt=0, le=20_000, description="With `near`: great-circle distance, km.")
    bbox: Annotated[str, StringConstraints(pattern=BBOX_PATTERN)] | None = Field(
        default=None, examples=["-1.8,48.0,-1.5,48.2"], description="`minLon,minLat,maxLon,maxLat` (RFC 7946 order)."
    )
    department: Annotated[str, StringConstraints(pattern=r"^(\d{2}|2[AB]|97\d)$")] | None = Field(
        default=None, examples=["35"], description="Département of the place's commune: `35`, `2A`, `974`."
    )
    commune: CommuneCode | None = Field(default=None, examples=["35238"], description="INSEE commune code.")
    is_full: bool | None = Field(default=None, description="`false`: events with places left (or no capacity).")
    accessibility: Accessibility | None = Field(default=None, description="Events accessible so.")
    registration_open: bool | None = Field(
        default=None, description="`true`: registration deadline not passed (or none); `false`: passed."
    )
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
        "distance",
    ] = Field(
        default="starts_at",
        description="`relevance` (best match first; the default when `q` has words to find) only with `q`; "
        "`distance` (nearest first) only with `near`.",
    )

    @property
    def circle(self) -> tuple[float, float, float] | None:
        """`near` and `radius_km` as one value, (latitude, longitude, radius), for the distance filter."""
        return None if self.near is None else (*near_point(self.near), self.radius_km)

    @model_validator(mode="after")
    def _where(self) -> Self:
        if self.sort == "distance" and self.near is None:
            raise ValueError("sort=distance needs near=latitude,longitude")
        if self.near is not None:
            near_point(self.near)
        if self.bbox is not None:
            bounding_box(self.bbox)
        return self
