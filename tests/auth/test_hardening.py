"""What an API exposed to other administrations needs beyond keys: body limits, security headers, CORS, and no
secret in errors or logs."""

import logging
from collections.abc import AsyncIterator

import httpx2
import pytest

from app.core.config import Settings
from tests.conftest import KeyMaker
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

LIMIT = 4096


class TestBodyLimit:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, max_body_bytes=LIMIT, max_import_bytes=8 * LIMIT)

    async def test_an_announced_oversized_body_is_413(self, client: httpx2.AsyncClient) -> None:
        body = {"name": "Lab", "region_code": "53", "description": "é" * LIMIT}
        response = await client.post("/api/v1/labs", json=body)
        assert "4096 bytes" in assert_problem(response, 413)["detail"]
        assert await total(client, "/api/v1/labs") == 0

    async def test_a_streamed_oversized_body_is_413(self, client: httpx2.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"name": "Lab", "region_code": "53", "description": "'
            for _ in range(10):
                yield b"x" * 1024
            yield b'"}'

        response = await client.post("/api/v1/labs", content=chunks(), headers={"Content-Type": "application/json"})
        assert_problem(response, 413)
        assert await total(client, "/api/v1/labs") == 0

    async def test_a_body_under_the_limit_passes(self, client: httpx2.AsyncClient) -> None:
        body = {"name": "Lab", "region_code": "53", "description": "x" * (LIMIT - 200)}
        assert (await client.post("/api/v1/labs", json=body)).status_code == 201

    async def test_imports_have_their_own_larger_limit(self, client: httpx2.AsyncClient) -> None:
        response = await client.post("/api/v1/imports/events", content=b"x" * (2 * LIMIT))
        assert response.status_code != 413
        assert_problem(await client.post("/api/v1/imports/events", content=b"x" * (9 * LIMIT)), 413)


class TestSecurityHeaders:
    async def test_api_responses(self, anonymous: httpx2.AsyncClient) -> None:
        headers = (await anonymous.get("/api/v1/regions")).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"

    async def test_errors_carry_them_too(self, anonymous: httpx2.AsyncClient) -> None:
        headers = (await anonymous.get("/api/v1/labs/nowhere")).headers
        assert headers["x-content-type-options"] == "nosniff"

    async def test_docs_may_run_their_local_scripts_only(self, anonymous: httpx2.AsyncClient) -> None:
        csp = (await anonymous.get("/docs")).headers["content-security-policy"]
        assert "script-src 'self' 'unsafe-inline'" in csp
        assert "http" not in csp


class TestCorsOff:
    async def test_no_cross_origin_headers_by_default(self, anonymous: httpx2.AsyncClient) -> None:
        response = await anonymous.get("/api/v1/regions", headers={"Origin": "https://tableau.bretagne.bzh"})
        assert "access-control-allow-origin" not in response.headers


class TestCorsConfigured:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, cors_origins=["https://tableau.bretagne.bzh"])

    async def test_preflight_from_an_allowed_origin(self, anonymous: httpx2.AsyncClient) -> None:
        response = await anonymous.options(
            "/api/v1/labs",
            headers={
                "Origin": "https://tableau.bretagne.bzh",
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization, if-match",
            },
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://tableau.bretagne.bzh"
        assert "PATCH" in response.headers["access-control-allow-methods"]

    async def test_preflight_from_another_origin_is_refused(self, anonymous: httpx2.AsyncClient) -> None:
        response = await anonymous.options(
            "/api/v1/labs",
            headers={"Origin": "https://ailleurs.example", "Access-Control-Request-Method": "POST"},
        )
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers

    async def test_exposes_the_headers_integrators_read(self, anonymous: httpx2.AsyncClient) -> None:
        response = await anonymous.get("/api/v1/labs", headers={"Origin": "https://tableau.bretagne.bzh"})
        exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
        assert {"etag", "link", "x-request-id"} <= exposed


async def test_keys_never_reach_the_logs(
    anonymous: httpx2.AsyncClient, make_key: KeyMaker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = await make_key("read")
    unknown = "lr_" + "z" * 43
    for token in (key, unknown):
        await anonymous.post("/api/v1/labs", json={}, headers={"Authorization": f"Bearer {token}"})
        await anonymous.get("/api/v1/labs", headers={"Authorization": f"Bearer {token}"})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert key not in logged
    assert unknown not in logged
