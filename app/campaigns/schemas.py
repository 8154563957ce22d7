"""Request and response shapes of campaigns."""

from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from app.core.schemas import Day, EntityRead, ExternalId, Input, LongText, Name, Slug, ends_after, partial
from app.lists.params import ListParams


class CampaignCreate(Input):
    """A named period of events, such as the Mois de l'innovation publique."""

    name: Name = Field(examples=["Mois de l'innovation publique 2020"])
    slug: Slug | None = Field(default=None, description="Derived from the name when omitted.")
    external_id: ExternalId | None = None
    starts_on: Day = Field(examples=["2020-11-01"])
    ends_on: Day = Field(examples=["2020-11-30"], description="On or after `starts_on`.")
    description: LongText | None = None

    _ends_after_start = field_validator("ends_on")(ends_after("starts_on"))


CampaignUpdate = partial(CampaignCreate, "CampaignUpdate", "Fields to change on a campaign (JSON merge patch).")


class CampaignRead(EntityRead):
    """A campaign as stored."""

    slug: str
    external_id: str | None
    name: str
    starts_on: date
    ends_on: date
    description: str | None


class CampaignFilters(ListParams):
    """Filters of the campaign list."""

    starts_after: Day | None = Field(default=None, description="Only campaigns starting on or after this day.")
    starts_before: Day | None = Field(default=None, description="Only campaigns starting before this day.")
    sort: Literal[
        "relevance",
        "name",
        "-name",
        "starts_on",
        "-starts_on",
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
    ] = "name"
