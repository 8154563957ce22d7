"""The demo dataset, read back through the stats endpoints, gives the press release's figures."""

from typing import Any

import httpx2
import pytest

from app.core.config import Settings
from app.demo.dataset import CAMPAIGN_FORMATS, CAMPAIGN_SLUG, CAMPAIGN_THEMES
from app.demo.seed import seed

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def get(client: httpx2.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/v1/stats/{path}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_press_release_figures(client: httpx2.AsyncClient, settings: Settings) -> None:
    await seed(settings)

    overview = await get(client, "overview")
    assert (overview["labs_funded"], overview["projects_and_actions"], overview["training_sessions"]) == (9, 198, 500)
    assert 20_000 <= overview["people_reached"] < 100_000
    assert overview["people_reached"] == (
        overview["users_involved"] + overview["agents_involved"] + overview["participants"]
    )

    campaign = await get(client, "events", campaign=CAMPAIGN_SLUG, group_by="theme")
    assert campaign["total"] == 356
    by_theme = {g["key"]: g["count"] for g in campaign["groups"]}
    assert (by_theme["service-usager"], by_theme["innovation-manageriale"], by_theme["territorial"]) == (100, 66, 57)
    assert by_theme == CAMPAIGN_THEMES
    assert [g["key"] for g in campaign["groups"][:3]] == ["service-usager", "innovation-manageriale", "territorial"]
    by_format = await get(client, "events", campaign=CAMPAIGN_SLUG, group_by="format")
    assert {g["key"]: g["count"] for g in by_format["groups"]} == CAMPAIGN_FORMATS
    by_month = await get(client, "events", campaign=CAMPAIGN_SLUG, group_by="month")
    assert [(g["key"], g["label"], g["count"]) for g in by_month["groups"]] == [("2020-11", "novembre 2020", 356)]


async def test_no_training_session_was_cancelled(client: httpx2.AsyncClient, settings: Settings) -> None:
    await seed(settings)

    formations = await get(client, "events", format="formation")
    assert (formations["total"], formations["training_sessions"], formations["cancelled"]) == (500, 500, 0)


async def test_coverage_and_funding(client: httpx2.AsyncClient, settings: Settings) -> None:
    await seed(settings)

    coverage = await get(client, "coverage")
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

    funding = await get(client, "funding", group_by="lab", status="committed")
    assert len([g for g in funding["groups"] if g["key"] is not None]) == 9
    streams = await get(client, "funding")
    assert [g["key"] for g in streams["groups"]] == ["FTAP", "RELANCE"]
    for stream in streams["groups"]:
        assert stream["remaining_cents"] == stream["envelope_cents"] - stream["committed_cents"]
