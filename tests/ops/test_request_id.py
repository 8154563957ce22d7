"""X-Request-ID: kept when the caller's is sane, generated otherwise, echoed, on request.state, and quoted in
every problem+json, 500s included (whose traceback goes to the log, never to the caller)."""

import json
import re
from collections.abc import AsyncIterator

import httpx2
import pytest
from asgi_lifespan import LifespanManager
from fastapi import Request

from app.core.config import Settings
from app.main import create_app
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
async def http(default_settings: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    """A client on an app of the module's own with two test-only routes: one that shows request.state.request_id,
    one that fails."""
    application = create_app(default_settings)

    async def show(request: Request) -> dict[str, str]:
        return {"request_id": request.state.request_id}

    async def explode() -> None:
        raise RuntimeError("boom: password=hunter2 in SELECT * FROM api_keys")

    application.add_api_route("/test-only/request-id", show)
    application.add_api_route("/test-only/explode", explode)
    transport = httpx2.ASGITransport(app=application, raise_app_exceptions=False)
    async with LifespanManager(application), httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


class TestRequestId:
    @pytest.mark.parametrize("sent", ["abc-123_X.y", "0f8fad5b-d9cb-469f-a165-70867728950e", "a" * 128])
    async def test_a_sane_id_is_kept_and_echoed(self, http: httpx2.AsyncClient, sent: str) -> None:
        response = await http.get("/test-only/request-id", headers={"X-Request-ID": sent})
        assert response.headers["x-request-id"] == sent
        assert response.json() == {"request_id": sent}

    async def test_an_id_is_generated_when_none_is_sent(self, http: httpx2.AsyncClient) -> None:
        first = await http.get("/test-only/request-id")
        second = await http.get("/test-only/request-id")
        assert GENERATED.fullmatch(first.headers["x-request-id"])
        assert first.json() == {"request_id": first.headers["x-request-id"]}
        assert first.headers["x-request-id"] != second.headers["x-request-id"]

    @pytest.mark.parametrize("sent", ["a" * 129, "two words", "<script>", "a/b", "x;y", ""])
    async def test_an_insane_id_is_replaced(self, http: httpx2.AsyncClient, sent: str) -> None:
        response = await http.get("/test-only/request-id", headers={"X-Request-ID": sent})
        assert GENERATED.fullmatch(response.headers["x-request-id"])
        assert response.json() == {"request_id": response.headers["x-request-id"]}

    async def test_sent_once_on_every_response(self, http: httpx2.AsyncClient) -> None:
        response = await http.get("/health", headers={"X-Request-ID": "once"})
        assert response.headers.get_list("x-request-id") == ["once"]


class TestProblemCarriesTheRequestId:
    async def test_on_404(self, http: httpx2.AsyncClient) -> None:
        response = await http.get("/api/v1/labs/nowhere", headers={"X-Request-ID": "trace-404"})
        assert assert_problem(response, 404)["request_id"] == "trace-404"
        assert response.headers["x-request-id"] == "trace-404"

    async def test_on_422(self, http: httpx2.AsyncClient) -> None:
        response = await http.get("/api/v1/labs", params={"limit": 0})
        body = assert_problem(response, 422, "limit")
        assert body["request_id"] == response.headers["x-request-id"]

    async def test_on_401(self, http: httpx2.AsyncClient) -> None:
        response = await http.post("/api/v1/labs", json={}, headers={"Authorization": "Bearer nope"})
        assert assert_problem(response, 401)["request_id"] == response.headers["x-request-id"]

    async def test_on_413(self, http: httpx2.AsyncClient) -> None:
        response = await http.post(
            "/api/v1/labs", content=b"x" * 2_000_000, headers={"content-type": "application/json"}
        )
        assert assert_problem(response, 413)["request_id"] == response.headers["x-request-id"]

    async def test_on_500_with_the_traceback_logged_and_not_sent(
        self, http: httpx2.AsyncClient, capsys: pytest.CaptureFixture[str]
    ) -> None:
        response = await http.get("/test-only/explode", headers={"X-Request-ID": "trace-500"})
        body = assert_problem(response, 500)
        assert body["request_id"] == "trace-500"
        assert response.headers["x-request-id"] == "trace-500"
        assert body["detail"] == "An unexpected error occurred; it has been logged."
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        for secret in ("hunter2", "SELECT", "Traceback", "RuntimeError"):
            assert secret not in response.text
        entries = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
        (error,) = [entry for entry in entries if entry["level"] == "error"]
        assert error["logger"] == "app.errors"
        assert error["request_id"] == "trace-500"
        assert error["exception"].startswith("Traceback (most recent call last):")
        assert "RuntimeError: boom: password=hunter2" in error["exception"]
        (access,) = [entry for entry in entries if entry["logger"] == "app.ops.access"]
        assert (access["status"], access["request_id"], access["route"]) == (500, "trace-500", "/test-only/explode")
