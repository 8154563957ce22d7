"""The Alembic chain on a fresh database of the tested engine: it goes up, down and up again, leaves nothing for
autogenerate to find, and ships the reference data.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import httpx2
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from asgi_lifespan import LifespanManager
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on the metadata)
from app.core import migrations
from app.core.config import Settings
from app.core.db import create_engine
from app.main import create_app
from app.search.schema import kept_by_migrations
from tests.databases import scratch_database

REGION_TIMEZONES = {
    "01": "America/Guadeloupe",
    "02": "America/Martinique",
    "03": "America/Cayenne",
    "04": "Indian/Reunion",
    "06": "Indian/Mayotte",
    **dict.fromkeys(["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"], "Europe/Paris"),
}
THEMES = {
    "service-usager",
    "continuite-crise",
    "innovation-manageriale",
    "territorial",
    "design",
    "engagement-citoyen",
    "ecoresponsable",
}
EVENT_FORMATS = {
    "webinaire",
    "formation",
    "atelier-decouverte",
    "atelier",
    "conference",
    "hackathon",
    "visite",
    "autre",
}

T = TypeVar("T")


@pytest.fixture(scope="module")
def fresh_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of this module's own, on the engine TEST_DATABASE_URL names (SQLite when unset)."""
    with scratch_database(tmp_path_factory.mktemp("migrations"), "lr_migrations") as url:
        yield url


@pytest.fixture
def migrated_url(fresh_url: str) -> str:
    migrations.upgrade(fresh_url)
    return fresh_url


async def _inspect(url: str, probe: Callable[[Connection], T]) -> T:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(probe)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    """The tables, but the search indexes the models do not declare (app.search.schema)."""
    return {
        name for name in inspect(connection).get_table_names() if kept_by_migrations(None, name, "table", True, None)
    }


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "render_as_batch": connection.dialect.name == "sqlite",
            "include_object": kept_by_migrations,
        },
    )
    return list(compare_metadata(context, SQLModel.metadata))


def test_upgrade_downgrade_upgrade(fresh_url: str) -> None:
    head = ScriptDirectory.from_config(migrations.alembic_config(fresh_url)).get_current_head()
    schema = set(SQLModel.metadata.tables) | {"alembic_version"}

    migrations.upgrade(fresh_url)
    assert asyncio.run(_inspect(fresh_url, _tables)) == schema
    assert asyncio.run(_inspect(fresh_url, _revision)) == head

    migrations.downgrade(fresh_url, "base")
    assert asyncio.run(_inspect(fresh_url, _tables)) <= {"alembic_version"}
    assert asyncio.run(_inspect(fresh_url, _revision)) is None

    migrations.upgrade(fresh_url)
    assert asyncio.run(_inspect(fresh_url, _tables)) == schema
    assert asyncio.run(_inspect(fresh_url, _revision)) == head


def test_autogenerate_finds_nothing_left(migrated_url: str) -> None:
    differences = asyncio.run(_inspect(migrated_url, _differences))
    assert not differences, f"the models and the migrated schema differ (a migration is missing): {differences}"


@pytest.fixture
async def fresh_client(migrated_url: str) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(Settings(database_url=migrated_url))
    async with LifespanManager(app) as manager:
        transport = httpx2.ASGITransport(app=manager.app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest.mark.anyio
class TestReferenceData:
    async def test_18_regions_with_their_time_zones(self, fresh_client: httpx2.AsyncClient) -> None:
        response = await fresh_client.get("/api/v1/regions")
        assert response.status_code == 200
        assert {region["code"]: region["timezone"] for region in response.json()["items"]} == REGION_TIMEZONES
        bretagne = (await fresh_client.get("/api/v1/regions/53")).json()
        assert bretagne == {"code": "53", "name": "Bretagne", "timezone": "Europe/Paris"}

    async def test_7_themes(self, fresh_client: httpx2.AsyncClient) -> None:
        response = await fresh_client.get("/api/v1/themes")
        assert response.status_code == 200
        assert {theme["code"] for theme in response.json()["items"]} == THEMES
        assert len(response.json()["items"]) == 7

    async def test_8_event_formats(self, fresh_client: httpx2.AsyncClient) -> None:
        response = await fresh_client.get("/api/v1/event-formats")
        assert response.status_code == 200
        assert {event_format["code"] for event_format in response.json()["items"]} == EVENT_FORMATS
        assert len(response.json()["items"]) == 8


async def _key_scopes(url: str, statements: list[str] | None = None) -> dict[str, list[str]]:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.begin() as connection:
            for statement in statements or []:
                await connection.exec_driver_sql(statement)
            rows: list[Any] = list((await connection.exec_driver_sql("SELECT name, scopes FROM api_keys")).all())
    finally:
        await engine.dispose()
    return {name: sorted(scopes if isinstance(scopes, list) else json.loads(scopes)) for name, scopes in rows}


def test_keys_keep_their_rights_through_the_scope_split(fresh_url: str) -> None:
    """Revision 0009 gives every `write` key `funding` and `publish` (what a write key could do before); going
    down takes them back, and up again gives them again."""
    migrations.downgrade(fresh_url, "base")
    migrations.upgrade(fresh_url, "0008")
    keys = [
        ("writer", '["read", "write"]'),
        ("reader", '["read"]'),
        ("operator", '["admin", "write"]'),
    ]
    insert = [
        "INSERT INTO api_keys (id, name, prefix, key_hash, scopes, created_at) VALUES "
        f"('{uuid.uuid4().hex}', '{name}', 'lr_{n:08d}', '{n:064d}', '{scopes}', '2026-01-01 00:00:00')"
        for n, (name, scopes) in enumerate(keys)
    ]
    before = asyncio.run(_key_scopes(fresh_url, insert))
    granted = {
        "writer": ["funding", "publish", "read", "write"],
        "reader": ["read"],
        "operator": ["admin", "funding", "publish", "write"],
    }
    migrations.upgrade(fresh_url)
    assert asyncio.run(_key_scopes(fresh_url)) == granted
    migrations.downgrade(fresh_url, "0008")
    assert asyncio.run(_key_scopes(fresh_url)) == before
    migrations.upgrade(fresh_url)
    assert asyncio.run(_key_scopes(fresh_url)) == granted
