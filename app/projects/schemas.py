"""Request and response shapes of projects, their partners and their status history."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from app.core.schemas import (
    Count,
    Day,
    EntityRead,
    ExternalId,
    Input,
    LongText,
    Name,
    Read,
    Slug,
    ThemeCode,
    ends_after,
    partial,
)
from app.lists.params import ListParams
from app.publication.rules import Publication
from app.publication.schemas import PUBLICATION_FIELD, Note, PublicationParam
from app.reference.schemas import CodeParam, RegionParam


class ProjectKind(StrEnum):
    project = "project"
    action = "action"


class ProjectStatus(StrEnum):
    exploring = "exploring"
    designing = "designing"
    piloting = "piloting"
    scaling = "scaling"
    completed = "completed"
    abandoned = "abandoned"


class PartnerRole(StrEnum):
    pilot = "pilot"
    partner = "partner"
    funder = "funder"
    beneficiary = "beneficiary"


class ProjectCreate(Input):
    """A transformation project or action, led by a lab or by a partner with a lab's support."""

    title: Name = Field(examples=["Accueil des usagers en préfecture"])
    slug: Slug | None = Field(default=None, description="Derived from the title when omitted.")
    external_id: ExternalId | None = None
    kind: ProjectKind
    lab_id: uuid.UUID | None = Field(default=None, description="The lab that leads or supports the project.")
    region_code: str | None = Field(
        default=None, max_length=3, examples=["53"], description="INSEE code; defaults to the lab's region."
    )
    summary: LongText | None = None
    theme_code: ThemeCode = Field(examples=["service-usager"], description="Primary theme, in any case or accents.")
    secondary_themes: list[ThemeCode] = Field(
        default_factory=list, max_length=20, description="Other theme codes; neither repeated nor the primary one."
    )
    status: ProjectStatus = Field(
        default=ProjectStatus.exploring,
        description="Moves forward only (exploring → designing → piloting → scaling → completed), "
        "or to abandoned from any open state.",
    )
    status_since: Day | None = Field(
        default=None,
        examples=["2020-06-15"],
        description="The day the status's phase began (the history's `effective_on`): with a status change, "
        "not in the future nor before the current phase's day, today when omitted; without one, omitted or the "
        "stored day.",
    )
    starts_on: Day | None = None
    ends_on: Day | None = Field(default=None, description="On or after `starts_on`.")
    users_involved: Count | None = None
    agents_involved: Count | None = None
    results: LongText | None = Field(default=None, description="What the project changed.")
    lessons: LongText | None = Field(default=None, description="What others should know before doing the same.")
    replicates_project_id: uuid.UUID | None = Field(
        default=None, description="The project whose success this one takes to a new territory."
    )
    publication: Publication | None = Field(default=None, description=PUBLICATION_FIELD)
    publication_note: Note | None = Field(default=None, description="Why it was rejected or taken back to draft.")

    _ends_on_after_start = field_validator("ends_on")(ends_after("starts_on"))

    @field_validator("secondary_themes", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        # A merge patch clears a list with null.
        return [] if value is None else value

    @field_validator("secondary_themes")
    @classmethod
    def _distinct_from_primary(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a theme may appear only once")
        if info.data.get("theme_code") in value:
            raise ValueError("the primary theme may not also be a secondary theme")
        return value


ProjectUpdate = partial(ProjectCreate, "ProjectUpdate", "Fields to change on a project (JSON merge patch).")


class ProjectRead(EntityRead):
    """A project as stored."""

    slug: str
    external_id: str | None
    title: str
    kind: ProjectKind
    lab_id: uuid.UUID | None
    region_code: str | None
    summary: str | None
    theme_code: str
    secondary_themes: list[str]
    status: ProjectStatus
    status_since: date = Field(description="The day the current phase began.")
    starts_on: date | None
    ends_on: date | None
    users_involved: int | None
    agents_involved: int | None
    results: str | None
    lessons: str | None
    replicates_project_id: uuid.UUID | None
    publication: Publication
    publication_note: str | None


class LabProjectFilters(ListParams):
    """Filters of a lab's project list."""

    region: RegionParam | None = Field(default=None, description="INSEE code or name.")
    theme: CodeParam | None = Field(default=None, description="Primary theme code, in any case or accents.")
    status: ProjectStatus | None = None
    kind: ProjectKind | None = None
    starts_after: Day | None = Field(default=None, description="Starting on or after this day.")
    starts_before: Day | None = Field(default=None, description="Starting on or before this day.")
    replicates: str | None = Field(
        default=None, max_length=200, description="Projects replicating this one (id, slug or external_id)."
    )
    publication: PublicationParam
    sort: Literal["relevance", "title", "-title", "created_at", "-created_at", "updated_at", "-updated_at"] = "title"


class ProjectFilters(LabProjectFilters):
    """Filters of the project list."""

    lab: str | None = Field(default=None, max_length=200, description="Lab by id, slug or external_id.")


class StatusChangeRead(Read):
    """One step of a project's history; `from_status` is null for its creation. `effective_on` is the day the
    phase began, `at` when the change was written."""

    from_status: ProjectStatus | None
    to_status: ProjectStatus
    effective_on: date
    at: datetime
    actor: str


class PartnerCreate(Input):
    """An organization taking part in a project, in one role."""

    organization_id: uuid.UUID
    role: PartnerRole
    external_id: ExternalId | None = None


class PartnerChange(Input):
    """A partnership's full representation once created: the organization stays, the role may change."""

    role: PartnerRole
    external_id: ExternalId | None = None


PartnerUpdate = partial(PartnerChange, "PartnerUpdate", "Fields to change on a partnership (JSON merge patch).")


class PartnerRead(EntityRead):
    """A partnership as stored."""

    external_id: str | None
    project_id: uuid.UUID
    organization_id: uuid.UUID
    role: PartnerRole


class PartnerFilters(ListParams):
    """Filters of a project's partner list; `q` looks in the organizations' names."""

    role: PartnerRole | None = None
    organization: str | None = Field(
        default=None, max_length=200, description="Organization by id, slug or external_id."
    )
    sort: Literal["created_at", "-created_at", "updated_at", "-updated_at"] = "created_at"
