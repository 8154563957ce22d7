"""Production serving on PostgreSQL, against a private cluster of the test's own: readiness that follows the
database through a restart, several workers whose metrics add up, JSON logs throughout, and a pool that
does not churn. The machine's shared cluster is never stopped."""

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator

import httpx2
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.pool import NullPool

from app.core.config import Settings
from app.main import create_app
from tests.helpers import assert_problem
from tests.ops.metrics_text import requests_to, samples
from tests.ops.processes import PrivateCluster, private_cluster
from tests.servers import Server


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    """A private PostgreSQL, migrated to head, for this module alone."""
    with private_cluster() as private:
        yield private


@pytest.fixture
async def app_on_cluster(cluster: PrivateCluster) -> AsyncIterator[FastAPI]:
    application = create_app(Settings(database_url=cluster.url, db_pool_size=4, db_max_overflow=0))
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def http(app_on_cluster: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=app_on_cluster)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


pytestmark = [pytest.mark.anyio, pytest.mark.slow]


class TestReadinessThroughADatabaseRestart:
    async def test_ready_turns_503_while_postgres_is_down_and_200_once_it_is_back(
        self, cluster: PrivateCluster, http: httpx2.AsyncClient
    ) -> None:
        assert (await http.get("/ready")).status_code == 200
        assert (await http.get("/api/v1/regions")).status_code == 200
        cluster.stop()
        try:
            down = await http.get("/ready")
            body = assert_problem(down, 503)
            assert body["type"].endswith("database-unreachable")
            assert "unreachable" in body["detail"]
            assert body["request_id"] == down.headers["x-request-id"]
            assert (await http.get("/health")).json() == {"status": "ok"}
        finally:
            cluster.start()
        assert (await http.get("/ready")).status_code == 200
        # The pooled connections died with the server: they are checked before use and replaced, no restart.
        regions = await http.get("/api/v1/regions")
        assert regions.status_code == 200
        assert len(regions.json()["items"]) == 18


class TestPool:
    async def test_concurrent_requests_reuse_pooled_connections(
        self, app_on_cluster: FastAPI, http: httpx2.AsyncClient
    ) -> None:
        assert not isinstance(app_on_cluster.state.engine.pool, NullPool)
        before = samples((await http.get("/metrics")).text, "lab_registry_db_connections_opened_total")[()]
        for _ in range(5):
            answers = await asyncio.gather(*(http.get("/api/v1/regions") for _ in range(8)))
            assert {answer.status_code for answer in answers} == {200}
        metrics = (await http.get("/metrics")).text
        opened = samples(metrics, "lab_registry_db_connections_opened_total")[()] - before
        assert 1 <= opened <= 4, f"{opened} connections opened for 40 requests on a pool of 4"
        assert samples(metrics, "lab_registry_db_pool_connections_in_use")[()] == 0


class TestServeWithSeveralWorkers:
    def test_two_workers_answer_and_metrics_add_up_over_both(self, cluster: PrivateCluster) -> None:
        with Server(cluster.url, workers=2, env={"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}) as server:
            sent = 0
            pids: set[int] = set()
            # Each request on a new connection (none kept alive), so both workers accept some; bounded in count.
            with httpx2.Client(base_url=server.base_url, limits=httpx2.Limits(max_keepalive_connections=0)) as http:
                while len(pids) < 2 and sent < 400:
                    for _ in range(20):
                        answer = http.get("/api/v1/regions", headers={"X-Request-ID": f"probe-{sent}"})
                        assert answer.status_code == 200
                        assert answer.headers["x-request-id"] == f"probe-{sent}"
                        sent += 1
                    pids = {
                        entry["pid"]
                        for entry in map(json.loads, server.log().splitlines())
                        if entry.get("route") == "/api/v1/regions"
                    }
                assert len(pids) == 2, f"{sent} requests all went to one worker"
                assert http.get("/ready").status_code == 200
                metrics = http.get("/metrics")
            assert metrics.status_code == 200
            assert requests_to(metrics.text, "/api/v1/regions") == sent
            exit_code = server.stop(timeout=60)
            lines = server.log().splitlines()
        assert exit_code == 0
        entries = [json.loads(line) for line in lines]
        access = [entry for entry in entries if entry["logger"] == "app.ops.access"]
        assert len([entry for entry in access if entry["route"] == "/api/v1/regions"]) == sent
        assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,128}", entry["request_id"]) for entry in access)
        assert {entry["request_id"] for entry in access if entry["route"] == "/api/v1/regions"} == {
            f"probe-{n}" for n in range(sent)
        }
        messages = " ".join(entry["message"] for entry in entries)
        assert "Shutting down" in messages
        assert not [entry for entry in entries if entry["level"] in {"error", "critical"}], lines
