"""Limits that keep the API answering under load: exports read on their own bounded engine, a chunk at a time; a
full pool, a lock held too long or a statement past its time limit is a 503 with Retry-After, never a 500; the
caller's key is checked before any write lock."""

import asyncio
import time
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlmodel import col

from app.core.config import Settings
from app.core.security import KEY_PREFIX_LENGTH
from app.models.auth import ApiKey
from tests.conftest import KeyMaker
from tests.factories import create_lab, create_stream
from tests.helpers import assert_problem, total
from tests.imports.loading import loaded

pytestmark = pytest.mark.anyio

ORGANIZATIONS = 2_500


def _scope(path: str, query: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }


class TestExports:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, max_concurrent_exports=1, export_pool_size=1)

    async def test_a_slow_reader_holds_no_connection_and_exports_beyond_the_limit_are_503(
        self, app: FastAPI, client: httpx2.AsyncClient, anonymous: httpx2.AsyncClient
    ) -> None:
        rows = "".join(f"org-{n},Commune {n:05d},collectivite\r\n" for n in range(ORGANIZATIONS))
        await loaded(client, "organizations", "external_id,name,kind\r\n" + rows)
        chunk_sent, reader_wakes = asyncio.Event(), asyncio.Event()
        received: list[bytes] = []

        async def receive() -> dict[str, Any]:
            await asyncio.Event().wait()
            return {}

        async def slow_reader(message: MutableMapping[str, Any]) -> None:
            """A client that takes the first chunks, then reads nothing until told to."""
            if message["type"] == "http.response.body":
                received.append(message.get("body", b""))
                if len(received) == 2:
                    chunk_sent.set()
                    await reader_wakes.wait()

        export = asyncio.create_task(app(_scope("/api/v1/organizations", "output=csv"), receive, slow_reader))
        await asyncio.wait_for(chunk_sent.wait(), 30)
        assert app.state.exports.engine.pool.checkedout() == 0
        busy = await anonymous.get("/api/v1/organizations", params={"output": "csv"})
        assert_problem(busy, 503)
        assert busy.headers["retry-after"].isdigit()
        assert (await anonymous.get("/api/v1/organizations", params={"limit": "5"})).status_code == 200
        reader_wakes.set()
        await asyncio.wait_for(export, 60)
        lines = b"".join(received).decode("utf-8-sig").splitlines()
        assert len(lines) == ORGANIZATIONS + 1
        assert (await anonymous.get("/api/v1/organizations", params={"output": "csv"})).status_code == 200


class TestFullPool:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=0.3)

    async def test_a_request_that_finds_no_free_connection_is_503(
        self, app: FastAPI, client: httpx2.AsyncClient
    ) -> None:
        lab = await create_lab(client)
        async with app.state.engine.connect():
            response = await client.get(f"/api/v1/labs/{lab['id']}")
        problem = assert_problem(response, 503)
        assert "connection" in problem["detail"]
        assert response.headers["retry-after"].isdigit()
        assert (await client.get(f"/api/v1/labs/{lab['id']}")).status_code == 200


@pytest.fixture
async def held_lock(app: FastAPI, client: httpx2.AsyncClient) -> AsyncIterator[dict[str, Any]]:
    """An allocation to write (its stream and lab), and another connection that holds the lock the write needs:
    SQLite's database lock (`BEGIN IMMEDIATE`), PostgreSQL's row lock on the stream — as a long import does.
    `release()` lets go of it."""
    stream = await create_stream(client, envelope_cents=10_000)
    lab = await create_lab(client)
    body = {"stream_id": stream["id"], "lab_id": lab["id"], "amount_cents": 100, "status": "committed"}
    async with app.state.engine.connect() as holder:
        if holder.dialect.name == "sqlite":
            await holder.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            await holder.execute(text("SELECT id FROM funding_streams WHERE code = :code FOR UPDATE"), stream)
        yield {"body": body, "release": holder.rollback}


class TestWriteLock:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, sqlite_busy_timeout_ms=1000, db_statement_timeout_seconds=1)

    async def test_a_keyless_write_is_refused_without_waiting_for_the_lock(
        self, app: FastAPI, held_lock: dict[str, Any]
    ) -> None:
        """(The `anonymous` fixture is the keyed client once `client` set its key.)"""
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as keyless:
            answer = keyless.post("/api/v1/allocations", json=held_lock["body"])
            assert_problem(await asyncio.wait_for(answer, 0.25), 401)

    @pytest.fixture
    async def unused_key(self, make_key: KeyMaker) -> str:
        return await make_key("read", name="first read under the lock")

    async def test_a_key_is_checked_without_waiting_for_the_lock(
        self, app: FastAPI, unused_key: str, held_lock: dict[str, Any]
    ) -> None:
        """A key's first read while an import holds the lock (the key issued before it) is answered at once: its
        lookup reads past the lock, and on SQLite the stamp of its use, which needs the lock, is skipped rather
        than waited for (on PostgreSQL the lock held is a stream's row, not the key's)."""
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as reader:
            reader.headers["Authorization"] = f"Bearer {unused_key}"
            started = time.monotonic()
            response = await reader.get("/api/v1/events")
            waited = time.monotonic() - started
        assert response.status_code == 200, response.text
        assert waited < 1, f"the read waited {waited:.2f} s: for the lock, whose wait is cut at 1 s"
        await held_lock["release"]()
        async with app.state.engine.connect() as connection:
            prefix = unused_key[:KEY_PREFIX_LENGTH]
            stamp = select(col(ApiKey.last_used_at)).where(col(ApiKey.prefix) == prefix)
            last_used = (await connection.execute(stamp)).scalar_one()
        assert (last_used is None) == (connection.dialect.name == "sqlite")

    async def test_a_write_that_waits_past_the_limit_is_503_and_writes_nothing(
        self, held_lock: dict[str, Any], client: httpx2.AsyncClient
    ) -> None:
        response = await client.post("/api/v1/allocations", json=held_lock["body"])
        assert_problem(response, 503)
        assert response.headers["retry-after"].isdigit()
        await held_lock["release"]()
        assert await total(client, "/api/v1/allocations") == 0
        assert (await client.post("/api/v1/allocations", json=held_lock["body"])).status_code == 201


class TestSlowUpload:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, sqlite_busy_timeout_ms=500)

    async def test_a_slow_upload_keeps_no_writer_waiting(self, app: FastAPI, client: httpx2.AsyncClient) -> None:
        """The file is read whole before the import takes the write lock: other writes go on meanwhile."""
        uploading = asyncio.Event()

        async def slow_file() -> AsyncIterator[bytes]:
            yield b"external_id,name,kind\r\n"
            uploading.set()
            for n in range(6):
                await asyncio.sleep(0.2)
                yield f"org-{n},Commune {n},collectivite\r\n".encode()

        headers = {"Content-Type": "text/csv"}
        upload = asyncio.create_task(client.post("/api/v1/imports/organizations", content=slow_file(), headers=headers))
        await uploading.wait()
        lab = await client.post("/api/v1/labs", json={"name": "Lab pendant l'import", "region_code": "53"})
        assert lab.status_code == 201, lab.text
        assert not upload.done()
        report = (await upload).json()
        assert report["created"] == 6
