"""The change feed: every write in commit order, deletes as tombstones, paged by an opaque-enough cursor."""

import asyncio
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.models.audit import AuditEntry
from tests.conftest import KeyMaker
from tests.factories import create_event, create_lab
from tests.helpers import assert_problem
from tests.servers import serve

pytestmark = pytest.mark.anyio

FEED = "/api/v1/changes"
AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]


async def feed(client: httpx2.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(FEED, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def follow(client: httpx2.AsyncClient, since: str = "0", **params: Any) -> tuple[list[dict[str, Any]], str]:
    """Every change after `since`, page after page, and the cursor to resume from."""
    changes: list[dict[str, Any]] = []
    while True:
        page = await feed(client, since=since, **params)
        changes += page["items"]
        if page["next_cursor"] == since:
            return changes, since
        since = page["next_cursor"]


class TestEntries:
    async def test_create_update_delete_each_appear_in_order_and_a_delete_is_a_tombstone(
        self, client: httpx2.AsyncClient
    ) -> None:
        lab = await create_lab(client, city="Brest")
        assert (await client.patch(f"/api/v1/labs/{lab['id']}", json={"city": "Quimper"})).status_code == 200
        assert (await client.delete(f"/api/v1/labs/{lab['id']}")).status_code == 204

        changes, _ = await follow(client)
        assert [(c["entity_type"], c["entity_id"], c["action"], c["version"]) for c in changes] == [
            ("lab", lab["id"], "create", 1),
            ("lab", lab["id"], "update", 2),
            ("lab", lab["id"], "delete", 2),
        ]
        created, updated, deleted = changes
        assert set(created) == {"seq", "at", "entity_type", "entity_id", "action", "version", "data"}
        assert created["data"]["city"] == "Brest"
        assert created["data"]["name"] == lab["name"]
        assert updated["data"]["city"] == "Quimper"
        assert deleted["data"] == {"id": lab["id"], "deleted": True}
        assert created["seq"] < updated["seq"] < deleted["seq"]

    async def test_api_keys_never_appear(self, client: httpx2.AsyncClient, make_key: KeyMaker) -> None:
        await make_key("read", name="another key")
        assert (await feed(client))["items"] == []

    async def test_reads_need_no_key(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        del client.headers["Authorization"]
        items = (await feed(client))["items"]
        assert [c["entity_id"] for c in items] == [lab["id"]]


class TestFilters:
    async def test_types_keeps_only_the_named_entities(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client)
        changes, _ = await follow(client, types="event")
        assert [(c["entity_type"], c["entity_id"]) for c in changes] == [("event", event["id"])]
        both, _ = await follow(client, types="lab, event")
        assert {c["entity_type"] for c in both} == {"lab", "event"}

    async def test_unknown_type_is_refused(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get(FEED, params={"types": "lab,api_key"}), 422, "types")

    @pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "", "١٢"])
    async def test_bad_cursor_is_400(self, client: httpx2.AsyncClient, cursor: str) -> None:
        assert_problem(await client.get(FEED, params={"since": cursor}), 400)

    @pytest.mark.parametrize("limit", [0, 501])
    async def test_limit_out_of_range_is_422(self, client: httpx2.AsyncClient, limit: int) -> None:
        assert_problem(await client.get(FEED, params={"limit": limit}), 422, "limit")


class TestPaging:
    async def test_pages_follow_each_other_and_an_empty_page_keeps_the_cursor(self, client: httpx2.AsyncClient) -> None:
        labs = [await create_lab(client) for _ in range(5)]
        first = await client.get(FEED, params={"limit": 2})
        assert 'rel="next"' in first.headers["link"]
        seen = [c["entity_id"] for c in first.json()["items"]]
        cursor = first.json()["next_cursor"]
        rest, end = await follow(client, since=cursor, limit=2)
        assert seen + [c["entity_id"] for c in rest] == [lab["id"] for lab in labs]

        empty = await client.get(FEED, params={"since": end})
        assert empty.json() == {"items": [], "next_cursor": end}
        assert "link" not in empty.headers

        late = await create_lab(client)
        after, _ = await follow(client, since=end)
        assert [c["entity_id"] for c in after] == [late["id"]]

    async def test_first_page_of_an_empty_feed_gives_a_cursor(self, anonymous: httpx2.AsyncClient) -> None:
        assert await feed(anonymous) == {"items": [], "next_cursor": "0"}


@pytest.mark.slow
class TestConcurrentFollower:
    """Writers commit concurrently on a real server (2 workers on PostgreSQL) while a follower polls the feed:
    at the end, what it collected is exactly the audit trail (every domain write, once, in seq order)."""

    async def test_follower_misses_nothing(self, app: FastAPI, database_url: str, make_key: KeyMaker) -> None:
        workers = 1 if database_url.startswith("sqlite") else 2
        key = await make_key("read", "write", name="writer")
        with serve(database_url, workers=workers) as base_url:
            async with httpx2.AsyncClient(
                base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60
            ) as http:
                done = asyncio.Event()
                collected: list[dict[str, Any]] = []

                async def writer(n: int) -> None:
                    for i in range(6):
                        lab = await create_lab(http, city=f"Ville {n}-{i}")
                        patched = await http.patch(f"/api/v1/labs/{lab['id']}", json={"city": f"Autre {n}-{i}"})
                        assert patched.status_code == 200, patched.text
                        if i % 2:
                            assert (await http.delete(f"/api/v1/labs/{lab['id']}")).status_code == 204

                async def follower() -> None:
                    since = "0"
                    while True:
                        finished = done.is_set()
                        page = await feed(http, since=since, limit=7)
                        collected.extend(page["items"])
                        since = page["next_cursor"]
                        if finished and not page["items"]:
                            return
                        if not page["items"]:
                            await asyncio.sleep(0.005)

                following = asyncio.create_task(follower())
                await asyncio.gather(*(writer(n) for n in range(8)))
                done.set()
                await following

        async with app.state.sessionmaker() as session:
            trail = (
                await session.execute(
                    select(AUDIT.c.seq, AUDIT.c.entity_id, AUDIT.c.action, AUDIT.c.version)
                    .where(AUDIT.c.entity_type == "lab")
                    .order_by(AUDIT.c.seq)
                )
            ).all()
        assert len(trail) == 8 * (6 * 2 + 3)
        assert [(c["seq"], c["entity_id"], c["action"], c["version"]) for c in collected] == [
            (seq, str(entity_id), action, version) for seq, entity_id, action, version in trail
        ]
        by_entity: dict[str, list[int]] = {}
        for change in collected:
            by_entity.setdefault(change["entity_id"], []).append(change["version"])
        assert all(versions == sorted(versions) for versions in by_entity.values())
