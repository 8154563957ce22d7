"""Appending to the audit trail, in the transaction of the write it records.

Who acts is put on the session by whoever opens it: the access check for HTTP requests (the API key's id and
name), `session_scope` for the CLI (`cli`). The request id comes from the request's state.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from app.models.audit import AuditEntry

ACTOR = "audit_actor"
REQUEST_ID = "audit_request_id"
# Derived or bookkeeping columns that say nothing the other fields do not.
_NOT_AUDITED = frozenset({"search_text", "updated_at", "version", "key_hash"})


@dataclass(frozen=True)
class Actor:
    name: str
    key_id: uuid.UUID | None = None


CLI = Actor("cli")
UNKNOWN = Actor("unknown")


def state(entity: SQLModel) -> dict[str, Any]:
    """The entity's columns as JSON values."""
    dumped: dict[str, Any] = entity.model_dump(mode="json", exclude=set(_NOT_AUDITED))
    return dumped


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields that changed; a create is all [null, value], a delete [value, null]."""
    names = [*before, *(name for name in after if name not in before)]
    return {name: [before.get(name), after.get(name)] for name in names if before.get(name) != after.get(name)}


def record(
    session: AsyncSession,
    *,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID,
    version: int | None,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """Add one entry to the session; it is flushed and committed with the write it describes."""
    actor: Actor = session.info.get(ACTOR, UNKNOWN)
    session.add(
        AuditEntry(
            actor=actor.name,
            actor_key_id=actor.key_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            version=version,
            changes=diff(before, after),
            data=after or before,
            request_id=session.info.get(REQUEST_ID),
        )
    )
