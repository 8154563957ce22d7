"""A real server for the race tests of this folder: 2 workers on PostgreSQL, 1 on SQLite (one writer)."""

from collections.abc import AsyncIterator, Iterator

import httpx2
import pytest

from tests.conftest import KeyMaker
from tests.servers import serve


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[str]:
    workers = 1 if database_url.startswith("sqlite") else 2
    with serve(database_url, workers=workers) as base_url:
        yield base_url


@pytest.fixture
async def http(server: str, make_key: KeyMaker) -> AsyncIterator[httpx2.AsyncClient]:
    """A client of the real server, with a write key; `make_key` empties the database after the test."""
    key = await make_key("read", "write", "funding", "publish", name="racing app")
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx2.AsyncClient(base_url=server, headers=headers, timeout=60) as client:
        yield client
