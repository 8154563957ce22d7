"""Shapes of the change feed and of its query."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import Read
from app.lists.pagination import DEFAULT_LIMIT, MAX_LIMIT


class ChangeAction(StrEnum):
    """`publish` when a row becomes public (its full state), `unpublish` when it stops being (a tombstone);
    `submitted` is shown to those who see drafts only."""

    create = "create"
    update = "update"
    delete = "delete"
    publish = "publish"
    unpublish = "unpublish"
    submitted = "submitted"


class EntityType(StrEnum):
    """The entities the feed carries (API keys and webhook subscriptions are internal and never in it)."""

    organization = "organization"
    lab = "lab"
    funding_stream = "funding_stream"
    allocation = "allocation"
    disbursement = "disbursement"
    project = "project"
    project_partner = "project_partner"
    project_status_change = "project_status_change"
    campaign = "campaign"
    event = "event"


class Change(Read):
    """One committed write."""

    seq: int = Field(description="Position in commit order; pass the last one you processed as `since`.")
    at: datetime
    entity_type: EntityType
    entity_id: uuid.UUID
    action: ChangeAction
    version: int | None = Field(description="The entity's version after the write (its last one, for a delete).")
    data: dict[str, Any] = Field(
        description='The entity\'s state after the write; for a delete, a tombstone `{"id", "deleted": true}`.'
    )


class ChangePage(BaseModel):
    """A page of the feed; `next_cursor` is always given, also on an empty page, so a follower can keep polling."""

    items: list[Change]
    next_cursor: str = Field(description="Pass as `since` to get what follows (the same value when nothing did).")


class ChangeFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: str | None = Field(
        default=None,
        max_length=30,
        description="The `next_cursor` of the previous page (the `seq` of the last change seen); absent: from "
        "the first change.",
    )
    types: str | None = Field(
        default=None,
        max_length=500,
        description="Comma-separated entity types to keep, e.g. `lab,event`; absent: all.",
        examples=["lab,event"],
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Changes per page (1–500).")
    publication: Literal["any"] | None = Field(
        default=None,
        description="`any`: also the writes of unpublished rows, for a key that may see them (`write` or "
        "`publish`; a key bound to labs sees its labs'); absent: the public feed, which holds exactly what is "
        "published.",
    )
