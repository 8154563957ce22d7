"""Shapes of API keys."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field

from app.core.schemas import Input, Instant, Read


class Scope(StrEnum):
    read = "read"
    write = "write"
    admin = "admin"


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give an offset (e.g. 2027-01-01T00:00:00Z)")
    return value


class ApiKeyCreate(Input):
    """A new key: who it is for, what it may do, until when."""

    name: str = Field(min_length=1, max_length=200, examples=["Tableau de bord Bretagne"])
    scopes: list[Scope] = Field(min_length=1, examples=[["read", "write"]])
    expires_at: Annotated[Instant | None, AfterValidator(_aware)] = None


class ApiKeyRead(Read):
    """A key as stored: never the key itself, only its recognisable prefix."""

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    """The answer to a creation: the only time the key is shown."""

    key: str = Field(description="The secret key; store it now, it is never shown again.")
