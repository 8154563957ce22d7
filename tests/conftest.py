"""Test harness: one freshly migrated database per run (SQLite by default, PostgreSQL with TEST_DATABASE_URL:
see tests/databases.py), emptied after every test, and HTTP clients on the ASGI app running its lifespan."""

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime

import httpx2
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.dependencies import models as fastapi_dependencies
from sqlalchemy import text
from sqlmodel import SQLModel

from app.auth import service as auth_service
from app.auth.schemas import Scope
from app.core import migrations
from app.core.config import Settings
from app.main import create_app
from tests.databases import scratch_database

REFERENCE_TABLES = {"regions", "themes", "event_formats", "alembic_version"}


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of this run's own, on the engine TEST_DATABASE_URL names (SQLite when unset)."""
    with scratch_database(tmp_path_factory.mktemp("db"), "lr_test") as url:
        migrations.upgrade(url)
        yield url


@pytest.fixture
def list_way(request: pytest.FixtureRequest) -> str:
    """How list GETs are answered: `fast` (the fast path, by default) or `routes` (FastAPI's routes). Tests
    marked `lists` run both ways."""
    way: str = getattr(request, "param", "fast")
    return way


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("lists") and "list_way" in metafunc.fixturenames:
        metafunc.parametrize("list_way", ["fast", "routes"], indirect=True)


@pytest.fixture
def settings(database_url: str, list_way: str) -> Settings:
    return Settings(database_url=database_url, fast_lists=list_way == "fast")


async def _empty_tables(app_engine: object) -> None:
    from sqlalchemy.ext.asyncio import AsyncEngine

    assert isinstance(app_engine, AsyncEngine)
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    async with app_engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))


KeyMaker = Callable[..., Awaitable[str]]
# Live keys have distinct names: keys made without one are numbered.
_key_numbers = itertools.count(1)


def _forget_apps() -> None:
    """Let a finished test's app be collected.

    FastAPI memoizes how each dependency callable behaves in module-level LRU caches (4096 entries) keyed by
    the callable; the closures an app creates for its own routes keep that app, its engine and its routes alive
    through them. A process serves one app, so this costs nothing there; a test run creates hundreds of apps,
    which would otherwise pile up (gigabytes, and a slow final garbage collection).
    """
    for name in ("_is_gen_callable_cached", "_is_async_gen_callable_cached", "_is_coroutine_callable_cached"):
        cached = getattr(fastapi_dependencies, name, None)
        if cached is not None:
            cached.cache_clear()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running; the database is emptied afterwards."""
    application = create_app(settings)
    async with LifespanManager(application):
        try:
            yield application
        finally:
            await _empty_tables(application.state.engine)
    _forget_apps()


@pytest.fixture
async def make_key(app: FastAPI) -> KeyMaker:
    """Issue a real API key in the test database: `await make_key("write", expires_at=…)`."""

    async def make(*scopes: str, name: str | None = None, expires_at: datetime | None = None) -> str:
        async with app.state.sessionmaker() as session, session.begin():
            _, key = await auth_service.create_key(
                session,
                name=name or f"tests {next(_key_numbers)}",
                scopes=[Scope(s) for s in scopes],
                expires_at=expires_at,
            )
        return key

    return make


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """An HTTP client on the app that sends no API key."""
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test") as http:
        yield http


@pytest.fixture
async def client(anonymous: httpx2.AsyncClient, make_key: KeyMaker) -> httpx2.AsyncClient:
    """An HTTP client that sends a key an integrating app had before scopes were split: `read` and `write`, and the
    `funding` and `publish` the migration gave every `write` key (so what it writes is published)."""
    key = await make_key("read", "write", "funding", "publish", name="integrating app")
    anonymous.headers["Authorization"] = f"Bearer {key}"
    return anonymous
