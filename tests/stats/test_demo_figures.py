"""The demo dataset, read back through the stats endpoints, gives the press release's figures."""

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from app.demo.dataset import CAMPAIGN_FORMATS, CAMPAIGN_SLUG, CAMPAIGN_THEMES, CYCLE_EVERY, TRAINING_SESSIONS
from tests.conftest import DemoData

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
async def demo(demo_data: DemoData) -> AsyncIterator[httpx2.AsyncClient]:
    """A client without a key on the app over the demo dataset (conftest's `demo_data`): the tests only read."""
    transport = httpx2.ASGITransport(app=demo_data.app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def get(client: httpx2.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/v1/stats/{path}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_press_release_figures(demo: httpx2.AsyncClient) -> None:
    overview = await get(demo, "overview")
    assert (overview["labs_funded"], overview["projects_and_actions"], overview["training_sessions"]) == (9, 198, 500)
    assert 20_000 <= overview["people_reached"] < 100_000
    assert overview["people_reached"] == (
        overview["users_involved"] + overview["agents_involved"] + overview["participants"]
    )

    campaign = await get(demo, "events", campaign=CAMPAIGN_SLUG, group_by="theme")
    assert campaign["total"] == 356
    by_theme = {g["key"]: g["count"] for g in campaign["groups"]}
    assert (by_theme["service-usager"], by_theme["innovation-manageriale"], by_theme["territorial"]) == (100, 66, 57)
    assert by_theme == CAMPAIGN_THEMES
    assert [g["key"] for g in campaign["groups"][:3]] == ["service-usager", "innovation-manageriale", "territorial"]
    by_format = await get(demo, "events", campaign=CAMPAIGN_SLUG, group_by="format")
    assert {g["key"]: g["count"] for g in by_format["groups"]} == CAMPAIGN_FORMATS
    by_month = await get(demo, "events", campaign=CAMPAIGN_SLUG, group_by="month")
    assert [(g["key"], g["label"], g["count"]) for g in by_month["groups"]] == [("2020-11", "novembre 2020", 356)]


async def test_no_training_session_was_cancelled(demo: httpx2.AsyncClient) -> None:
    formations = await get(demo, "events", format="formation")
    assert (formations["total"], formations["training_sessions"], formations["cancelled"]) == (500, 500, 0)


async def test_coverage_and_funding(demo: httpx2.AsyncClient) -> None:
    coverage = await get(demo, "coverage")
    cities = {r["code"]: [lab["city"] for lab in r["active_labs"]] for r in coverage["regions"]}
    assert (cities["75"], cities["53"], cities["32"], cities["76"]) == (
        ["Bordeaux"],
        ["Rennes"],
        ["Lille"],
        ["Toulouse"],
    )
    assert sum(1 for labs in cities.values() if labs) == 9
    uncovered = [r["code"] for r in coverage["uncovered"]]
    assert "28" in uncovered
    assert uncovered == [code for code, labs in cities.items() if not labs]

    funding = await get(demo, "funding", group_by="lab", status="committed")
    assert len([g for g in funding["groups"] if g["key"] is not None]) == 9
    streams = await get(demo, "funding")
    assert [g["key"] for g in streams["groups"]] == ["FTAP", "RELANCE"]
    for stream in streams["groups"]:
        assert stream["remaining_cents"] == stream["envelope_cents"] - stream["committed_cents"]


async def test_a_training_cycle_counts_once(demo: httpx2.AsyncClient) -> None:
    """ "~500 training sessions" counts trainings: a cycle of three mornings is one training (docs/figures.md)."""
    cycles = (TRAINING_SESSIONS - CAMPAIGN_FORMATS["formation"]) // CYCLE_EVERY
    held = await demo.get("/api/v1/sessions", params={"format": "formation", "include_total": "true", "limit": 1})
    assert held.json()["total"] == TRAINING_SESSIONS + 2 * cycles
    titled = await demo.get("/api/v1/events", params={"q": "cycle de trois séances", "include_total": "true"})
    assert titled.json()["total"] == cycles
    assert (await get(demo, "overview"))["training_sessions"] == TRAINING_SESSIONS


async def test_the_press_release_as_it_stood_on_its_day(demo: httpx2.AsyncClient) -> None:
    """The demo projects went through dated phases from 2017: on 1 December 2020 the figures were those of the
    press release, every published project in the phase it is in today (later moves are a draft's)."""
    then = await get(demo, "overview", as_of="2020-12-01")
    assert (then["labs_funded"], then["projects_and_actions"], then["training_sessions"]) == (9, 198, 500)
    assert 20_000 <= then["people_reached"] < 100_000
    phases = await get(demo, "projects", as_of="2020-12-01")
    today = await get(demo, "projects")
    assert phases["total"] == 198
    assert {g["key"]: g["count"] for g in phases["groups"]} == {g["key"]: g["count"] for g in today["groups"]}
    early = await get(demo, "projects", as_of="2018-06-30")
    assert 0 < early["total"] < 198
    assert {g["key"] for g in early["groups"]} <= {
        "exploring",
        "designing",
        "piloting",
        "scaling",
        "completed",
        "abandoned",
    }
    assert (await get(demo, "projects", as_of="2016-12-31"))["total"] == 0

    page = (await demo.get("/api/v1/projects", params={"limit": 200})).json()["items"]
    histories = [(await demo.get(f"/api/v1/projects/{project['id']}/history")).json() for project in page[:20]]
    days = [entry["effective_on"] for history in histories for entry in history]
    assert min(days) >= "2017-01-01"
    assert max(days) <= "2020-11-30"
    assert any(len(history) >= 3 for history in histories)
    for project, history in zip(page[:20], histories, strict=True):
        assert history[0]["effective_on"] == project["starts_on"]
        assert (history[-1]["to_status"], history[-1]["effective_on"]) == (project["status"], project["status_since"])
