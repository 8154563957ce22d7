"""A PostgreSQL of the test's own stopped under traffic, then started again: a real server answers every request
meanwhile, with 503 problem+json and Retry-After while the database is away, never a 500 nor a dropped
connection, and serves again once it is back, without being restarted. A write answered 201 is stored; one
answered 503 may have been cut after its commit, but nothing else is stored."""

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg
import httpx2
import pytest
from sqlalchemy.engine import make_url

from app.auth import service as auth_service
from app.auth.schemas import Scope
from app.core.config import Settings
from app.core.db import session_scope
from tests.helpers import PROBLEM_JSON
from tests.ops.processes import PrivateCluster, private_cluster
from tests.servers import Server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CLIENTS = 6
PAUSE_SECONDS = 0.02
"""Between two requests of a client: bounds the traffic to a few hundred requests a second."""


@dataclass(frozen=True)
class Answer:
    """One request and its response, with when it was sent and answered (monotonic clock)."""

    sent: float
    received: float
    response: httpx2.Response
    name: str | None
    """The organization a create asked for."""

    @property
    def status(self) -> int:
        return self.response.status_code


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    with private_cluster() as private:
        yield private


async def _client(http: httpx2.AsyncClient, number: int, answers: list[Answer], done: asyncio.Event) -> None:
    """Reads and creates in turn until `done`; with an Idempotency-Key every other create, so that the
    middleware's own database work meets the outage too."""
    for turn in itertools.count():
        if done.is_set():
            return
        name = None
        sent = time.monotonic()
        match turn % 3:
            case 0:
                response = await http.get("/api/v1/labs")
            case 1:
                response = await http.get("/api/v1/organizations", params={"limit": 5})
            case _:
                name = f"Panne {number}-{turn}"
                headers = {"Idempotency-Key": name} if turn % 2 else {}
                body = {"name": name, "kind": "collectivite"}
                response = await http.post("/api/v1/organizations", json=body, headers=headers)
        answers.append(Answer(sent, time.monotonic(), response, name))
        await asyncio.sleep(PAUSE_SECONDS)


async def _write_key(cluster: PrivateCluster) -> str:
    """Made in-process: the CLI would cost a second interpreter start."""
    async with session_scope(Settings(database_url=cluster.url)) as session:
        _, key = await auth_service.create_key(
            session, name="outage", scopes=[Scope.read, Scope.write], expires_at=None
        )
    return key


async def _stored_names(cluster: PrivateCluster) -> set[str]:
    url = make_url(cluster.url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(url)
    try:
        return {row["name"] for row in await connection.fetch("SELECT name FROM organizations")}
    finally:
        await connection.close()


def _assert_unavailable(response: httpx2.Response) -> None:
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"] == "urn:lab-registry:problem:database-unreachable"
    assert problem["status"] == 503
    assert problem["request_id"] == response.headers["x-request-id"]
    assert int(response.headers["retry-after"]) > 0


async def test_requests_fail_with_503_while_postgres_is_down_and_succeed_once_it_is_back(
    cluster: PrivateCluster,
) -> None:
    key = await _write_key(cluster)
    answers: list[Answer] = []
    done = asyncio.Event()
    with Server(cluster.url, env={"LOG_FORMAT": "json"}) as server:
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx2.AsyncClient(base_url=server.base_url, headers=headers, timeout=30) as http:
            clients = [asyncio.create_task(_client(http, number, answers, done)) for number in range(CLIENTS)]
            await asyncio.sleep(1)
            stopping = time.monotonic()
            await asyncio.to_thread(cluster.stop)
            stopped = time.monotonic()
            await asyncio.sleep(1.5)
            starting = time.monotonic()
            await asyncio.to_thread(cluster.start)
            started = time.monotonic()
            await asyncio.sleep(1.5)
            done.set()
            await asyncio.gather(*clients)
        assert server.process.poll() is None, "the server died with its database"
        log = [json.loads(line) for line in server.log().splitlines()]

    crashes = [
        entry for entry in log if entry["logger"] in {"app.errors", "uvicorn.error"} and entry["level"] == "error"
    ]
    assert not crashes, crashes
    assert any("unreachable" in entry["message"] for entry in log if entry["level"] == "warning")
    assert {answer.status for answer in answers} <= {200, 201, 503}
    for answer in answers:
        if answer.status == 503:
            _assert_unavailable(answer.response)
    before = [answer for answer in answers if answer.received < stopping]
    down = [answer for answer in answers if answer.sent > stopped and answer.received < starting]
    after = [answer for answer in answers if answer.sent > started]
    assert len(before) >= CLIENTS
    assert len(down) >= CLIENTS
    assert len(after) >= CLIENTS
    assert {answer.status for answer in before} <= {200, 201}
    assert {answer.status for answer in down} == {503}
    assert {answer.status for answer in after} <= {200, 201}, "not recovered without a restart"

    created = {answer.name for answer in answers if answer.status == 201}
    refused = {answer.name for answer in answers if answer.name and answer.status == 503}
    stored = await _stored_names(cluster)
    assert created <= stored <= created | refused
    assert created & {answer.name for answer in after}, "no write succeeded after the restart"
