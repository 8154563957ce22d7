"""Regions, themes and event formats are lists like every other: `{"items", "next_cursor"}` pages in code order,
`limit`, `cursor`, `include_total` and a `Link` header, so that a generic paginator walks them too."""

import base64
from typing import Any

import httpx2
import pytest

from app.reference.data import EVENT_FORMATS, REGIONS, THEMES
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio

LISTS = {
    "/api/v1/regions": sorted(code for code, _, _ in REGIONS),
    "/api/v1/themes": sorted(code for code, _ in THEMES),
    "/api/v1/event-formats": sorted(code for code, _ in EVENT_FORMATS),
}


async def walk(client: httpx2.AsyncClient, path: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    """Every item of a list, following `Link: <…>; rel="next"` as a generic client does; and the pages read."""
    items: list[dict[str, Any]] = []
    url: str | None = f"{path}?limit={limit}"
    pages = 0
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        items += body["items"]
        pages += 1
        link = response.headers.get("link")
        assert (link is None) == (body["next_cursor"] is None)
        url = None if link is None else link.removeprefix("<").split(">;")[0]
    return items, pages


@pytest.mark.parametrize("path", LISTS)
class TestReferenceLists:
    async def test_one_page_holds_them_all_by_default(self, anonymous: httpx2.AsyncClient, path: str) -> None:
        response = await anonymous.get(path)
        assert response.status_code == 200
        assert "link" not in response.headers
        body = response.json()
        assert body["next_cursor"] is None
        assert [item["code"] for item in body["items"]] == LISTS[path]

    async def test_a_generic_paginator_walks_them_in_code_order(self, anonymous: httpx2.AsyncClient, path: str) -> None:
        items, pages = await walk(anonymous, path, limit=3)
        assert [item["code"] for item in items] == LISTS[path]
        assert pages == -(-len(LISTS[path]) // 3)

    async def test_include_total(self, anonymous: httpx2.AsyncClient, path: str) -> None:
        body = (await anonymous.get(path, params={"limit": 1, "include_total": "true"})).json()
        assert (len(body["items"]), body["total"]) == (1, len(LISTS[path]))

    async def test_bad_paging_is_refused(self, anonymous: httpx2.AsyncClient, path: str) -> None:
        assert_problem(await anonymous.get(path, params={"limit": 0}), 422, "limit")
        assert_problem(await anonymous.get(path, params={"limit": 501}), 422, "limit")
        assert_problem(await anonymous.get(path, params={"colour": "blue"}), 422, "colour")
        assert_problem(await anonymous.get(path, params={"cursor": "not-a-cursor"}), 400)


async def test_a_cursor_made_for_another_sort_is_refused(anonymous: httpx2.AsyncClient) -> None:
    events = '{"s":"starts_at","k":["2020-11-17T09:00:00+00:00","1"]}'
    cursor = base64.urlsafe_b64encode(events.encode()).decode().rstrip("=")
    problem = assert_problem(await anonymous.get("/api/v1/themes", params={"cursor": cursor}), 400)
    assert "another sort" in problem["detail"]
