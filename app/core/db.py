"""Engine, sessions and the one-transaction-per-request dependency."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.core import audit
from app.core.config import Settings
from app.core.locking import begin_write

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect


def json_text(value: Any) -> str:
    """JSON columns are written with orjson: several times faster than `json`, which counts in bulk imports."""
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the engine for the configured database; SQLite gets its pragmas on every connection."""
    if settings.is_sqlite:
        engine = create_async_engine(settings.database_url, echo=settings.db_echo, json_serializer=json_text)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(settings.sqlite_busy_timeout_ms))
        return engine
    return create_async_engine(
        settings.database_url,
        echo=settings.db_echo,
        json_serializer=json_text,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_recycle=settings.db_pool_recycle_seconds,
        pool_pre_ping=True,
        connect_args={"timeout": settings.db_connect_timeout_seconds},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions keep loaded objects usable after commit so responses can be built from them."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One request, one transaction: commit when the handler succeeded, roll back otherwise.

    A request that may write opens its transaction as a writer (`begin_write`: BEGIN IMMEDIATE on SQLite) so
    that the rules it checks see no concurrent write; reads stay deferred and run alongside it (WAL).
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        session.info[audit.REQUEST_ID] = getattr(request.state, "request_id", None)
        try:
            if request.method not in READ_METHODS:
                await begin_write(session)
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


@asynccontextmanager
async def session_scope(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One write transaction outside HTTP (CLI, seed): commit on success, roll back on error, engine disposed.

    It is opened as a writer (`begin_write`), like a write request, since the server may be writing meanwhile.
    """
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            session.info[audit.ACTOR] = audit.CLI
            await begin_write(session)
            yield session
    finally:
        await engine.dispose()
