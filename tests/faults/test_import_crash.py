"""A server killed with SIGKILL in the middle of a bulk import, on the test run's engine: the import's single
transaction dies with it, so nothing of it is stored (nor its audit trail), and running the same file again on a
restarted server completes, with every row once. Sent with an Idempotency-Key, the retry with the same key is
409 while the first could still be running, then runs the import.

An import reads its whole upload before it writes (docs/imports.md), so the kill must land while it writes. On
PostgreSQL the test holds a lock on one stored row the file changes, half-way through it: the import writes the
rows before it, then waits; the test sees it waiting with rows written (its row locks on the table), and kills
the server. On SQLite, whose uncommitted rows nobody else sees, the test kills the server once the import holds
the database's write lock and has spilled pages of its transaction to the write-ahead log.
"""

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import KeyMaker
from tests.servers import Server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

HEADER = "external_id;name;kind;region\n"
SQLITE_ROWS = 12_000
"""Rows of a killed import on SQLite: enough for its transaction to spill pages to the write-ahead log, which the
kill waits for (`_sqlite_writing`)."""
POSTGRESQL_ROWS = 4_000
"""On PostgreSQL the kill waits for the import to block on the test's lock half-way through: two batches of the
importer (BATCH_ROWS, 2 000), no volume."""
CHUNK_ROWS = 500
SPILLED_BYTES = 1_000_000
IMPORT_TIMEOUT = 300.0


def _organization(number: int, *, label: str = "Commune", kind: str = "collectivite") -> str:
    """One CSV line; the external id and the name follow the number, so reruns and renames meet the same row."""
    return f"crash-{number:06d};{label} {number:06d};{kind};53\n"


async def _body(lines: Sequence[str]) -> AsyncIterator[bytes]:
    """The CSV file, in chunks of CHUNK_ROWS rows."""
    yield HEADER.encode()
    for start in range(0, len(lines), CHUNK_ROWS):
        yield "".join(lines[start : start + CHUNK_ROWS]).encode()


async def _writing_while_blocked(engine: AsyncEngine) -> bool:
    """PostgreSQL: another session of this database holds the lock an INSERT or UPDATE takes on organizations (it
    wrote rows) and waits for a row lock (the test's)."""
    async with engine.connect() as connection:
        found = await connection.scalar(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE c.relname = 'organizations' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid() "
                "AND a.datname = current_database() AND a.wait_event_type = 'Lock')"
            )
        )
    return bool(found)


def _truncate_wal(database: Path) -> None:
    """Checkpoint and empty the write-ahead log: after a checkpoint SQLite writes the log again from its start
    without shrinking the file, so a log that earlier tests (or the reset's DELETEs) had grown hid the import's
    spill, and the import ran to its end before the test saw it write."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def _sqlite_writing(database: Path, wal_before: int) -> bool:
    """SQLite: another connection holds the write lock, and its transaction has grown the write-ahead log by
    pages of rows (a spill: nothing of it is committed)."""
    probe = sqlite3.connect(database, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.rollback()
        return False
    except sqlite3.OperationalError:
        wal = database.with_name(database.name + "-wal")
        return wal.exists() and wal.stat().st_size > wal_before + SPILLED_BYTES
    finally:
        probe.close()


async def _kill_during_import(
    server: Server, key: str, lines: Sequence[str], *, atomic: bool, held: str, engine: AsyncEngine
) -> None:
    """Send the file to an import and kill the server while it writes: on PostgreSQL, blocked behind the test's
    lock on the stored row `held` (an external id the file changes); on SQLite, once it spills rows."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    postgresql = engine.dialect.name == "postgresql"
    database = Path(engine.url.database or "")
    if not postgresql:
        _truncate_wal(database)
    wal_before = (
        0
        if postgresql or not database.with_name(database.name + "-wal").exists()
        else (database.with_name(database.name + "-wal").stat().st_size)
    )
    async with engine.connect() as blocker, blocker.begin():
        if postgresql:
            locked = await blocker.execute(
                text("SELECT id FROM organizations WHERE external_id = :held FOR UPDATE"), {"held": held}
            )
            assert locked.first() is not None, f"no stored row {held} to hold"
        async with httpx2.AsyncClient(base_url=server.base_url, headers=headers, timeout=IMPORT_TIMEOUT) as http:
            request = asyncio.create_task(
                http.post("/api/v1/imports/organizations", params={"atomic": str(atomic).lower()}, content=_body(lines))
            )
            async with asyncio.timeout(IMPORT_TIMEOUT):
                while not (
                    await _writing_while_blocked(engine) if postgresql else _sqlite_writing(database, wal_before)
                ):
                    assert not request.done(), f"the import ended before the kill: {(await request).text[:500]}"
                    await asyncio.sleep(0.01)
            server.kill()
            with pytest.raises(httpx2.TransportError):
                await request
        await blocker.rollback()


async def _import(base_url: str, key: str, lines: Sequence[str], *, atomic: bool) -> dict[str, Any]:
    """The whole file at once; the import must complete (200) and its report is returned."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    async with httpx2.AsyncClient(base_url=base_url, headers=headers, timeout=IMPORT_TIMEOUT) as http:
        response = await http.post(
            "/api/v1/imports/organizations", params={"atomic": str(atomic).lower()}, content=_body(lines)
        )
    assert response.status_code == 200, response.text[:2000]
    report: dict[str, Any] = response.json()
    return report


async def _claims(engine: AsyncEngine) -> list[tuple[bool, bool]]:
    """Each stored Idempotency-Key: (applied, answered)."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT applied_at IS NOT NULL, response_status IS NOT NULL FROM idempotency_keys")
        )
        return [(bool(applied), bool(answered)) for applied, answered in rows]


async def _stored(engine: AsyncEngine) -> tuple[int, int, int]:
    """Organizations, distinct external ids among them, and audit entries about organizations."""
    async with engine.connect() as connection:
        rows, keys = (
            await connection.execute(text("SELECT count(*), count(DISTINCT external_id) FROM organizations"))
        ).one()
        audit = await connection.scalar(text("SELECT count(*) FROM audit_log WHERE entity_type = 'organization'"))
    return rows, keys, audit


@pytest.fixture
def rows(database_url: str) -> int:
    """Rows of the file a killed import sends, on the run's engine."""
    return SQLITE_ROWS if database_url.startswith("sqlite") else POSTGRESQL_ROWS


async def _names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set((await connection.scalars(text("SELECT name FROM organizations"))).all())


async def test_a_kill_during_an_atomic_import_stores_nothing_and_a_rerun_completes(
    database_url: str, app: FastAPI, make_key: KeyMaker, rows: int
) -> None:
    """One row is stored beforehand, under another name, which the file changes half-way through."""
    key = await make_key("read", "write")
    engine: AsyncEngine = app.state.engine
    held = rows // 2
    lines = [_organization(n) for n in range(rows)]
    with Server(database_url) as server:
        before = await _import(server.base_url, key, [_organization(held, label="Ancienne commune")], atomic=True)
        assert before["created"] == 1
        await _kill_during_import(server, key, lines, atomic=True, held=f"crash-{held:06d}", engine=engine)

    with Server(database_url) as restarted:
        assert await _stored(engine) == (1, 1, 1)
        assert await _names(engine) == {f"Ancienne commune {held:06d}"}
        report = await _import(restarted.base_url, key, lines, atomic=True)
    assert (report["read"], report["created"], report["updated"], report["rejected"]) == (rows, rows - 1, 1, 0)
    assert await _stored(engine) == (rows, rows, rows + 1)


async def test_a_kill_during_a_non_atomic_import_loses_all_of_it_and_a_rerun_completes_without_duplicates(
    database_url: str, app: FastAPI, make_key: KeyMaker, rows: int
) -> None:
    """Rows loaded before are updated by the end of the file, which first creates the rest and holds a few bad
    rows; the killed import rolls back its creates as well as its updates."""
    key = await make_key("read", "write")
    engine: AsyncEngine = app.state.engine
    loaded = 2_000
    bad = {n for n in range(loaded, rows) if n % 1_000 == 500}
    lines = [_organization(n, kind="inconnue" if n in bad else "collectivite") for n in range(loaded, rows)]
    lines += [_organization(n, label="Commune renommée") for n in range(loaded)]
    with Server(database_url) as server:
        first = await _import(server.base_url, key, [_organization(n) for n in range(loaded)], atomic=False)
        assert first["created"] == loaded
        await _kill_during_import(server, key, lines, atomic=False, held=f"crash-{loaded // 2:06d}", engine=engine)

    with Server(database_url) as restarted:
        assert await _stored(engine) == (loaded, loaded, loaded)
        assert await _names(engine) == {f"Commune {n:06d}" for n in range(loaded)}
        report = await _import(restarted.base_url, key, lines, atomic=False)
    assert report["read"] == rows
    assert (report["created"], report["updated"], report["unchanged"]) == (rows - loaded - len(bad), loaded, 0)
    assert report["rejected"] == len(bad)
    assert sorted(error["line"] for error in report["errors"]) == sorted(n - loaded + 2 for n in bad)
    assert await _stored(engine) == (rows - len(bad), rows - len(bad), rows - len(bad) + loaded)
    renamed = {f"Commune renommée {n:06d}" for n in range(loaded)}
    assert await _names(engine) == renamed | {f"Commune {n:06d}" for n in range(loaded, rows) if n not in bad}


async def test_a_kill_during_an_import_with_an_idempotency_key_lets_a_retry_run_it_once_the_claim_is_abandoned(
    database_url: str, app: FastAPI, make_key: KeyMaker
) -> None:
    """The key is claimed (committed) before the import runs, and the server is killed as soon as the claim is
    seen: the import's transaction dies unapplied. After a restart the retry is 409 within the abandon delay,
    then, the delay past, runs the import and is replayed afterwards."""
    key = await make_key("read", "write")
    engine: AsyncEngine = app.state.engine
    # The kill follows the claim, so the file need only outlast the test's poll (20 ms) by far: seconds of import.
    sent = 3_000
    lines = [_organization(n) for n in range(sent)]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv", "Idempotency-Key": "nightly-load"}
    body = (HEADER + "".join(lines)).encode()
    abandon_delay = 10.0
    abandoned_after = {"IDEMPOTENCY_ABANDONED_SECONDS": str(int(abandon_delay))}
    with Server(database_url, env=abandoned_after) as server:
        async with httpx2.AsyncClient(base_url=server.base_url, headers=headers, timeout=IMPORT_TIMEOUT) as http:
            request = asyncio.create_task(http.post("/api/v1/imports/organizations", content=body))
            async with asyncio.timeout(IMPORT_TIMEOUT):
                while not await _claims(engine):
                    await asyncio.sleep(0.02)
            server.kill()
            claimed_by = time.monotonic()
            with pytest.raises(httpx2.TransportError):
                await request
    assert await _claims(engine) == [(False, False)]
    assert await _stored(engine) == (0, 0, 0)

    with Server(database_url, env=abandoned_after) as restarted:
        async with httpx2.AsyncClient(base_url=restarted.base_url, headers=headers, timeout=IMPORT_TIMEOUT) as http:
            in_flight = await http.post("/api/v1/imports/organizations", content=body)
            assert in_flight.status_code == 409, in_flight.text
            assert "still being processed" in in_flight.json()["detail"]
            await asyncio.sleep(claimed_by + abandon_delay + 0.5 - time.monotonic())
            retried = await http.post("/api/v1/imports/organizations", content=body)
            assert retried.status_code == 200, retried.text[:2000]
            assert "idempotent-replayed" not in retried.headers
            replayed = await http.post("/api/v1/imports/organizations", content=body)
    assert retried.json()["created"] == sent
    assert (replayed.headers["idempotent-replayed"], replayed.json()) == ("true", retried.json())
    assert await _claims(engine) == [(True, True)]
    assert await _stored(engine) == (sent, sent, sent)
