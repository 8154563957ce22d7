"""Appending to the audit trail, in the transaction of the write it records.

Who acts is put on the session by whoever opens it: the access check for HTTP requests (the API key's id, and
its name with its prefix), `session_scope` for the CLI (`cli`). The request id comes from the request's state.

Commit order (the change feed's `seq`). An entry's `id` is taken at INSERT, so two transactions can commit in
the other order than their ids: a feed reader following ids could see id 10 before id 9 commits, move past 9
and never see it. So every entry also gets a `seq`, numbered just before its transaction commits, under a
lock that is held until the commit is complete (`_number_in_commit_order`):

- **PostgreSQL**: a transaction-scoped advisory lock (`pg_advisory_xact_lock`) serializes the numbering of
  committing writers. The holder reads `max(seq)` (READ COMMITTED: a fresh snapshot, so it sees the previous
  holder's commit), numbers its entries after it, and keeps the lock until its COMMIT is visible — PostgreSQL
  releases locks only after the transaction became visible. Hence seq order is commit order, and a reader that
  sees seq N already sees every committed seq below N. The cost is one short critical section per writing
  transaction (an indexed max and one UPDATE numbering its unnumbered entries), not the whole transaction.
- **SQLite** has one writer at a time (BEGIN IMMEDIATE, or the write lock taken at the first write), held until
  COMMIT: the same numbering needs no further lock.

Entries with a NULL `seq` belong to transactions not committed yet; nobody outside them can see them.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import SQLModel

from app.models.audit import AuditEntry

ACTOR = "audit_actor"
REQUEST_ID = "audit_request_id"
_UNNUMBERED = "audit_unnumbered"
# Any constant works as long as nothing else in the database takes the same advisory lock.
_COMMIT_ORDER_LOCK = 0x4C52_5345_51  # "LRSEQ"
# Derived or bookkeeping columns that say nothing the other fields do not.
NOT_AUDITED = frozenset({"search_text", "updated_at", "version", "key_hash"})


ACTOR_LENGTH = 200
"""The width of the `actor` columns (audit trail, project history)."""


@dataclass(frozen=True)
class Actor:
    name: str
    key_id: uuid.UUID | None = None

    @classmethod
    def of_key(cls, name: str, prefix: str, key_id: uuid.UUID) -> "Actor":
        """A key acts as `name (prefix)`, e.g. `Lab Bretagne app (lr_ab12cd34)`: no key passes for another
        one or for the CLI. A long name is cut to fit the column; the prefix is always kept."""
        suffix = f" ({prefix})"
        if len(name) + len(suffix) > ACTOR_LENGTH:
            name = name[: ACTOR_LENGTH - len(suffix) - 1] + "…"
        return cls(name + suffix, key_id)


CLI = Actor("cli")
UNKNOWN = Actor("unknown")


def state(entity: SQLModel) -> dict[str, Any]:
    """The entity's columns as JSON values."""
    dumped: dict[str, Any] = entity.model_dump(mode="json", exclude=set(NOT_AUDITED))
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
    entry = AuditEntry(
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
    session.add(entry)
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
