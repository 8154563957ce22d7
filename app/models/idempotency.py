"""Idempotency keys: the POSTs already seen per API key, with the answer to replay for them."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class IdempotencyKey(SQLModel, table=True):
    """One claimed key; `response_status` stays null while the first request is in flight."""

    __tablename__ = "idempotency_keys"
    # One key per caller: two integrators choosing the same key never see each other's answers.
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    api_key_id: uuid.UUID = Field(foreign_key="api_keys.id", ondelete="CASCADE", nullable=False)
    key: str = Field(sa_type=String(255), nullable=False)
    # SHA-256 of the method, path and query, content type and body: a reuse for another request is refused.
    fingerprint: str = Field(sa_type=String(64), nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    # Set in the request's own transaction: an unanswered key without it was never committed.
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    response_status: int | None = Field(default=None)
    response_headers: list[list[str]] | None = Field(default=None, sa_type=JSON)
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary)
