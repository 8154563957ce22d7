"""The publication history of events and projects: every move between draft, submitted, published, rejected."""

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class PublicationChange(SQLModel, table=True):
    __tablename__ = "publication_changes"
    __table_args__ = (Index("ix_publication_changes_entity", "entity_type", "entity_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity_type: str = Field(sa_type=String(40), nullable=False)
    entity_id: uuid.UUID = Field(nullable=False)
    from_state: str | None = Field(default=None, sa_type=String(16))
    to_state: str = Field(sa_type=String(16), nullable=False)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor: str = Field(sa_type=String(200), nullable=False)
    note: str | None = Field(default=None, sa_type=String(1000))
