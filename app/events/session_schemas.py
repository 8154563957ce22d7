"""Request and response shapes of an event's sessions."""

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from app.core.schemas import EntityRead, Input, Instant, partial

SESSION_TIME = (
    "RFC 3339. Without an offset it is a local time, read in the event's `timezone` (as the event's own dates). "
    "Returned in UTC."
)


class SessionStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class SessionCreate(Input):
    """A dated time an event meets."""

    starts_at: Instant = Field(examples=["2020-11-17T09:00:00"], description=SESSION_TIME)
    ends_at: Instant = Field(examples=["2020-11-17T12:00:00"], description=f"On or after `starts_at`. {SESSION_TIME}")
    status: SessionStatus = Field(
        default=SessionStatus.scheduled, description="A session may be cancelled alone: the event stays on."
    )


class SessionInline(SessionCreate):
    """A session in an event's body: with the `id` of one the event has, that session is changed in place (its
    calendar UID stays); without, a new one."""

    id: uuid.UUID | None = None


SessionUpdate = partial(SessionCreate, "SessionUpdate", "Fields to change on a session (JSON merge patch).")


class SessionRead(EntityRead):
    """A session as stored; instants in UTC."""

    event_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
