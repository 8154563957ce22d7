"""A draft exists only for the keys allowed to see it — on every read surface. Lab A's draft is absent for
anyone (`anonymous`) and for lab B's key (`other`), present for lab A's key (`own`) and the moderation key
(`publish`) when they ask for it, and never counted in the public figures."""

from typing import Any

import httpx2
import pytest

from tests.access.conftest import World
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio

TITLE = "Laboratoire brouillon"
SEEING = ("own", "publish", "write")
BLIND = ("anonymous", "other")


@pytest.fixture
async def draft(http: httpx2.AsyncClient, world: World) -> dict[str, Any]:
    """An event of lab A in draft, in the demo campaign, a training session; and lab A's published one."""
    body = {
        "title": TITLE,
        "theme_code": "design",
        "format": "formation",
        "attendance_mode": "online",
        "audience": "all",
        "starts_at": "2020-11-17T10:00:00",
        "ends_at": "2020-11-17T12:00:00",
        "lab_id": world.rows["lab_a"]["id"],
        "campaign_id": world.rows["campaign"]["id"],
        "participants_count": 40,
    }
    created = await http.post("/api/v1/events", json=body, headers=world.keys["own"])
    assert created.json()["publication"] == "draft"
    event: dict[str, Any] = created.json()
    return event


def _as(world: World, who: str) -> dict[str, str]:
    return {} if who == "anonymous" else world.keys[who]


def _ids(response: httpx2.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize("who", [*BLIND, *SEEING])
async def test_the_item(http: httpx2.AsyncClient, world: World, draft: dict[str, Any], who: str) -> None:
    response = await http.get(f"/api/v1/events/{draft['id']}", headers=_as(world, who))
    assert response.status_code == (404 if who in BLIND else 200)
    history = await http.get(f"/api/v1/events/{draft['id']}/publication-history", headers=_as(world, who))
    assert history.status_code == (404 if who in BLIND else 200)


@pytest.mark.parametrize("who", [*BLIND, *SEEING])
@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/labs/lab-a/events", "/api/v1/campaigns/{campaign}/events"])
async def test_lists_nested_lists_totals_and_search(
    http: httpx2.AsyncClient, world: World, draft: dict[str, Any], who: str, path: str
) -> None:
    url = path.format(campaign=world.rows["campaign"]["slug"])
    headers = _as(world, who)
    assert draft["id"] not in _ids(await http.get(url, headers=headers))
    asked = await http.get(url, params={"publication": "any", "include_total": "true"}, headers=headers)
    if who == "anonymous":
        assert_problem(asked, 403)
        return
    assert (draft["id"] in _ids(asked)) is (who in SEEING)
    searched = await http.get(url, params={"publication": "draft", "q": "brouillon"}, headers=headers)
    assert (draft["id"] in _ids(searched)) is (who in SEEING)
    everything = await http.get(url, params={"publication": "any", "limit": "500"}, headers=headers)
    assert asked.json()["total"] == len(everything.json()["items"])


@pytest.mark.parametrize("who", [*BLIND, *SEEING])
async def test_exports(http: httpx2.AsyncClient, world: World, draft: dict[str, Any], who: str) -> None:
    headers = _as(world, who)
    for params in ({"output": "csv"}, {"output": "jsonl"}):
        assert TITLE not in (await http.get("/api/v1/events", params=params, headers=headers)).text
    assert TITLE not in (await http.get("/api/v1/events.ics", headers=headers)).text
    if who == "anonymous":
        return
    for params in ({"output": "csv"}, {"output": "jsonl"}):
        shown = await http.get("/api/v1/events", params={**params, "publication": "any"}, headers=headers)
        assert (TITLE in shown.text) is (who in SEEING)
    feed = await http.get("/api/v1/events.ics", params={"publication": "any"}, headers=headers)
    assert (TITLE in feed.text) is (who in SEEING)


@pytest.mark.parametrize("who", [*BLIND, *SEEING])
async def test_stats_and_the_press_figures(
    http: httpx2.AsyncClient, world: World, draft: dict[str, Any], who: str
) -> None:
    headers = _as(world, who)
    public = (await http.get("/api/v1/stats/events", params={"group_by": "format"}, headers=headers)).json()
    assert "formation" not in {group["key"] for group in public["groups"]}
    overview = (await http.get("/api/v1/stats/overview", headers=headers)).json()
    assert (overview["training_sessions"], overview["participants"]) == (0, 0)
    if who == "anonymous":
        return
    asked = await http.get("/api/v1/stats/events", params={"group_by": "format", "publication": "any"}, headers=headers)
    assert ("formation" in {group["key"] for group in asked.json()["groups"]}) is (who in SEEING)


@pytest.mark.parametrize("who", [*BLIND, *SEEING])
async def test_the_change_feed(http: httpx2.AsyncClient, world: World, draft: dict[str, Any], who: str) -> None:
    headers = _as(world, who)
    public = (await http.get("/api/v1/changes", params={"limit": "500"}, headers=headers)).json()
    assert draft["id"] not in {change["entity_id"] for change in public["items"]}
    asked = await http.get("/api/v1/changes", params={"limit": "500", "publication": "any"}, headers=headers)
    if who == "anonymous":
        assert_problem(asked, 403)
        return
    assert (draft["id"] in {change["entity_id"] for change in asked.json()["items"]}) is (who in SEEING)


async def test_a_follower_of_the_feed_holds_exactly_the_published_rows(http: httpx2.AsyncClient, world: World) -> None:
    own, publish = world.keys["own"], world.keys["publish"]
    copy: dict[str, dict[str, Any]] = {}
    cursor = (await http.get("/api/v1/changes", params={"limit": "500"})).json()["next_cursor"]

    async def follow() -> dict[str, dict[str, Any]]:
        nonlocal cursor
        page = (await http.get("/api/v1/changes", params={"since": cursor, "limit": "500"})).json()
        for change in page["items"]:
            if change["entity_type"] != "event":
                continue
            if change["action"] in ("delete", "unpublish"):
                copy.pop(change["entity_id"], None)
            else:
                copy[change["entity_id"]] = change["data"]
        cursor = page["next_cursor"]
        return copy

    body = {
        "title": "Suivi",
        "theme_code": "design",
        "format": "atelier",
        "attendance_mode": "online",
        "audience": "all",
        "starts_at": "2021-03-02T10:00:00",
        "ends_at": "2021-03-02T12:00:00",
        "lab_id": world.rows["lab_a"]["id"],
    }
    event = (await http.post("/api/v1/events", json=body, headers=own)).json()
    url = f"/api/v1/events/{event['id']}"
    assert event["id"] not in await follow()
    await http.patch(url, json={"title": "Suivi (brouillon revu)"}, headers=own)
    await http.patch(url, json={"publication": "submitted"}, headers=own)
    assert event["id"] not in await follow()
    await http.patch(url, json={"publication": "published"}, headers=publish)
    assert (await follow())[event["id"]]["title"] == "Suivi (brouillon revu)"
    await http.patch(url, json={"title": "Suivi publié"}, headers=own)
    assert (await follow())[event["id"]]["title"] == "Suivi publié"
    await http.patch(url, json={"publication": "draft", "publication_note": "Reporté"}, headers=publish)
    assert event["id"] not in await follow()
    published = (await http.get("/api/v1/events", params={"limit": "500"})).json()["items"]
    assert set(copy) == {item["id"] for item in published} - {world.rows["event_a"]["id"], world.rows["event_b"]["id"]}
