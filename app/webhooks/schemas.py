"""Shapes of subscriptions and deliveries."""

import re
import unicodedata
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx2
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.changes.schemas import EntityType
from app.core.schemas import Input, Read, Url, partial
from app.lists.pagination import DEFAULT_LIMIT, MAX_LIMIT

_EVENT_TYPE = re.compile(
    r"^(?P<entity>[a-z_]+)\.(?P<action>created|updated|deleted|published|unpublished|submitted|\*)$"
)
_ENTITIES = {t.value for t in EntityType}


def _check_event_type(value: str) -> str:
    match = _EVENT_TYPE.match(value)
    if value != "*" and (match is None or match["entity"] not in _ENTITIES):
        raise ValueError(
            "must be `*`, `<entity>.*` or `<entity>.created|updated|deleted|published|unpublished|submitted` with "
            "an entity among " + ", ".join(sorted(_ENTITIES))
        )
    return value


def _check_target_url(value: str) -> str:
    """What the HTTP client could not send is refused here, not found out at every delivery attempt."""
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("must not contain spaces or control characters")
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (reading it validates it)
    except ValueError:
        raise ValueError("has an invalid port") from None
    if not parts.hostname:
        raise ValueError("must name a host")
    try:
        httpx2.URL(value)
    except httpx2.InvalidURL as exc:
        raise ValueError(f"is not a URL the webhook client can send to ({exc})") from None
    return value


TargetUrl = Annotated[Url, AfterValidator(_check_target_url)]
EventType = Annotated[str, Field(max_length=80, examples=["event.created"]), AfterValidator(_check_event_type)]


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookCreate(Input):
    """A subscription: where to send, which changes, and a note for whoever reads the list."""

    url: TargetUrl = Field(
        description="http(s) URL receiving POSTs, with a host, without spaces or control characters; private, "
        "loopback and reserved addresses are refused (also when embedded in an IPv6 address)."
    )
    event_types: list[EventType] = Field(
        min_length=1,
        max_length=50,
        description="`<entity>.<created|updated|deleted>`, `<entity>.*`, or `*` for everything.",
        examples=[["event.created", "allocation.updated"]],
    )
    description: str | None = Field(default=None, max_length=500)
    active: bool = Field(default=True, description="Inactive subscriptions keep their queue but nothing is sent.")


WebhookPatch = partial(WebhookCreate, "WebhookPatch", "Fields to change (JSON merge patch); the rest is kept.")


class WebhookRead(Read):
    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    active: bool
    position: int = Field(description="The feed `seq` up to which changes were queued for this subscription.")
    sees_drafts: bool = Field(
        description="Whether it also receives the writes of unpublished rows (and `*.submitted`): when the key "
        "that created it may see them (`write` or `publish`; bound to labs: those labs' rows)."
    )
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="`whsec_` + base64 key to verify the `webhook-signature` header; shown only in this answer."
    )


class AttemptRead(BaseModel):
    at: datetime
    status_code: int | None = Field(description="The target's HTTP status; null when it could not be reached.")
    error: str | None
    duration_ms: int


class DeliveryRead(Read):
    id: uuid.UUID
    message_id: str = Field(description="The `webhook-id` header sent (the same on every retry and redelivery).")
    subscription_id: uuid.UUID
    seq: int
    event_type: str
    entity_id: uuid.UUID
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    attempt_log: list[AttemptRead]
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class DeliveryFilters(BaseModel):
    """Deliveries of a subscription, newest first."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1–500).")
    cursor: str | None = Field(default=None, max_length=2000, description="The `next_cursor` of the previous page.")
    status: DeliveryStatus | None = None
