"""Request and response shapes of labs."""

import uuid
from datetime import date
from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from app.core.schemas import Day, Email, EntityRead, ExternalId, Input, LongText, Name, ShortText, Slug, Url, partial
from app.lists.params import ListParams
from app.reference.schemas import RegionParam


class LabStatus(StrEnum):
    planned = "planned"
    active = "active"
    closed = "closed"


class LabCreate(Input):
    """A territorial public-innovation lab."""

    name: Name = Field(examples=["Lab'Bretagne"])
    slug: Slug | None = Field(default=None, description="Derived from the name when omitted.")
    external_id: ExternalId | None = None
    region_code: str = Field(max_length=3, examples=["53"], description="INSEE code of the region.")
    city: ShortText | None = Field(default=None, examples=["Rennes"])
    host_organization_id: uuid.UUID | None = Field(default=None, description="The body that hosts the lab.")
    status: LabStatus = LabStatus.active
    founded_on: Day | None = None
    website: Url | None = None
    contact_email: Email | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90, description="WGS84, with `longitude`.")
    longitude: float | None = Field(default=None, ge=-180, le=180, description="WGS84, with `latitude`.")
    description: LongText | None = None

    @model_validator(mode="after")
    def _coordinates_together(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together: give both or neither")
        return self


LabUpdate = partial(LabCreate, "LabUpdate", "Fields to change on a lab (JSON merge patch).")


class LabRead(EntityRead):
    """A lab as stored."""

    slug: str
    external_id: str | None
    name: str
    region_code: str
    city: str | None
    host_organization_id: uuid.UUID | None
    status: LabStatus
    founded_on: date | None
    website: str | None
    contact_email: str | None
    latitude: float | None
    longitude: float | None
    description: str | None


class LabFilters(ListParams):
    """Filters of the lab list."""

    region: RegionParam | None = Field(default=None, description="INSEE code or name.")
    status: LabStatus | None = None
    host: str | None = Field(default=None, max_length=200, description="Host organization by id, slug or external_id.")
    sort: Literal["relevance", "name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"] = "name"
