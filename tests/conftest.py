"""Test harness: one migrated database per run, or per xdist worker (SQLite by default, PostgreSQL with
TEST_DATABASE_URL: see tests/databases.py), one app per distinct settings shared by the run's tests, the data reset
after every test, and HTTP clients on the app. docs/testing.md explains how they share the apps and how to write a
test that needs other settings."""

import copy
import itertools
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import aiosqlite
import httpx2
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from xdist.scheduler import LoadFileScheduling  # type: ignore[import-untyped]

from app.auth import service as auth_service
from app.auth.schemas import Scope
from app.core import migrations
from app.core.config import Settings, get_settings
from app.demo.seed import SeedReport, seed
from app.main import create_app
from app.models.auth import ApiKey
from app.ops.logging import configure_logging
from tests.databases import scratch_database

REFERENCE_TABLES = {"regions", "themes", "event_formats", "alembic_version"}
DATA_TABLES = [t.name for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
"""Every table a test may write to, children before parents."""

KeyMaker = Callable[..., Awaitable[str]]
Built = TypeVar("Built")


@dataclass
class IssuedKeys:
    """The keys `make_key` issued in this run, by (scopes, name), with their rows as first written."""

    keys: dict[tuple[frozenset[str], str], str] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)


def pytest_configure() -> None:
    """xdist's workers inherit the LINES and COLUMNS that GNU readline, once imported, exports in the controller
    (80 x 24): the CLI's console would take that width for good when imported, whatever width a CLI test sets."""
    for name in ("LINES", "COLUMNS"):
        os.environ.pop(name, None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, the fuzzer (the longest test by far) before them: xdist hands out the files in this order
    (addopts' `--no-loadscope-reorder` keeps it from sorting them by test count), so the longest ones start at
    once and the many short ones fill the workers up at the end."""
    items.sort(key=lambda item: (item.path.name != LONGEST_FILE, item.get_closest_marker("slow") is None))


LONGEST_FILE = "test_schemathesis.py"
SAME_WORKER = {
    "tests/test_seed_demo.py": "demo",
    "tests/stats/test_demo_figures.py": "demo",
    "tests/events/test_demo_places.py": "demo",
}
"""Files that read the session's `demo_data`, seeded once per worker (seconds): one worker takes them all."""


class FileScheduling(LoadFileScheduling):  # type: ignore[misc]
    """`--dist loadfile`, the files of SAME_WORKER handed out as one unit."""

    def _split_scope(self, nodeid: str) -> str:
        scope: str = super()._split_scope(nodeid)
        return SAME_WORKER.get(scope, scope)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadFileScheduling | None:
    """xdist's own scheduler for any other `--dist`."""
    return FileScheduling(config, log) if config.getvalue("dist") == "loadfile" else None


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Session-scoped, so that anyio runs every test and every async fixture of the run, the session's shared apps
    too, on one event loop."""
    return "asyncio"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of this run's (or this worker's) own, on the engine TEST_DATABASE_URL names."""
    with scratch_database(tmp_path_factory.mktemp("db"), "lr_test") as url:
        migrations.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the demo dataset alone: the shared one is emptied after every test."""
    with scratch_database(tmp_path_factory.mktemp("demo"), "lr_demo") as url:
        migrations.upgrade(url)
        yield url


@dataclass(frozen=True)
class DemoData:
    """The demo dataset, seeded once per run (per worker): the first seed's report, an app on it, and a key with
    the scopes of `client`'s."""

    report: SeedReport
    settings: Settings
    app: FastAPI
    key: str


@pytest.fixture(scope="session")
async def demo_data(demo_database: str) -> AsyncIterator[DemoData]:
    """Seeding takes seconds: the tests that read the demo (or seed it again, which must add nothing) share one
    seeded database; SAME_WORKER keeps their files on one worker."""
    settings = Settings(database_url=demo_database)
    report = await seed(settings)
    async with running(settings) as application:
        async with application.state.sessionmaker() as session, session.begin():
            scopes = [Scope.read, Scope.write, Scope.funding, Scope.publish]
            _, key = await auth_service.create_key(session, name="demo reader", scopes=scopes, expires_at=None)
        yield DemoData(report, settings, application, key)


@pytest.fixture
def list_way(request: pytest.FixtureRequest) -> str:
    """How list GETs are answered: `fast` (the fast path, by default) or `routes` (FastAPI's routes). Tests
    marked `lists` run both ways."""
    way: str = getattr(request, "param", "fast")
    return way


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("lists") and "list_way" in metafunc.fixturenames:
        metafunc.parametrize("list_way", ["fast", "routes"], indirect=True)


# Live keys have distinct names: keys issued afresh (with an expiry) are numbered.
_key_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def default_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
def settings(default_settings: Settings, list_way: str) -> Settings:
    """The settings of the test's app (lists the `list_way` way). Override this fixture (in a class, a module or a
    conftest) for an app of other settings: the tests of the same settings share one app."""
    return default_settings.model_copy(update={"fast_lists": list_way == "fast"}, deep=True)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[FastAPI]:
    """An app for these settings, its lifespan running."""
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@dataclass(frozen=True)
class SharedApp:
    """An app the tests of one settings share, and what a test could change on it, as it started."""

    app: FastAPI
    settings: Settings
    routes: int

    def changes(self) -> list[str]:
        return [
            change
            for change, happened in [
                ("changed app.state.settings", self.app.state.settings != self.settings),
                ("added or removed routes", len(self.app.routes) != self.routes),
                ("left dependency overrides", bool(self.app.dependency_overrides)),
            ]
            if happened
        ]


class SharedApps:
    """The run's apps, one per distinct settings: each started when a test first needs it, all stopped at the end.

    Building and starting an app takes longer than most tests: the default settings' one serves nearly every
    test, and each class of tests with other settings gets one for all its tests."""

    def __init__(self, stack: AsyncExitStack) -> None:
        self._stack = stack
        self.started: list[SharedApp] = []

    async def get(self, settings: Settings) -> FastAPI:
        for shared in self.started:
            if shared.settings == settings:
                return shared.app
        application = await self._stack.enter_async_context(running(settings.model_copy(deep=True)))
        self.started.append(SharedApp(application, settings.model_copy(deep=True), len(application.routes)))
        return application


SHARED_APPS = pytest.StashKey[SharedApps]()


@pytest.fixture(scope="session")
async def shared_apps(pytestconfig: pytest.Config) -> AsyncIterator[SharedApps]:
    async with AsyncExitStack() as stack:
        pytestconfig.stash[SHARED_APPS] = SharedApps(stack)
        yield pytestconfig.stash[SHARED_APPS]
        del pytestconfig.stash[SHARED_APPS]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """Once every fixture of the test is finalized (a monkeypatch undone too), each shared app must be as it
    started: a test that needs an app otherwise overrides `settings`, or is marked `fresh_app`."""
    yield
    apps = item.config.stash.get(SHARED_APPS, None)
    changes = [change for shared in (apps.started if apps else []) for change in shared.changes()]
    if changes:
        pytest.fail(f"{item.nodeid} changed a shared app: {', '.join(changes)}", pytrace=False)


@pytest.fixture(scope="session")
def issued_keys() -> IssuedKeys:
    return IssuedKeys()


_EMPTY_DATA_TABLES = "".join(f"DELETE FROM {table};" for table in DATA_TABLES)


async def reset_data(engine: AsyncEngine, keys: IssuedKeys) -> None:
    """Empty every table but the reference ones, then put back the keys `make_key` issued, as first written:
    keys a test created through the API go, and a key a test revoked or used is new again.

    DELETE on both engines: on PostgreSQL a TRUNCATE of these tables takes about 100 times longer (it replaces
    each table's files), and no test needs the sequences restarted. The DELETEs go to the driver as one script
    (one hand-off, one round trip, one transaction): one by one through SQLAlchemy they took 10 ms a test."""
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        if isinstance(driver, aiosqlite.Connection):
            await driver.executescript(f"BEGIN;{_EMPTY_DATA_TABLES}COMMIT;")
        else:
            # asyncpg sends a query without arguments as one simple-protocol message: one implicit transaction.
            await driver.execute(_EMPTY_DATA_TABLES)
        if keys.rows:
            await connection.execute(insert(ApiKey), keys.rows)
            await connection.commit()


Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]
"""Rows of the data tables, by table, by primary key."""


async def _data_rows(engine: AsyncEngine) -> Rows:
    tables = SQLModel.metadata.tables
    async with engine.connect() as connection:
        return {
            name: {
                tuple(row[c.name] for c in tables[name].primary_key.columns): dict(row)
                for row in (await connection.execute(select(tables[name]))).mappings()
            }
            for name in DATA_TABLES
        }


@dataclass(frozen=True)
class Saved:
    value: Any
    rows: dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="session")
def saved_data() -> dict[str, Saved]:
    return {}


@dataclass(frozen=True)
class BuiltOnce:
    """Data the tests of a module start from, built through the API by the first test that needs it and saved as
    rows: each later test gets the same rows put back, after the usual reset, in one INSERT a table instead of the
    tens of requests (a few hundred ms) that built them. Only what the build wrote is saved; keys `make_key`
    issued are left to the reset."""

    app: FastAPI
    saved: dict[str, Saved]
    keys: IssuedKeys

    async def __call__(self, build: Callable[[], Awaitable[Built]]) -> Built:
        name = f"{build.__module__}.{build.__qualname__}"
        engine: AsyncEngine = self.app.state.engine
        if (saved := self.saved.get(name)) is None:
            before = await _data_rows(engine)
            value = await build()
            after = await _data_rows(engine)
            rows = {table: [row for pk, row in after[table].items() if pk not in before[table]] for table in after}
            self.saved[name] = Saved(copy.deepcopy(value), rows)
            return value
        issued = {row["id"] for row in self.keys.rows}
        async with engine.begin() as connection:
            for table in reversed(DATA_TABLES):
                put_back = [row for row in saved.rows[table] if table != "api_keys" or row["id"] not in issued]
                if put_back:
                    await connection.execute(insert(SQLModel.metadata.tables[table]), put_back)
        restored: Built = copy.deepcopy(saved.value)
        return restored


@pytest.fixture
def built_once(app: FastAPI, saved_data: dict[str, Saved], issued_keys: IssuedKeys) -> BuiltOnce:
    """`await built_once(build)`: what `build` (an async function of no argument, writing through the API) returns,
    its rows built once per run (per worker) and put back for each later test."""
    return BuiltOnce(app, saved_data, issued_keys)


@pytest.fixture
async def app(
    request: pytest.FixtureRequest,
    settings: Settings,
    default_settings: Settings,
    shared_apps: SharedApps,
    issued_keys: IssuedKeys,
) -> AsyncIterator[FastAPI]:
    """The app of the test's settings, its lifespan running: shared with the other tests of the same settings, or
    one of the test's own for a test marked `fresh_app`. The database is reset afterwards."""
    async with AsyncExitStack() as stack:
        if request.node.get_closest_marker("fresh_app"):
            application = await stack.enter_async_context(running(settings))
        else:
            application = await shared_apps.get(settings)
        # Logging is process-wide, and was configured by the app built last.
        configure_logging(settings)
        yield application
        await reset_data(application.state.engine, issued_keys)
        configure_logging(default_settings)


@pytest.fixture
async def make_key(app: FastAPI, issued_keys: IssuedKeys) -> KeyMaker:
    """A real API key in the test database: `await make_key("write", name="ops")`. Keys are issued once per run
    and handed again for the same scopes and name (the reset puts them back as new); one with an `expires_at`
    is issued afresh each time."""

    async def make(*scopes: str, name: str | None = None, expires_at: datetime | None = None) -> str:
        if name is None:
            fresh = expires_at is not None
            name = f"tests {next(_key_numbers)}" if fresh else f"tests {' '.join(sorted(scopes))}"
        wanted = (frozenset(scopes), name)
        if expires_at is None and wanted in issued_keys.keys:
            return issued_keys.keys[wanted]
        if any(issued == name for _, issued in issued_keys.keys):
            pytest.fail(f"make_key: a key named {name!r} was issued with other scopes; live keys have distinct names")
        async with app.state.sessionmaker() as session, session.begin():
            row, key = await auth_service.create_key(
                session, name=name, scopes=[Scope(s) for s in scopes], expires_at=expires_at
            )
            first_written = row.model_dump()
        if expires_at is None:
            issued_keys.keys[wanted] = key
            issued_keys.rows.append(first_written)
        return key

    return make


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the command line at the test database, as a shell's DATABASE_URL would."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


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
