"""Shapes of audit entries and of their filters."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import AwareInstant, Read
from app.lists.pagination import DEFAULT_LIMIT, MAX_LIMIT


class AuditAction(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"


class AuditEntryRead(Read):
    """One write: when, by whom, what it changed, and the entity's state after it (before it, for a delete)."""

    id: int = Field(description="Position in the trail: later entries have larger ids.")
    at: datetime
    actor: str = Field(description="The API key's name and prefix (`Lab Bretagne app (lr_ab12cd34)`), or `cli`.")
    actor_key_id: uuid.UUID | None
    action: AuditAction
    entity_type: str = Field(examples=["lab", "funding_stream", "project_partner", "api_key"])
    entity_id: uuid.UUID
    version: int | None = Field(description="The entity's version after the write (the last one, for a delete).")
    changes: dict[str, list[Any]] = Field(description="`{field: [before, after]}` for each field the write changed.")
    data: dict[str, Any] = Field(description="The entity's state after the write; for a delete, its last state.")
    request_id: str | None


class AuditFilters(BaseModel):
    """Filters of the audit trail, read oldest first (or newest first with `sort=-id`)."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Entries per page (1–500).")
    cursor: str | None = Field(default=None, max_length=2000, description="The `next_cursor` of the previous page.")
    entity_type: str | None = Field(default=None, max_length=40, examples=["lab"])
    entity_id: uuid.UUID | None = None
    actor: str | None = Field(
        default=None, max_length=200, description="An actor as shown (`name (lr_…)`), an API key's id, or `cli`."
    )
    action: AuditAction | None = None
    since: AwareInstant | None = Field(default=None, description="Entries at or after this instant (RFC 3339).")
    sort: str = Field(default="id", pattern="^-?id$", description="`id` (oldest first) or `-id` (newest first).")
