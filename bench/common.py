"""One copy of what every benchmark does alike: printing, results files, scratch databases, servers and their memory."""

import asyncio
import hashlib
import hmac
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
from sqlalchemy.engine import make_url

from app.core import migrations
from tests.servers import ROOT, ServerError, free_port

PG_SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
RESULTS = Path(__file__).parent / "results"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def results_file(name: str, engine: str, tag: str) -> Path:
    return RESULTS / f"{name}-{engine}{f'-{tag}' if tag else ''}.json"


# The least check of an API key ----------------------------------------------------------------------------


def key_sql(sqlite: bool) -> str:
    """The rows of a key by its prefix, in the driver's placeholder style: what the least check reads."""
    return f"SELECT key_hash, revoked_at, expires_at FROM api_keys WHERE prefix = {'?' if sqlite else '$1'}"


def key_accepted(token: str, rows: Sequence[Any], sqlite: bool) -> bool:
    """The least check of a key against its rows (`key_sql`): its SHA-256 compared in constant time, neither revoked
    nor expired — the app's check, without the stamp of its use it writes once a minute."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    now = datetime.now(UTC)
    moment: Any = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    return any(
        hmac.compare_digest(stored, digest) and revoked is None and (expires is None or expires > moment)
        for stored, revoked, expires in rows
    )


# Scratch databases ----------------------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def pg_url(database: str) -> str:
    """The SQLAlchemy URL of a database on the PG_SERVER."""
    return make_url(PG_SERVER).set(database=database).render_as_string(hide_password=False)


def pg_dsn(database: str) -> str:
    """The same for asyncpg, which takes no SQLAlchemy driver name."""
    return make_url(PG_SERVER).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


async def migrated(url: str) -> str:
    """The database migrated to head, for chaining."""
    await asyncio.to_thread(migrations.upgrade, url)
    return url


async def fresh_sqlite(path: Path) -> str:
    """An empty SQLite database at `path` (its WAL files gone too), migrated to head."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return await migrated(sqlite_url(path))


async def fresh_postgresql(database: str) -> str:
    """The database dropped (its connections closed by force), created again and migrated to head."""
    server = await asyncpg.connect(pg_dsn("postgres"))
    try:
        await server.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await server.execute(f'CREATE DATABASE "{database}"')
    finally:
        await server.close()
    return await migrated(pg_url(database))


def sqlite_count(path: Path) -> int:
    """Events in a SQLite database, 0 without the file (not created by asking) or its table."""
    if not path.exists():
        return 0
    connection = sqlite3.connect(path)
    try:
        count: int = connection.execute("SELECT count(*) FROM events").fetchone()[0]
        return count
    except sqlite3.Error:
        return 0
    finally:
        connection.close()


async def pg_count(database: str) -> int:
    """Events in a database of the PG_SERVER, 0 without the database or its table."""
    try:
        connection = await asyncpg.connect(pg_dsn(database))
    except asyncpg.InvalidCatalogNameError:
        return 0
    try:
        count: int = await connection.fetchval("SELECT count(*) FROM events")
        return count
    except asyncpg.PostgresError:
        return 0
    finally:
        await connection.close()


# Servers and their memory ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """A running server: where to send requests, and the process whose memory is read."""

    name: str
    base_url: str
    pid: int


@contextmanager
def running(
    name: str, command: Sequence[str], env: Mapping[str, str], ready_path: str, stop_timeout: float = 20
) -> Iterator[Server]:
    """A server process on a free port of 127.0.0.1 until the block ends, once `ready_path` answers 200.

    Its output goes to /tmp/lab-registry-bench-<name>.log, shown when it does not start within a minute. On the
    way out it gets SIGTERM and `stop_timeout` seconds to stop before its process group is killed.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = Path(f"/tmp/lab-registry-bench-{name}.log")
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            # One client for the polls: a client each would build a TLS context each time (25 ms of CPU).
            with httpx2.Client(base_url=base_url, timeout=1.0) as http:
                while not _answers(http, ready_path):
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise ServerError(f"{name} did not start:\n{log_path.read_text(errors='replace')[-4000:]}")
                    time.sleep(0.2)
            yield Server(name, base_url, process.pid)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                with suppress(subprocess.TimeoutExpired):
                    process.wait(stop_timeout)
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _answers(http: httpx2.Client, path: str) -> bool:
    try:
        return http.get(path).status_code == 200
    except httpx2.TransportError:
        return False


def memory_kb(pid: int, name: str) -> int:
    """One line of /proc/<pid>/status (VmRSS: resident now; VmHWM: the most since start or reset), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    raise ServerError(f"no {name} in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used so far, all its threads, user and system (/proc/<pid>/stat)."""
    # The command name, in parentheses, may hold spaces: the fields counted are those after it.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def megabytes(kilobytes: int) -> float:
    """/proc counts in kB (1024 bytes); the goals are in MB (10⁶ bytes)."""
    return round(kilobytes * 1024 / 1e6, 1)


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0, own processes), so that the peak read next is the run's alone."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True
