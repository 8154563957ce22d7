"""Projects and actions, their partner organizations, and the history of their status."""

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import Entity, UTCDateTime, utcnow


class Project(Entity, table=True):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("users_involved IS NULL OR users_involved >= 0", name="users_involved_positive"),
        CheckConstraint("agents_involved IS NULL OR agents_involved >= 0", name="agents_involved_positive"),
    )

    slug: str = Field(sa_type=String(120), unique=True, nullable=False)
    external_id: str | None = Field(default=None, sa_type=String(200), unique=True)
    title: str = Field(sa_type=String(300), nullable=False, index=True)
    kind: str = Field(sa_type=String(20), nullable=False)
    lab_id: uuid.UUID | None = Field(default=None, foreign_key="labs.id", index=True)
    region_code: str | None = Field(default=None, foreign_key="regions.code", sa_type=String(3), index=True)
    summary: str | None = Field(default=None, sa_type=Text)
    theme_code: str = Field(foreign_key="themes.code", sa_type=String(64), nullable=False, index=True)
    secondary_themes: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    status: str = Field(sa_type=String(20), nullable=False, index=True)
    # The day the current phase began: the `effective_on` of the last entry of the status history.
    status_since: date = Field(nullable=False)
    starts_on: date | None = None
    ends_on: date | None = None
    users_involved: int | None = None
    agents_involved: int | None = None
    results: str | None = Field(default=None, sa_type=Text)
    lessons: str | None = Field(default=None, sa_type=Text)
    replicates_project_id: uuid.UUID | None = Field(default=None, foreign_key="projects.id", index=True)
    # draft | submitted | published | rejected: only what is published is public (app.publication).
    publication: str = Field(default="published", sa_type=String(16), nullable=False, index=True)
    publication_note: str | None = Field(default=None, sa_type=String(1000))
    search_title: str = Field(default="", sa_type=Text, nullable=False)
    search_text: str = Field(default="", sa_type=Text, nullable=False)


class ProjectPartner(Entity, table=True):
    """An organization's role in a project: pilot, partner, funder or beneficiary."""

    __tablename__ = "project_partners"
    __table_args__ = (UniqueConstraint("project_id", "organization_id", "role"),)

    external_id: str | None = Field(default=None, sa_type=String(200), unique=True)
    project_id: uuid.UUID = Field(foreign_key="projects.id", nullable=False, index=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id", nullable=False, index=True)
    role: str = Field(sa_type=String(20), nullable=False)


class ProjectStatusChange(SQLModel, table=True):
    """One step of a project's life, kept forever: where it came from, where it went, when and by whom."""

    __tablename__ = "project_status_changes"
    # The phase a project was in on a day: its last change effective on or before that day.
    __table_args__ = (Index("ix_project_status_changes_phase", "project_id", "effective_on", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: uuid.UUID = Field(foreign_key="projects.id", nullable=False, index=True)
    from_status: str | None = Field(default=None, sa_type=String(20))
    to_status: str = Field(sa_type=String(20), nullable=False)
    # The day the phase began, which may be long before the row was written (`at`).
    effective_on: date = Field(nullable=False)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor: str = Field(sa_type=String(200), nullable=False)
