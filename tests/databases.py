"""Scratch databases of a test run's own, on the engine TEST_DATABASE_URL names (SQLite when unset).

    TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres pytest

creates each database on that server (`<prefix>_<random>`, `<prefix>_gw0_<random>` in xdist's worker gw0) and drops
it afterwards. Each xdist worker is a run of its own: its own databases, never a neighbour's.
"""

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url


async def _on_server(server_url: str, statement: str) -> None:
    server = make_url(server_url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(server.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def scratch_database(folder: Path, prefix: str) -> Iterator[str]:
    """The URL of an empty database: a SQLite file in `folder`, or a PostgreSQL database dropped at exit."""
    server_url = os.environ.get("TEST_DATABASE_URL", "")
    if not server_url.startswith("postgresql"):
        yield f"sqlite+aiosqlite:///{folder / f'{prefix}.db'}"
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = "_".join(filter(None, [prefix, worker, secrets.token_hex(4)]))
    asyncio.run(_on_server(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_on_server(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
