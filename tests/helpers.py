"""Assertions and small helpers shared by every test module: problems, totals, keys' headers, the CLI."""

from typing import Any

import anyio
import httpx2
from typer.testing import CliRunner, Result

from app.cli import cli

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: httpx2.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; with `field`, a 422 naming that field."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    if field is not None:
        assert any(field in map(str, err["loc"]) for err in body["errors"]), body
    return body


async def total(client: httpx2.AsyncClient, path: str) -> int:
    """How many items a list holds (via include_total), to check what was or was not written."""
    response = await client.get(path, params={"include_total": True, "limit": 1})
    assert response.status_code == 200, response.text
    count: int = response.json()["total"]
    return count


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def invoke(*arguments: str) -> Result:
    """Run the CLI in a worker thread: it runs its own event loop, as it does from a shell."""
    runner = CliRunner(env={"COLUMNS": "200"})
    return await anyio.to_thread.run_sync(runner.invoke, cli, list(arguments))
