"""Sessions of an event: the dated times it meets (a training cycle of three mornings is one event, three sessions)."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlmodel import Field

from app.models.base import Entity, UTCDateTime


class EventSession(Entity, table=True):
    __tablename__ = "event_sessions"
    __table_args__ = (
        CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
        # The agenda across events, in time order; and an event's own sessions, in time order.
        Index("ix_event_sessions_starts_at_id", "starts_at", "id"),
        Index("ix_event_sessions_event_id_starts_at", "event_id", "starts_at"),
    )

    event_id: uuid.UUID = Field(foreign_key="events.id", nullable=False)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # scheduled | cancelled: a session may be cancelled alone, the event and its other sessions still on.
    status: str = Field(default="scheduled", sa_type=String(20), nullable=False)
