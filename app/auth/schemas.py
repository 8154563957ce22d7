"""Shapes of API keys."""

import unicodedata
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from app.core.schemas import Input, Instant, Read
from app.core.security import KEY_PREFIX
from app.models.base import utcnow

# The names the service itself writes under in histories and the audit trail.
RESERVED_NAMES = frozenset({"cli", "system", "seed", "seed-demo", "anonymous", "unknown"})


class Scope(StrEnum):
    """What a key may do: `write` content (organizations, labs, projects, campaigns, events), `funding` (streams,
    allocations, disbursements), `publish` (moderation), `admin` (keys, webhooks, audit); `read` when reads
    need a key."""

    read = "read"
    write = "write"
    funding = "funding"
    publish = "publish"
    admin = "admin"


def check_name(value: str) -> str:
    """A key's name, trimmed, is how histories and the audit trail call it (with its prefix): printable, none
    of the names the service writes under, nothing that reads as a key."""
    name = value.strip()
    if not name:
        raise ValueError("must not be blank")
    if any(unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} for c in name):
        raise ValueError("must not contain control or invisible formatting characters")
    if name.casefold() in RESERVED_NAMES:
        raise ValueError(f"is reserved ({', '.join(sorted(RESERVED_NAMES))} name the service itself)")
    if KEY_PREFIX in name.casefold():
        raise ValueError(f"must not contain `{KEY_PREFIX}`: it would read as a key or a key's prefix")
    return name


def check_expiry(value: datetime | None) -> datetime | None:
    """An expiry has an offset and lies in the future: a key born expired is a mistake."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("give an offset (e.g. 2027-01-01T00:00:00Z)")
    if value <= utcnow():
        raise ValueError("must be in the future")
    return value


class ApiKeyCreate(Input):
    """A new key: who it is for, what it may do, until when."""

    name: Annotated[str, AfterValidator(check_name)] = Field(
        min_length=1,
        max_length=200,
        examples=["Tableau de bord Bretagne"],
        description="Unique among live keys (case aside); histories name the key `name (lr_…prefix)`.",
    )
    scopes: list[Scope] = Field(
        min_length=1, examples=[["read", "write"]], description="At most the scopes of the key that creates it."
    )
    expires_at: Annotated[Instant | None, AfterValidator(check_expiry)] = Field(
        default=None,
        description="In the future; no later than the creating key's own expiry (required when that key expires).",
    )
    labs: list[Annotated[str, StringConstraints(min_length=1, max_length=120)]] | None = Field(
        default=None,
        max_length=50,
        examples=[["bretagne", "occitanie"]],
        description="Labs (id or slug) the key is bound to: it then writes only their rows and sees their drafts. "
        "Not with `funding`; within the creating key's own labs when that key is bound.",
    )

    @model_validator(mode="after")
    def _no_money_for_bound_keys(self) -> "ApiKeyCreate":
        if self.labs is not None and Scope.funding in self.scopes:
            raise ValueError("a key bound to labs cannot hold the `funding` scope: the money is written apart")
        if self.labs is not None and not self.labs:
            raise ValueError("labs, when given, names at least one lab")
        return self


class BoundLab(Read):
    """A lab a key is bound to."""

    id: uuid.UUID
    slug: str
    name: str


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
    labs: list[BoundLab] | None = Field(description="The labs the key is bound to; null: not bound.")


class ApiKeyCreated(ApiKeyRead):
    """The answer to a creation: the only time the key is shown."""

    key: str = Field(description="The secret key; store it now, it is never shown again.")
