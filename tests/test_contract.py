"""Contract details integrators rely on: ETags on creation, HEAD wherever GET is, a 405's `Allow`, huge numbers
refused as 422, links built on a trusted origin only, If-Match compared strongly, reads declared public."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from tests.factories import (
    create_allocation,
    create_campaign,
    create_disbursement,
    create_event,
    create_lab,
    create_organization,
    create_partner,
    create_project,
    create_stream,
)
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

Factory = Callable[[httpx2.AsyncClient], Awaitable[dict[str, Any]]]


async def _disbursement(client: httpx2.AsyncClient) -> dict[str, Any]:
    allocation = await create_allocation(client)
    return await create_disbursement(client, allocation["id"])


async def _partner(client: httpx2.AsyncClient) -> dict[str, Any]:
    return await create_partner(client, (await create_project(client))["id"])


FACTORIES: dict[str, Factory] = {
    "organization": create_organization,
    "lab": create_lab,
    "stream": create_stream,
    "allocation": create_allocation,
    "disbursement": _disbursement,
    "project": create_project,
    "partner": _partner,
    "campaign": create_campaign,
    "event": create_event,
}


class TestCreation:
    @pytest.mark.parametrize("kind", FACTORIES)
    async def test_a_201_carries_the_etag_the_item_answers_with(self, client: httpx2.AsyncClient, kind: str) -> None:
        responses: list[httpx2.Response] = []
        client.event_hooks["response"] = [lambda response: _keep(responses, response)]
        await FACTORIES[kind](client)
        client.event_hooks["response"] = []
        created = responses[-1]
        assert created.status_code == 201
        item = await client.get(created.headers["location"])
        assert item.status_code == 200, created.headers["location"]
        assert created.headers["etag"] == item.headers["etag"] == '"1"'


async def _keep(responses: list[httpx2.Response], response: httpx2.Response) -> None:
    responses.append(response)


class TestHead:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/labs",
            "/api/v1/labs/{lab}",
            "/api/v1/labs/{lab}/events",
            "/api/v1/labs?output=csv",
            "/api/v1/events.ics",
            "/api/v1/labs.geojson",
            "/api/v1/stats/overview",
            "/api/v1/regions",
            "/health",
        ],
    )
    async def test_head_answers_the_get_headers_without_a_body(self, client: httpx2.AsyncClient, path: str) -> None:
        lab = await create_lab(client)
        url = path.format(lab=lab["slug"])
        got, head = await client.get(url), await client.head(url)
        assert got.status_code == head.status_code == 200
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers.get("etag") == got.headers.get("etag")


class TestMethodNotAllowed:
    @pytest.mark.parametrize(
        ("method", "path", "allowed"),
        [
            ("PUT", "/api/v1/labs", "GET, HEAD, POST"),
            ("POST", "/api/v1/labs/some-lab", "DELETE, GET, HEAD, PATCH, PUT"),
            ("DELETE", "/api/v1/stats/overview", "GET, HEAD"),
        ],
    )
    async def test_a_405_lists_every_method_of_the_path(
        self, client: httpx2.AsyncClient, method: str, path: str, allowed: str
    ) -> None:
        response = await client.request(method, path)
        assert_problem(response, 405)
        assert response.headers["allow"] == allowed


class TestHugeNumbers:
    async def test_an_integer_of_more_than_4300_digits_is_a_422_and_nothing_is_written(
        self, client: httpx2.AsyncClient
    ) -> None:
        body = b'{"name": "Lab", "region_code": "53", "latitude": 1' + b"0" * 5000 + b"}"
        response = await client.post("/api/v1/labs", content=body, headers={"Content-Type": "application/json"})
        problem = assert_problem(response, 422, "body")
        assert "4300 digits" in problem["detail"]
        assert await total(client, "/api/v1/labs") == 0


class TestLinksOnAnUntrustedHost:
    async def test_links_are_relative_for_a_host_not_allowed(self, client: httpx2.AsyncClient) -> None:
        for _ in range(2):
            await create_lab(client)
        page = await client.get("/api/v1/labs", params={"limit": "1"}, headers={"Host": "evil.example"})
        assert page.headers["link"].startswith("</api/v1/labs?limit=1&cursor=")
        created = await client.post(
            "/api/v1/labs", json={"name": "Lab", "region_code": "53"}, headers={"Host": "evil.example"}
        )
        assert created.headers["location"].startswith("/api/v1/labs/")


class TestLinksOnAnAllowedHost:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, allowed_hosts=["test"])

    async def test_links_are_on_the_request_host(self, client: httpx2.AsyncClient) -> None:
        for _ in range(2):
            await create_lab(client)
        page = await client.get("/api/v1/labs", params={"limit": "1"})
        assert page.headers["link"].startswith("<http://test/api/v1/labs?limit=1&cursor=")
        page = await client.get("/api/v1/labs", params={"limit": "1"}, headers={"Host": "evil.example"})
        assert page.headers["link"].startswith("</api/v1/labs?limit=1&cursor=")


class TestLinksOnThePublicBaseUrl:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, public_base_url="https://registre.example.gouv.fr/")

    async def test_links_and_locations_are_on_the_public_origin(self, client: httpx2.AsyncClient) -> None:
        for _ in range(2):
            await create_lab(client)
        page = await client.get("/api/v1/labs", params={"limit": "1"}, headers={"Host": "evil.example"})
        assert page.headers["link"].startswith("<https://registre.example.gouv.fr/api/v1/labs?limit=1&cursor=")
        changes = await client.get("/api/v1/changes", params={"limit": "1"})
        assert changes.headers["link"].startswith("<https://registre.example.gouv.fr/api/v1/changes?")
        created = await client.post("/api/v1/labs", json={"name": "Lab", "region_code": "53"})
        assert created.headers["location"].startswith("https://registre.example.gouv.fr/api/v1/labs/")

    def test_a_base_url_with_a_path_is_refused(self, database_url: str) -> None:
        with pytest.raises(ValueError, match="origin only"):
            Settings(database_url=database_url, public_base_url="https://example.gouv.fr/registry")


class TestIfMatch:
    async def test_a_weak_tag_is_refused_and_nothing_is_written(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        url = f"/api/v1/labs/{lab['id']}"
        assert_problem(await client.patch(url, json={"city": "Brest"}, headers={"If-Match": 'W/"1"'}), 422)
        assert (await client.get(url)).json()["city"] == lab["city"]
        changed = await client.patch(url, json={"city": "Brest"}, headers={"If-Match": '"1"'})
        assert changed.status_code == 200
        assert changed.headers["etag"] == '"2"'

    async def test_if_none_match_still_takes_a_weak_tag(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        response = await client.get(f"/api/v1/labs/{lab['id']}", headers={"If-None-Match": 'W/"1"'})
        assert response.status_code == 304


async def test_the_openapi_declares_public_reads_and_the_if_match_pattern(app: FastAPI, database_url: str) -> None:
    document = app.openapi()
    paths = document["paths"]
    assert paths["/api/v1/labs"]["get"]["security"] == [{}, {"ApiKey": []}]
    assert paths["/api/v1/labs"]["post"]["security"] == [{"ApiKey": []}]
    assert paths["/api/v1/audit"]["get"]["security"] == [{"ApiKey": []}]
    (if_match,) = [p for p in paths["/api/v1/labs/{lab}"]["patch"]["parameters"] if p["name"] == "if-match"]
    assert if_match["schema"]["anyOf"][0]["pattern"].startswith("^")
    closed = create_app(Settings(database_url=database_url, public_reads=False)).openapi()
    assert closed["paths"]["/api/v1/labs"]["get"]["security"] == [{"ApiKey": []}]
