"""Webhook subscriptions and their deliveries (the dispatcher's work queue and its record of attempts)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String, Uuid
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class WebhookSubscription(SQLModel, table=True):
    __tablename__ = "webhook_subscriptions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    url: str = Field(sa_type=String(1000), nullable=False)
    event_types: list[str] = Field(sa_type=JSON, nullable=False)
    description: str | None = Field(default=None, sa_type=String(500))
    # Kept in clear: signing needs it. `whsec_` + base64 of 32 random bytes (Standard Webhooks).
    secret: str = Field(sa_type=String(100), nullable=False)
    active: bool = Field(default=True, nullable=False)
    # What the creating key may see of drafts, kept for its deliveries: none (public changes only), all of them
    # (`drafts_of_labs` null), or those of its labs.
    sees_drafts: bool = Field(default=False, nullable=False)
    drafts_of_labs: list[str] | None = Field(default=None, sa_type=JSON)
    # The feed `seq` up to which changes were fanned out into deliveries: the dispatcher's durable position.
    position: int = Field(default=0, sa_type=BigInteger().with_variant(Integer(), "sqlite"), nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class WebhookDelivery(SQLModel, table=True):
    """One message to one subscription; a redelivery is a new row carrying the same message id."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_subscription", "subscription_id", "seq"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_entity", "subscription_id", "entity_id", "seq"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subscription_id: uuid.UUID = Field(
        sa_column=Column(Uuid(), ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), nullable=False)
    )
    # The `webhook-id` header: the same on every attempt, and on a redelivery, so receivers can drop duplicates.
    message_id: str = Field(sa_type=String(40), nullable=False)
    seq: int = Field(sa_type=BigInteger().with_variant(Integer(), "sqlite"), nullable=False)
    event_type: str = Field(sa_type=String(80), nullable=False)
    entity_id: uuid.UUID = Field(nullable=False)
    payload: dict[str, Any] = Field(sa_type=JSON, nullable=False)
    # pending → delivered, or → failed once the attempts are exhausted.
    status: str = Field(default="pending", sa_type=String(20), nullable=False)
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # A dispatcher's lease while it sends: another dispatcher takes the delivery only once the lease ran out.
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_type=String(500))
    # [{"at", "status_code", "error", "duration_ms"}], oldest first.
    attempt_log: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
