"""Test harness: one freshly migrated database per run (SQLite by default, PostgreSQL with TEST_DATABASE_URL),
emptied after every test, and an HTTP client on the ASGI app running its lifespan.

    TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres pytest

creates a database of its own on that server (`lr_test_<random>`), and drops it at the end.
"""

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx2
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from app.core import migrations
from app.core.config import Settings
from app.main import create_app

REFERENCE_TABLES = {"regions", "themes", "event_formats", "alembic_version"}


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


async def _admin(url: str, statement: str) -> None:
    server = make_url(url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(server.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of this run's own, on the engine TEST_DATABASE_URL names (SQLite when unset)."""
    server_url = os.environ.get("TEST_DATABASE_URL", "")
    if not server_url.startswith("postgresql"):
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrations.upgrade(url)
        yield url
        return
    name = f"lr_test_{secrets.token_hex(4)}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


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


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    """An HTTP client on the app (lifespan running); the database is emptied afterwards."""
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx2.ASGITransport(app=manager.app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
            try:
                yield http
            finally:
                await _empty_tables(app.state.engine)
