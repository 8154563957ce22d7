"""Engine, sessions and the one-transaction-per-request dependency."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
import orjson
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Dialect, ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from app.core import audit, idempotency
from app.core.config import Settings
from app.core.errors import DatabaseUnavailable
from app.core.locking import begin_write

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What opening a PostgreSQL connection raises while the server is away: refused or timed out at the socket
# (OSError), starting up or shutting down (CannotConnectNowError), or cut during the handshake.
_CONNECT_FAILURES = (OSError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError)

logger = logging.getLogger(__name__)


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
    """JSON columns are written (and read) with orjson: several times faster than `json`, which counts in bulk
    imports and in every page of a list."""
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _connect_or_unavailable(
    dialect: Dialect, _record: ConnectionPoolEntry, cargs: tuple[Any, ...], cparams: dict[str, Any]
) -> Any:
    """A PostgreSQL that cannot be reached is DatabaseUnavailable (503 over HTTP), not an unexpected error. The
    driver's adapter wraps some of the failures (CannotConnectNowError): their cause tells."""
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as exc:
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, _CONNECT_FAILURES):
            cause = cause.__cause__
        if cause is None:
            raise
        logger.warning("The database is unreachable: %s: %s", type(cause).__name__, cause)
        raise DatabaseUnavailable() from exc


def _disconnect_as_unavailable(context: ExceptionContext) -> BaseException | None:
    """A connection lost mid-statement (the server stopped or restarted) is DatabaseUnavailable too; the pool
    has discarded it already. A failed pre-ping is left alone: the pool then opens a new connection."""
    if not context.is_disconnect or context.is_pre_ping:
        return None
    logger.warning("The database connection was lost: %s", context.original_exception)
    return DatabaseUnavailable()


def _drop_closed(_dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """The pool's check before lending a connection, in place of SQLAlchemy's pre-ping, which costs three round
    trips on asyncpg (BEGIN, a query, ROLLBACK) on every checkout: a connection the server closed (restart,
    termination, idle cut) is already known closed to asyncpg, and is then replaced by a new one."""
    if record.driver_connection is None or record.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the engine for the configured database; SQLite gets its pragmas on every connection, PostgreSQL
    answers DatabaseUnavailable while it cannot be reached."""
    shared: dict[str, Any] = {
        "echo": settings.db_echo,
        "json_serializer": json_text,
        "json_deserializer": orjson.loads,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_seconds,
    }
    if settings.is_sqlite:
        engine = create_async_engine(settings.database_url, **shared)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(settings.sqlite_busy_timeout_ms))
        return engine
    engine = create_async_engine(
        settings.database_url,
        **shared,
        pool_recycle=settings.db_pool_recycle_seconds,
        pool_pre_ping=False,
        connect_args={"timeout": settings.db_connect_timeout_seconds},
    )
    event.listen(engine.sync_engine, "checkout", _drop_closed)
    event.listen(engine.sync_engine, "do_connect", _connect_or_unavailable)
    event.listen(engine.sync_engine, "handle_error", _disconnect_as_unavailable)
    return engine


def create_reader(settings: Settings, engine: AsyncEngine) -> AsyncEngine:
    """The engine list pages are read on by the direct way (`app.core.direct`): on SQLite one of its own with
    SQLITE_READERS connections, so that many concurrent reads do not mean as many threads, while streamed exports
    and writes keep the main pool; on PostgreSQL the main engine."""
    if not settings.is_sqlite:
        return engine
    return create_engine(settings.model_copy(update={"db_pool_size": settings.sqlite_readers, "db_max_overflow": 0}))


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions keep loaded objects usable after commit so responses can be built from them."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One request, one transaction: commit when the handler succeeded, roll back otherwise. A POST that holds
    an Idempotency-Key marks its claim applied in this transaction (`idempotency.mark_applied`).

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
            await idempotency.mark_applied(session, request.scope.get("state", {}))
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def read_connection(session: AsyncSession) -> AsyncConnection:
    """The session's connection for a list page; on PostgreSQL a read that opens the session runs it in
    autocommit, which saves the BEGIN and COMMIT round trips.

    Under READ COMMITTED, PostgreSQL's default and the app's, every statement takes its own snapshot even
    inside a transaction, so the page and its count read exactly what they would have read in one. SQLite's
    driver opens no transaction for reads in the first place. A session that already began (a key was looked
    up, the parent of a nested list was loaded) keeps its transaction.
    """
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        return await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return await session.connection()


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A pooled connection for reads outside any session (`app.core.direct`): in autocommit on PostgreSQL, as
    `read_connection` explains; SQLite's driver opens no transaction for reads."""
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


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
