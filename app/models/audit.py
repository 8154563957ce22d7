"""The audit trail: one row per write, appended in the write's own transaction, never updated or deleted."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_type", "entity_id", "id"),
        Index("ix_audit_log_actor", "actor", "id"),
        Index("ix_audit_log_seq", "seq", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    actor: str = Field(sa_type=String(200), nullable=False)
    actor_key_id: uuid.UUID | None = None
    action: str = Field(sa_type=String(20), nullable=False)
    entity_type: str = Field(sa_type=String(40), nullable=False)
    entity_id: uuid.UUID = Field(nullable=False)
    version: int | None = None
    # {field: [before, after]}: a create's fields come from null, a delete's go to null.
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    # The entity as it is after the write; for a delete, as it was last.
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    request_id: str | None = Field(default=None, sa_type=String(128))
    # How the public feed shows the write (create, update, delete, publish, unpublish), None when it does not: a
    # draft's writes are not public (app.publication). `lab_id` is the lab a draft belongs to, whose keys see it.
    public_action: str | None = Field(default=None, sa_type=String(20))
    lab_id: uuid.UUID | None = None
    # Position in commit order (the change feed's `seq`), numbered as the write commits: see app.audit.trail.
    seq: int | None = Field(default=None, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
