"""GET /health, /ready and /metrics: public, at the root, outside the OpenAPI contract."""

import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing
from pathlib import Path

import httpx2
import pytest
from alembic.script import ScriptDirectory
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from app.core import migrations
from app.core.config import Settings
from app.core.migrations import alembic_config
from app.main import create_app
from tests.factories import create_lab
from tests.helpers import assert_problem
from tests.ops.metrics_text import requests_to, samples
from tests.servers import free_port

pytestmark = pytest.mark.anyio

PROBES = ["/health", "/ready", "/metrics"]


@asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    """A client on an app of its own (its own database settings), lifespan running."""
    application = create_app(settings)
    async with (
        LifespanManager(application),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=application), base_url="http://test") as http,
    ):
        yield http


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word: a database that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.fixture
def behind_url(tmp_path: Path) -> str:
    """A database migrated to the revision before this code's head."""
    scripts = ScriptDirectory.from_config(alembic_config(""))
    head = scripts.get_revision(scripts.get_current_head() or "")
    assert head is not None, "the migration chain has no head"
    assert isinstance(head.down_revision, str), "the head must have one parent revision to be behind at"
    url = f"sqlite+aiosqlite:///{tmp_path / 'behind.db'}"
    migrations.upgrade(url, head.down_revision)
    return url


@pytest.fixture
def ahead_url(tmp_path: Path) -> str:
    """A database that newer code has migrated further, to a revision this code does not know."""
    path = tmp_path / "ahead.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = 'from-a-newer-release'")
    return f"sqlite+aiosqlite:///{path}"


class TestHealth:
    async def test_says_ok(self, anonymous: httpx2.AsyncClient) -> None:
        response = await anonymous.get("/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    async def test_needs_no_database(self) -> None:
        unreachable = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere"
        async with client_for(Settings(database_url=unreachable)) as http:
            assert (await http.get("/health")).json() == {"status": "ok"}


class TestReady:
    async def test_ready_on_a_migrated_database(self, anonymous: httpx2.AsyncClient) -> None:
        response = await anonymous.get("/ready")
        assert response.status_code == 200
        assert response.json() == {"status": "ready"}

    async def test_503_when_migrations_are_pending(self, tmp_path: Path) -> None:
        async with client_for(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")) as http:
            body = assert_problem(await http.get("/ready"), 503)
        assert body["type"] == "urn:lab-registry:problem:migrations-pending"
        assert "lab-registry migrate" in body["detail"]

    async def test_503_when_the_schema_is_at_an_older_revision(self, behind_url: str) -> None:
        async with client_for(Settings(database_url=behind_url)) as http:
            body = assert_problem(await http.get("/ready"), 503)
        assert body["type"] == "urn:lab-registry:problem:migrations-pending"

    async def test_ready_when_newer_code_has_migrated_further_during_a_rolling_upgrade(self, ahead_url: str) -> None:
        async with client_for(Settings(database_url=ahead_url)) as http:
            response = await http.get("/ready")
        assert response.status_code == 200
        assert response.json() == {"status": "ready"}

    async def test_503_when_the_database_refuses_connections(self) -> None:
        unreachable = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere"
        async with client_for(Settings(database_url=unreachable)) as http:
            body = assert_problem(await http.get("/ready"), 503)
        assert body["type"] == "urn:lab-registry:problem:database-unreachable"
        assert body["detail"] == "The database is unreachable."

    async def test_503_within_the_timeout_when_the_database_hangs(self, silent_server: int) -> None:
        hanging = f"postgresql+asyncpg://postgres@127.0.0.1:{silent_server}/db"
        async with client_for(Settings(database_url=hanging, ready_timeout_seconds=0.5)) as http:
            started = time.monotonic()
            body = assert_problem(await http.get("/ready"), 503)
            elapsed = time.monotonic() - started
        assert body["detail"] == "The database did not answer within 0.5 s."
        assert elapsed < 3


class TestMetrics:
    async def test_prometheus_text_format(self, anonymous: httpx2.AsyncClient) -> None:
        response = await anonymous.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=")
        families = {family.name: family.type for family in text_string_to_metric_families(response.text)}
        assert {
            "lab_registry_http_requests": "counter",
            "lab_registry_http_request_duration_seconds": "histogram",
            "lab_registry_db_pool_connections_in_use": "gauge",
            "lab_registry_db_connections_opened": "counter",
            "lab_registry_import_rows": "counter",
            "lab_registry_webhook_deliveries": "counter",
        }.items() <= families.items()

    async def test_counts_requests_by_route_template_method_and_status(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        before = (await client.get("/metrics")).text
        assert (await client.get(f"/api/v1/labs/{lab['slug']}")).status_code == 200
        assert (await client.get(f"/api/v1/labs/{lab['id']}")).status_code == 200
        assert (await client.get("/api/v1/labs/no-such-lab")).status_code == 404
        after = (await client.get("/metrics")).text
        template = "/api/v1/labs/{lab}"
        assert (
            requests_to(after, template, method="GET", status="200")
            - requests_to(before, template, method="GET", status="200")
            == 2
        )
        assert requests_to(after, template, status="404") - requests_to(before, template, status="404") == 1
        assert lab["slug"] not in after
        assert "no-such-lab" not in after
        durations = samples(after, "lab_registry_http_request_duration_seconds_count")
        assert durations[(("method", "GET"), ("route", template))] >= 3

    async def test_unmatched_paths_share_one_label(self, anonymous: httpx2.AsyncClient) -> None:
        before = (await anonymous.get("/metrics")).text
        for path in ("/wp-login.php", "/api/v1/nowhere", "/api/v2/labs"):
            assert (await anonymous.get(path)).status_code == 404
        after = (await anonymous.get("/metrics")).text
        assert requests_to(after, "unmatched", status="404") - requests_to(before, "unmatched", status="404") == 3
        assert "wp-login" not in after

    async def test_unknown_methods_share_one_label(self, anonymous: httpx2.AsyncClient) -> None:
        before = (await anonymous.get("/metrics")).text
        assert (await anonymous.request("BREW", "/health")).status_code == 405
        after = (await anonymous.get("/metrics")).text
        assert requests_to(after, "/health", method="OTHER") - requests_to(before, "/health", method="OTHER") == 1
        assert 'method="BREW"' not in after

    async def test_pool_in_use_is_back_to_zero_between_requests(self, anonymous: httpx2.AsyncClient) -> None:
        await anonymous.get("/api/v1/labs")
        text = (await anonymous.get("/metrics")).text
        assert samples(text, "lab_registry_db_pool_connections_in_use") == {(): 0}


@pytest.mark.parametrize("path", PROBES)
class TestPublicAndOutsideTheContract:
    async def test_no_key_needed_even_when_reads_need_one(self, database_url: str, path: str) -> None:
        async with client_for(Settings(database_url=database_url, public_reads=False)) as http:
            assert (await http.get(path)).status_code == 200
            assert (await http.get("/api/v1/labs")).status_code == 401

    async def test_not_in_the_openapi_document(self, app: FastAPI, path: str) -> None:
        assert path not in app.openapi()["paths"]
