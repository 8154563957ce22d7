"""Engines, sessions and the one-transaction-per-request dependency."""

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

from app.core.config import Settings
from app.core.errors import DatabaseUnavailable
from app.core.locking import WRITER

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REQUEST_STATE = "request_state"
"""`session.info` key of the state of the request a session serves (its caller, request id, idempotency claim)."""
ACTOR = "actor"
"""`session.info` key of who writes in a session outside any request (`cli`, `seed-demo`)."""
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


def _rollback_if_open(dbapi_connection: Any, record: ConnectionPoolEntry, _state: Any) -> None:
    """A SQLite connection goes back to the pool rolled back only when a transaction is open: the pool's own
    rollback, on every return, is one more hand-off to the connection's thread, and a read (a list page, a key
    lookup) opens none."""
    if record.driver_connection is not None and record.driver_connection.in_transaction:
        dbapi_connection.rollback()


def _drop_closed(_dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """The pool's check before lending a connection, in place of SQLAlchemy's pre-ping, which costs three round
    trips on asyncpg (BEGIN, a query, ROLLBACK) on every checkout: a connection the server closed (restart,
    termination, idle cut) is already known closed to asyncpg, and is then replaced by a new one."""
    if record.driver_connection is None or record.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def create_engine(settings: Settings, *, pool_size: int | None = None, timed: bool = True) -> AsyncEngine:
    """Build an engine for the configured database (`pool_size` connections, else DB_POOL_SIZE); SQLite gets its
    pragmas on every connection, PostgreSQL its statement timeout (none when not `timed`: migrations) and
    DatabaseUnavailable while it is away."""
    shared: dict[str, Any] = {
        "echo": settings.db_echo,
        "json_serializer": json_text,
        "json_deserializer": orjson.loads,
        "pool_size": pool_size or settings.db_pool_size,
        "max_overflow": 0 if pool_size else settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_seconds,
    }
    if settings.is_sqlite:
        engine = create_async_engine(settings.database_url, **shared, pool_reset_on_return=None)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(settings.sqlite_busy_timeout_ms))
        event.listen(engine.sync_engine, "reset", _rollback_if_open)
        return engine
    # PostgreSQL reads a statement_timeout of 0 as none.
    timeout_ms = str(int(settings.db_statement_timeout_seconds * 1000) if timed else 0)
    engine = create_async_engine(
        settings.database_url,
        **shared,
        pool_recycle=settings.db_pool_recycle_seconds,
        pool_pre_ping=False,
        connect_args={
            "timeout": settings.db_connect_timeout_seconds,
            "server_settings": {"statement_timeout": timeout_ms},
        },
    )
    event.listen(engine.sync_engine, "checkout", _drop_closed)
    event.listen(engine.sync_engine, "do_connect", _connect_or_unavailable)
    event.listen(engine.sync_engine, "handle_error", _disconnect_as_unavailable)
    return engine


def create_reader(settings: Settings, engine: AsyncEngine) -> AsyncEngine:
    """The engine list pages are read on: on SQLite one of its own with SQLITE_READERS connections (each a
    thread: many would fight for the interpreter), on PostgreSQL the main engine."""
    if not settings.is_sqlite:
        return engine
    return create_engine(settings, pool_size=settings.sqlite_readers)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions keep loaded objects usable after commit so responses can be built from them."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One request, one transaction: commit when the handler succeeded, roll back otherwise. A request that
    may write is a writer (see app.core.locking), whose lock is taken at its first statement: after the access
    check, and after an import's upload is read."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        session.info[REQUEST_STATE] = request.state
        session.info[WRITER] = request.method not in READ_METHODS
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


@asynccontextmanager
async def reading(engine: AsyncEngine, lent: AsyncConnection | None = None) -> AsyncIterator[AsyncConnection]:
    """A pooled connection for reads outside any session: in autocommit on PostgreSQL (under READ COMMITTED
    each statement takes its own snapshot anyway, and this saves BEGIN and COMMIT); SQLite's driver opens no
    transaction for reads. `lent`: one such connection already open, used and left open."""
    if lent is not None:
        yield lent
        return
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


@asynccontextmanager
async def session_scope(settings: Settings, *, actor: str = "cli") -> AsyncIterator[AsyncSession]:
    """One write transaction outside HTTP (CLI, seed) by `actor`: commit on success, roll back on error, engine
    disposed. A writer, like a write request, since the server may be writing meanwhile."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            session.info.update({WRITER: True, ACTOR: actor})
            yield session
    finally:
        await engine.dispose()
