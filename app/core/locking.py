"""Serializing the writes that check a rule across rows, so that two concurrent requests cannot both pass it.

A writer's transaction (`session.info[WRITER]`) takes the database's write lock at its first statement on
SQLite (`BEGIN IMMEDIATE`; readers go on under WAL); on PostgreSQL, `lock_for_update` locks the parent row a
rule reads an aggregate of (`FOR NO KEY UPDATE`). See docs/architecture.md.
"""

import uuid
from typing import Any

from sqlalchemy import Connection, RowMapping, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

WRITER = "writer"
"""`session.info` key: the session writes, so its transaction begins as a writer."""


@event.listens_for(Session, "after_begin")
def _begin_as_writer(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    """`BEGIN IMMEDIATE` before anything else the writer runs on SQLite; PostgreSQL needs nothing more. Python's
    sqlite3 then finds a transaction open and opens none of its own."""
    if session.info.get(WRITER) and connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


async def lock_for_update(session: AsyncSession, model: Any, ident: uuid.UUID) -> RowMapping | None:
    """Lock one row until the transaction ends and return its current values (None when it does not exist).

    The values come back as a mapping and the session's objects are left as loaded: a rule checked on them sees
    what other transactions committed, while the version check of a later UPDATE still refuses a write based on
    an object read before that commit. SQLite has no `FOR UPDATE`: there it is a plain re-read.
    """
    table = model.__table__
    stmt = select(table).where(table.c.id == ident).with_for_update(key_share=True)
    return (await session.execute(stmt)).mappings().one_or_none()
