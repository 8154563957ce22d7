"""Key tests: headers for a key, and the CLI run against the test database as from a shell."""

from collections.abc import Iterator

import anyio
import pytest
from typer.testing import CliRunner, Result

from app.cli import cli
from app.core.config import get_settings


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def invoke(*arguments: str) -> Result:
    """Run the CLI in a worker thread: it runs its own event loop, as it does from a shell."""
    runner = CliRunner(env={"COLUMNS": "200"})
    return await anyio.to_thread.run_sync(runner.invoke, cli, list(arguments))


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the CLI at the test database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
