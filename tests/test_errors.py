"""Errors the framework raises (routing, body parsing, list parameters) leave as problem+json like the app's own."""

import httpx2
import pytest

from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def test_unknown_route_is_404(client: httpx2.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/nowhere"), 404)
    assert body["instance"] == "/api/v1/nowhere"


async def test_wrong_method_is_405(client: httpx2.AsyncClient) -> None:
    response = await client.delete("/api/v1/labs")
    body = assert_problem(response, 405)
    assert body["instance"] == "/api/v1/labs"
    assert "GET" in response.headers["allow"]


async def test_malformed_json_is_422(client: httpx2.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/labs", content=b'{"name": "Lab", "region_code": ', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422)
    assert body["instance"] == "/api/v1/labs"
    assert body["errors"][0]["type"] == "json_invalid"
    assert (await client.get("/api/v1/labs")).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"limit": 0}, 422, "limit"),
        ({"limit": 501}, 422, "limit"),
        ({"colour": "blue"}, 422, "colour"),
        ({"cursor": "not-a-cursor"}, 400, None),
    ],
)
async def test_bad_list_parameter(
    client: httpx2.AsyncClient, params: dict[str, str | int], status: int, field: str | None
) -> None:
    body = assert_problem(await client.get("/api/v1/labs", params=params), status, field)
    assert body["instance"] == "/api/v1/labs"
