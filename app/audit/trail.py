"""Appending to the audit trail, in the transaction of the write it records. Each entry also gets its change-feed
`seq` as that transaction commits, under a lock held until the commit is visible, so that `seq` order is commit
order (docs/architecture.md, "The audit trail and the change feed"). A key acts as `name (prefix)`.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import SQLModel

from app.core.db import ACTOR, REQUEST_STATE
from app.core.security import CALLER_STATE
from app.models.audit import AuditEntry

_UNNUMBERED = "audit_unnumbered"
# Any constant works as long as nothing else in the database takes the same advisory lock.
_COMMIT_ORDER_LOCK = 0x4C52_5345_51  # "LRSEQ"
# Derived or bookkeeping columns that say nothing the other fields do not.
NOT_AUDITED = frozenset({"search_title", "search_text", "updated_at", "version", "key_hash"})


@dataclass(frozen=True)
class Actor:
    """Who writes: a key (`Caller.actor`, `name (prefix)`) and its id, or who opened a session outside requests."""

    name: str
    key_id: uuid.UUID | None = None


CLI = Actor("cli")
UNKNOWN = Actor("unknown")


def actor_of(session: AsyncSession) -> Actor:
    """Who writes in this session: the request's API key, else who opened it (the command line, the seed)."""
    state = session.info.get(REQUEST_STATE)
    if state is None:
        return Actor(session.info.get(ACTOR, CLI.name))
    caller = getattr(state, CALLER_STATE, None)
    if caller is None or caller.key_id is None:
        return UNKNOWN
    return Actor(caller.actor, caller.key_id)


def request_id_of(session: AsyncSession) -> str | None:
    """The X-Request-ID of the request the session serves."""
    request_id: str | None = getattr(session.info.get(REQUEST_STATE), "request_id", None)
    return request_id


def state(entity: SQLModel | Mapping[str, Any]) -> dict[str, Any]:
    """The entity's columns (an ORM object, or a row as a mapping) as JSON values."""
    if isinstance(entity, SQLModel):
        dumped: dict[str, Any] = entity.model_dump(mode="json", exclude=set(NOT_AUDITED))
        return dumped
    jsonable: dict[str, Any] = to_jsonable_python({k: v for k, v in entity.items() if k not in NOT_AUDITED})
    return jsonable


PUBLISHED = "published"
"""The publication state of a public row (app.publication): the public feed shows the writes of those only."""


def public_action(action: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
    """How the public change feed shows a write: as it is for rows that are always public; for a row that may be
    a draft, `create`/`update`/`delete` while it is published, `publish` when it becomes public, `unpublish` when
    it stops being, and not at all while it is not (a follower's copy holds exactly the published rows)."""
    state = after or before
    if "publication" not in state:
        return action
    was, now = before.get("publication") == PUBLISHED, after.get("publication") == PUBLISHED
    if action == "create":
        return "create" if now else None
    if action == "delete":
        return "delete" if was else None
    return "update" if was and now else "publish" if now else "unpublish" if was else None


def _lab_of(state: Mapping[str, Any]) -> uuid.UUID | None:
    """The lab whose keys see a draft's entries (app.publication.visibility)."""
    lab_id = state.get("lab_id") if "publication" in state else None
    return uuid.UUID(str(lab_id)) if lab_id else None


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields that changed; a create is all [null, value], a delete [value, null]."""
    names = [*before, *(name for name in after if name not in before)]
    return {name: [before.get(name), after.get(name)] for name in names if before.get(name) != after.get(name)}


def entry(
    session: AsyncSession,
    *,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID,
    version: int | None,
    before: dict[str, Any],
    after: dict[str, Any],
) -> dict[str, Any]:
    """The columns of one entry: who (see `actor_of`), what, the changed fields and the state after the write
    (the last state, for a delete)."""
    actor = actor_of(session)
    return {
        "actor": actor.name,
        "actor_key_id": actor.key_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "version": version,
        "changes": diff(before, after),
        "data": after or before,
        "request_id": request_id_of(session),
        "public_action": public_action(action, before, after),
        "lab_id": _lab_of(after or before),
    }


def record(session: AsyncSession, **described: Any) -> None:
    """Add one entry (see `entry`) to the session; it is flushed and committed with the write it describes."""
    session.add(AuditEntry(**entry(session, **described)))
    session.info[_UNNUMBERED] = True


async def append_staged(session: AsyncSession, stage: str, columns: Sequence[str]) -> None:
    """Move the entries a bulk import staged (`stage`, its `seq` counting 1, 2, 3…) into the trail, numbered.

    The same numbering as at commit, done once for all of them: the lock is taken now and held until the
    import's transaction ends, and each entry is written once, already numbered, rather than written and then
    updated. Call it last in the transaction: other writers wait for the lock to commit.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _COMMIT_ORDER_LOCK})
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    last = (await session.execute(select(func.coalesce(func.max(table.c.seq), 0)))).scalar_one()
    names = ", ".join(columns)
    await session.execute(
        text(f"INSERT INTO audit_log ({names}, seq) SELECT {names}, seq + :last FROM {stage} ORDER BY seq"),
        {"last": last},
    )


# Only this transaction's entries have no `seq` where it looks: committed ones are all numbered, and other
# transactions' uncommitted ones are invisible to it (PostgreSQL) or cannot exist (SQLite's single writer).
_NUMBER_UNNUMBERED = text(
    "UPDATE audit_log SET seq = numbered.n + :last "
    "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_log WHERE seq IS NULL) AS numbered "
    "WHERE audit_log.id = numbered.id"
)


@event.listens_for(Session, "before_commit")
def _number_in_commit_order(session: Session) -> None:
    """Give this transaction's entries their `seq`, after every committed one (see the module docstring)."""
    if session.in_nested_transaction() or not session.info.pop(_UNNUMBERED, False):
        return
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _COMMIT_ORDER_LOCK})
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    last = connection.execute(select(func.coalesce(func.max(table.c.seq), 0))).scalar_one()
    connection.execute(_NUMBER_UNNUMBERED, {"last": last})


@event.listens_for(Session, "after_transaction_end")
def _forget_unnumbered(session: Session, transaction: SessionTransaction) -> None:
    """Entries of a rolled-back transaction were never written: nothing to number at the next commit."""
    if transaction.parent is None:
        session.info.pop(_UNNUMBERED, None)
