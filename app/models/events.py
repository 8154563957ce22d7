"""Events: webinars, trainings, workshops… held by labs and organizations."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlmodel import Field

from app.models.base import Entity, UTCDateTime

FILTERED = ("theme_code", "format", "status", "organizer_organization_id", "lab_id", "project_id", "campaign_id")
PLACED = ("department_code", "commune_code")


class Event(Entity, table=True):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_positive"),
        CheckConstraint("participants_count IS NULL OR participants_count >= 0", name="participants_positive"),
        CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
        CheckConstraint("registered_count IS NULL OR registered_count >= 0", name="registered_positive"),
        # The default sort's indexes carry the place's point: a `near` page walks them and reads the table only
        # for the rows in the circle's box (docs/architecture.md, "Distance").
        Index("ix_events_starts_at_id", "starts_at", "id", "latitude", "longitude"),
        Index("ix_events_region_code_starts_at_id", "region_code", "starts_at", "id"),
        # Each list filter followed by the default sort: a filtered page is one index seek (migration 0007).
        *(Index(f"ix_events_{name}_starts_at_id", name, "starts_at", "id") for name in FILTERED),
        *(Index(f"ix_events_{name}_starts_at_id", name, "starts_at", "id") for name in PLACED),
        Index("ix_events_title_id", "title", "id"),
        Index("ix_events_publication_starts_at_id", "publication", "starts_at", "id", "latitude", "longitude"),
        # Covers the published figures of a campaign (by theme, by format, training sessions, participants): see
        # bench/stats.py.
        Index(
            "ix_events_campaign_stats",
            "campaign_id",
            "publication",
            "theme_code",
            "format",
            "status",
            "participants_count",
        ),
    )

    external_id: str | None = Field(default=None, sa_type=String(200), unique=True)
    title: str = Field(sa_type=String(300), nullable=False)
    description: str | None = Field(default=None, sa_type=Text)
    theme_code: str = Field(foreign_key="themes.code", sa_type=String(64), nullable=False)
    tags: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    format: str = Field(foreign_key="event_formats.code", sa_type=String(64), nullable=False)
    attendance_mode: str = Field(sa_type=String(20), nullable=False)
    audience: str = Field(sa_type=String(20), nullable=False)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    timezone: str = Field(sa_type=String(64), nullable=False)
    # The calendar day the event starts on where it happens, so months and weeks group in local time.
    local_start_date: date = Field(nullable=False)
    status: str = Field(sa_type=String(20), nullable=False)
    organizer_organization_id: uuid.UUID | None = Field(default=None, foreign_key="organizations.id")
    lab_id: uuid.UUID | None = Field(default=None, foreign_key="labs.id")
    project_id: uuid.UUID | None = Field(default=None, foreign_key="projects.id")
    campaign_id: uuid.UUID | None = Field(default=None, foreign_key="campaigns.id")
    region_code: str | None = Field(default=None, foreign_key="regions.code", sa_type=String(3))
    # The place as the API shows it; its city, point and commune are copied to columns of their own, which the
    # filters use (app.events.rules.placed_in_space).
    place: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    city: str | None = Field(default=None, sa_type=String(200))
    latitude: float | None = None
    longitude: float | None = None
    commune_code: str | None = Field(default=None, sa_type=String(5))
    department_code: str | None = Field(default=None, sa_type=String(3))
    online_url: str | None = Field(default=None, sa_type=String(1000))
    registration_url: str | None = Field(default=None, sa_type=String(1000))
    registration_deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    capacity: int | None = None
    registered_count: int | None = None
    places_left: int | None = None
    is_full: bool = Field(default=False, nullable=False)
    participants_count: int | None = None
    price: str | None = Field(default=None, sa_type=String(8))
    price_note: str | None = Field(default=None, sa_type=String(200))
    accessibility: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    languages: list[str] = Field(default_factory=lambda: ["fr"], sa_type=JSON, nullable=False)
    # draft | submitted | published | rejected: only what is published is public (app.publication).
    publication: str = Field(default="published", sa_type=String(16), nullable=False)
    publication_note: str | None = Field(default=None, sa_type=String(1000))
    search_title: str = Field(default="", sa_type=Text, nullable=False)
    search_text: str = Field(default="", sa_type=Text, nullable=False)
