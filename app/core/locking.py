"""Serializing the writes that check a rule across rows, so that two concurrent requests cannot both pass it.

A rule such as "the committed allocations of a stream never exceed its envelope" reads an aggregate and then
writes: two transactions that both read before either writes would both pass. Each engine gets the lock that
closes that window without slowing readers:

- **PostgreSQL**: `lock_for_update` takes a row lock on the parent (the funding stream, the allocation) before
  the aggregate is read. A second writer waits on that lock and, once it has it, reads the aggregate afresh
  (READ COMMITTED takes a new snapshot per statement), so it sees what the first one committed. The lock is
  `FOR NO KEY UPDATE`: it excludes other rule checks on the same parent, but not the foreign-key checks of
  unrelated inserts (a proposed allocation, a disbursement elsewhere), which take only `FOR KEY SHARE`.
- **SQLite** has one writer at a time, but a deferred transaction that reads first and writes later can still
  read a total that another connection is about to change. `begin_write` opens write transactions with
  `BEGIN IMMEDIATE`, taking the database's write lock before the first read; other writers wait for it
  (`busy_timeout`), while readers (deferred transactions, WAL) keep reading concurrently. `FOR UPDATE` does
  not exist in SQLite and SQLAlchemy leaves it out, so `lock_for_update` is then a plain re-read.

The explicit `BEGIN IMMEDIATE` is emitted on the connection that the session has just procured, before any
other statement. Python's sqlite3 driver (legacy transaction control, which aiosqlite keeps) only begins a
transaction by itself before a data-changing statement, so it simply finds one already open; commit and
rollback work as usual. Taking over every BEGIN (driver `isolation_level = None` plus a `begin` event) would
also do, but would put every other statement in a transaction, including the `PRAGMA foreign_keys=OFF` that
the migrations run before batch table copies, where SQLite ignores it.
"""

import uuid

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.base import Entity


async def begin_write(session: AsyncSession) -> None:
    """Open the session's transaction as a writer: `BEGIN IMMEDIATE` on SQLite; PostgreSQL needs nothing more.

    Must come before anything else is run on the session (`get_session` calls it first on every write request).
    """
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        await connection.exec_driver_sql("BEGIN IMMEDIATE")


async def lock_for_update(session: AsyncSession, model: type[Entity], ident: uuid.UUID) -> RowMapping | None:
    """Lock one row until the transaction ends and return its current values (None when it does not exist).

    The values come back as a mapping and the session's objects are left as loaded: a rule checked on them sees
    what other transactions committed, while the version check of a later UPDATE (see `Entity`) still refuses
    a write based on an object read before that commit.
    """
    table = model.__table__  # type: ignore[attr-defined]
    stmt = select(table).where(table.c.id == ident).with_for_update(key_share=True)
    return (await session.execute(stmt)).mappings().one_or_none()
