"""Logs: one JSON object per line with the request id, one access line per request (with the API key's id,
never the key), the readable console format by setting, and uvicorn's duplicate of a logged 500 skipped."""

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from app.auth import service as auth_service
from app.core.config import Settings
from app.core.errors import LOGGED
from app.main import create_app
from app.ops.logging import configure_logging
from tests.conftest import KeyMaker

pytestmark = pytest.mark.anyio


def log_entries(captured: str) -> list[dict[str, Any]]:
    """Every line parsed as JSON: a line that is not JSON fails the test."""
    return [json.loads(line) for line in captured.splitlines()]


async def key_id(app: FastAPI, key: str) -> str:
    async with app.state.sessionmaker() as session:
        return str((await auth_service.get_key(session, key[:11])).id)


class TestJsonLines:
    async def test_every_line_is_json_and_every_request_has_one_access_line_with_its_id(
        self, app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker, capsys: pytest.CaptureFixture[str]
    ) -> None:
        key = await make_key("read", "write", "funding", "publish", name="integrating app")
        keyed = {"Authorization": f"Bearer {key}"}
        capsys.readouterr()
        responses = [
            await anonymous.post(
                "/api/v1/organizations", json={"name": "Ville de Rennes", "kind": "service-deconcentre"}, headers=keyed
            ),
            await anonymous.get("/api/v1/labs"),
            await anonymous.get("/api/v1/labs/nowhere", headers={"X-Request-ID": "from-the-caller"}),
            await anonymous.get("/api/v1/labs", params={"limit": 0}),
            await anonymous.post("/api/v1/labs", json={}, headers={"Authorization": "Bearer lr_wrong"}),
            await anonymous.get("/no/such/route"),
        ]
        assert [r.status_code for r in responses] == [201, 200, 404, 422, 401, 404]
        captured = capsys.readouterr().err
        entries = log_entries(captured)
        assert key not in captured
        served = [entry for entry in entries if entry["logger"].startswith("app.")]
        assert all(entry.get("request_id") for entry in served), served
        access = [entry for entry in served if entry["logger"] == "app.ops.access"]
        assert [entry["request_id"] for entry in access] == [r.headers["x-request-id"] for r in responses]
        first = access[0]
        assert first["level"] == "info"
        assert first["method"] == "POST"
        assert first["route"] == "/api/v1/organizations"
        assert first["path"] == "/api/v1/organizations"
        assert first["status"] == 201
        assert isinstance(first["duration_ms"], float)
        assert first["api_key_id"] == await key_id(app, key)
        assert first["client_ip"] == "127.0.0.1"
        assert first["time"].endswith("+00:00")
        assert [entry["route"] for entry in access[1:]] == [
            "/api/v1/labs",
            "/api/v1/labs/{lab}",
            "/api/v1/labs",
            "/api/v1/labs",
            None,
        ]
        assert [entry["api_key_id"] for entry in access[1:]] == [None] * 5
        assert access[2]["request_id"] == "from-the-caller"


@pytest.fixture
async def console_client(database_url: str) -> AsyncIterator[httpx2.AsyncClient]:
    application = create_app(Settings(database_url=database_url, log_format="CONSOLE", log_level="debug"))
    async with (
        LifespanManager(application),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=application), base_url="http://test") as http,
    ):
        yield http
    configure_logging(Settings(database_url=database_url))


class TestConsoleFormat:
    async def test_readable_lines_with_the_request_id(
        self, console_client: httpx2.AsyncClient, capsys: pytest.CaptureFixture[str]
    ) -> None:
        capsys.readouterr()
        response = await console_client.get("/api/v1/labs", headers={"X-Request-ID": "dev-1"})
        lines = [line for line in capsys.readouterr().err.splitlines() if "app.ops.access" in line]
        assert len(lines) == 1
        assert lines[0].startswith(tuple("0123456789"))
        assert "INFO    app.ops.access  GET /api/v1/labs 200 " in lines[0]
        assert lines[0].endswith(" ms  [dev-1]")
        assert response.headers["x-request-id"] == "dev-1"


class TestLevel:
    async def test_warning_hides_the_access_lines(self, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
        application = create_app(Settings(database_url=database_url, log_level="WARNING"))
        try:
            async with (
                LifespanManager(application),
                httpx2.AsyncClient(transport=httpx2.ASGITransport(app=application), base_url="http://test") as http,
            ):
                capsys.readouterr()
                assert (await http.get("/api/v1/labs")).status_code == 200
                assert "app.ops.access" not in capsys.readouterr().err
        finally:
            configure_logging(Settings(database_url=database_url))


class TestUvicornDuplicates:
    def test_an_exception_the_app_logged_is_not_logged_again_by_uvicorn(
        self, settings: Settings, capsys: pytest.CaptureFixture[str]
    ) -> None:
        configure_logging(settings)
        logged, unlogged = RuntimeError("handled by the app"), RuntimeError("never seen by the app")
        setattr(logged, LOGGED, True)
        uvicorn_error = logging.getLogger("uvicorn.error")
        capsys.readouterr()
        uvicorn_error.error("Exception in ASGI application\n", exc_info=logged)
        uvicorn_error.error("Exception in ASGI application\n", exc_info=unlogged)
        (entry,) = log_entries(capsys.readouterr().err)
        assert "RuntimeError: never seen by the app" in entry["exception"]
