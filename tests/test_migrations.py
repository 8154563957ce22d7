"""The Alembic chain on a fresh database of the tested engine: it goes up, down and up again, leaves nothing for
autogenerate to find, and ships the reference data.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import httpx2
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from asgi_lifespan import LifespanManager
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on the metadata)
from app.core import migrations
from app.core.config import Settings, get_settings
from app.core.db import create_engine
from app.main import create_app
from app.models.base import UTCDateTime
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


async def _sessions(url: str, statements: list[str] | None = None) -> list[tuple[str, str, str, str]]:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.begin() as connection:
            for statement in statements or []:
                await connection.exec_driver_sql(statement)
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            if "event_sessions" not in names:
                return []
            query = "SELECT id, event_id, starts_at, status FROM event_sessions"
            rows: list[Any] = list((await connection.exec_driver_sql(query)).all())
    finally:
        await engine.dispose()
    return [(uuid.UUID(str(a)).hex, uuid.UUID(str(b)).hex, str(c)[:16], str(d)) for a, b, c, d in rows]


def test_each_event_gets_one_session_of_its_own_id(fresh_url: str) -> None:
    """Revision 0012 gives every event one session from its dates, with the event's id (its calendar UID stays);
    going down drops the sessions and keeps the events."""
    before = ScriptDirectory.from_config(migrations.alembic_config(fresh_url)).get_revision("0012").down_revision
    assert isinstance(before, str)
    migrations.downgrade(fresh_url, "base")
    # An event as revision 0009 left it: the revisions after it fill their own columns.
    migrations.upgrade(fresh_url, "0009")
    event_id = uuid.uuid4().hex
    insert = (
        "INSERT INTO events (id, created_at, updated_at, version, title, theme_code, tags, format, attendance_mode, "
        "audience, starts_at, ends_at, timezone, local_start_date, status, publication, search_text) VALUES "
        f"('{event_id}', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 3, 'Atelier', 'design', '[]', 'atelier', "
        "'in-person', 'agents', '2020-11-17 09:00:00', '2020-11-17 11:00:00', 'Europe/Paris', '2020-11-17', "
        "'scheduled', 'published', 'atelier')"
    )
    assert asyncio.run(_sessions(fresh_url, [insert])) == []
    migrations.upgrade(fresh_url)
    assert asyncio.run(_sessions(fresh_url)) == [(event_id, event_id, "2020-11-17 09:00", "scheduled")]
    migrations.downgrade(fresh_url, before)
    assert asyncio.run(_sessions(fresh_url)) == []
    migrations.upgrade(fresh_url)
    assert len(asyncio.run(_sessions(fresh_url))) == 1


_projects = sa.table(
    "projects",
    *(sa.column(name) for name in ("slug", "title", "kind", "theme_code", "status", "publication", "search_text")),
    sa.column("id", sa.Uuid()),
    sa.column("version", sa.Integer()),
    sa.column("secondary_themes", sa.JSON()),
    sa.column("starts_on", sa.Date()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
_changes = sa.table(
    "project_status_changes",
    sa.column("project_id", sa.Uuid()),
    sa.column("from_status"),
    sa.column("to_status"),
    sa.column("actor"),
    sa.column("at", UTCDateTime()),
)


async def _write_and_read(url: str, writes: list[tuple[Any, list[dict[str, Any]]]], query: str) -> list[Any]:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.begin() as connection:
            for statement, rows in writes:
                await connection.execute(statement, rows)
            return list((await connection.exec_driver_sql(query)).all())
    finally:
        await engine.dispose()


def test_existing_project_histories_get_their_phase_days(fresh_url: str) -> None:
    """Revision 0010 dates every stored status change: a project's first entry by its start day when earlier than
    the write, a later move by the day (Paris time) it was written; a project's `status_since` is its last one."""
    migrations.downgrade(fresh_url, "base")
    migrations.upgrade(fresh_url, "0009")
    started, unstarted = uuid.uuid4(), uuid.uuid4()
    loaded, moved = datetime(2026, 1, 5, 10, tzinfo=UTC), datetime(2026, 2, 10, 23, 30, tzinfo=UTC)
    project: dict[str, Any] = {
        "kind": "project",
        "theme_code": "design",
        "publication": "published",
        "search_text": "",
        "version": 1,
    }
    projects: list[dict[str, Any]] = [
        {
            **project,
            "id": started,
            "slug": "started",
            "title": "A",
            "status": "designing",
            "starts_on": date(2019, 3, 1),
        },
        {**project, "id": unstarted, "slug": "unstarted", "title": "B", "status": "exploring", "starts_on": None},
    ]
    changes: list[dict[str, Any]] = [
        {"project_id": started, "from_status": None, "to_status": "exploring", "at": loaded},
        {"project_id": started, "from_status": "exploring", "to_status": "designing", "at": moved},
        {"project_id": unstarted, "from_status": None, "to_status": "exploring", "at": loaded},
    ]
    writes: list[tuple[Any, list[dict[str, Any]]]] = [
        (
            _projects.insert(),
            [{**row, "secondary_themes": [], "created_at": loaded, "updated_at": moved} for row in projects],
        ),
        (_changes.insert(), [{**row, "actor": "cli"} for row in changes]),
    ]
    asyncio.run(_write_and_read(fresh_url, writes, "SELECT 1"))
    migrations.upgrade(fresh_url)
    days = asyncio.run(
        _write_and_read(
            fresh_url,
            [],
            "SELECT p.slug, h.to_status, h.effective_on, p.status_since FROM project_status_changes h "
            "JOIN projects p ON p.id = h.project_id ORDER BY p.slug, h.id",
        )
    )
    assert [(slug, status, str(day), str(since)) for slug, status, day, since in days] == [
        ("started", "exploring", "2019-03-01", "2026-02-11"),
        ("started", "designing", "2026-02-11", "2026-02-11"),
        ("unstarted", "exploring", "2026-01-05", "2026-01-05"),
    ]
    migrations.downgrade(fresh_url, "0009")
    migrations.upgrade(fresh_url)


def test_a_migration_is_not_cut_by_the_requests_statement_timeout(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DB_STATEMENT_TIMEOUT_SECONDS bounds requests; a migration rewriting a million rows takes minutes (0013
    computes every row's search vector), and `lab-registry migrate` must see it through. SQLite has no such
    timeout: there the migrations simply run."""
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_SECONDS", "0.001")
    get_settings.cache_clear()
    try:
        migrations.downgrade(fresh_url, "base")
        migrations.upgrade(fresh_url)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    head = ScriptDirectory.from_config(migrations.alembic_config(fresh_url)).get_current_head()
    assert asyncio.run(_inspect(fresh_url, _revision)) == head
