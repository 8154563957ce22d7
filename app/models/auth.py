"""API keys: only their hash is stored; the key itself is shown once, at creation."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Uuid
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_type=String(200), nullable=False)
    # The first characters of the key (`lr_` + 8), to find the row and to recognise a key in a leak report.
    prefix: str = Field(sa_type=String(16), nullable=False, index=True)
    key_hash: str = Field(sa_type=String(64), nullable=False, unique=True)
    scopes: list[str] = Field(sa_type=JSON, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKeyLab(SQLModel, table=True):
    """A lab a key is bound to: such a key writes only its labs' rows, and sees their drafts. A lab keys are
    bound to cannot be deleted (the keys would be left bound to nothing, that is to everything)."""

    __tablename__ = "api_key_labs"

    api_key_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    )
    lab_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("labs.id"), primary_key=True))
