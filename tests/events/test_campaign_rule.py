"""An event in a campaign lies within the campaign's dates, read as days where the event happens: refused (422,
naming both) on POST, PUT, PATCH and in imports with one wording; new campaign dates that would leave events
outside are refused (409, naming how many), from the API and from an import."""

from typing import Any

import httpx2
import pytest

from tests.factories import create_campaign, create_event, create_lab
from tests.helpers import assert_problem, total
from tests.imports.loading import load

pytestmark = pytest.mark.anyio

OUTSIDE = (
    "The event (2021-03-02 to 2021-03-02) lies outside the campaign 'mois-2020' (2020-11-01 to 2020-11-30): "
    "an event in a campaign lies within the campaign's dates."
)


@pytest.fixture
async def campaign(client: httpx2.AsyncClient) -> dict[str, Any]:
    return await create_campaign(client, slug="mois-2020", starts_on="2020-11-01", ends_on="2020-11-30")


def message(problem: dict[str, Any]) -> str:
    [error] = problem["errors"]
    return str(error.get("msg") or error.get("message"))


async def test_an_event_outside_its_campaign_is_refused(client: httpx2.AsyncClient, campaign: dict[str, Any]) -> None:
    before = await total(client, "/api/v1/events")
    refused = await client.post(
        "/api/v1/events",
        json={
            "title": "Atelier de mars",
            "theme_code": "design",
            "format": "atelier",
            "attendance_mode": "online",
            "audience": "agents",
            "lab_id": (await create_lab(client))["id"],
            "campaign_id": campaign["id"],
            "starts_at": "2021-03-02T10:00:00",
            "ends_at": "2021-03-02T12:00:00",
        },
    )
    assert message(assert_problem(refused, 422, "campaign_id")) == OUTSIDE
    assert await total(client, "/api/v1/events") == before


async def test_the_days_are_those_where_the_event_happens(client: httpx2.AsyncClient, campaign: dict[str, Any]) -> None:
    # 30 November 22:00 in Cayenne is 1 December in Paris and in UTC: still the campaign's last day there.
    guyane = await create_lab(client, region_code="03", city="Cayenne")
    late = await create_event(
        client,
        lab_id=guyane["id"],
        campaign_id=campaign["id"],
        starts_at="2020-11-30T22:00:00",
        ends_at="2020-11-30T23:30:00",
    )
    assert late["timezone"] == "America/Cayenne"
    refused = await client.post(
        "/api/v1/events",
        json={
            "title": "Trop tôt",
            "theme_code": "design",
            "format": "atelier",
            "attendance_mode": "online",
            "audience": "agents",
            "lab_id": guyane["id"],
            "campaign_id": campaign["id"],
            "starts_at": "2020-10-31T23:30:00",
            "ends_at": "2020-11-01T01:00:00",
        },
    )
    assert "(2020-10-31 to 2020-11-01) lies outside" in message(assert_problem(refused, 422, "campaign_id"))


async def test_put_and_patch_keep_the_event_inside(client: httpx2.AsyncClient, campaign: dict[str, Any]) -> None:
    event = await create_event(client, campaign_id=campaign["id"])
    patched = await client.patch(
        f"/api/v1/events/{event['id']}",
        json={"starts_at": "2021-03-02T10:00:00", "ends_at": "2021-03-02T12:00:00"},
    )
    assert message(assert_problem(patched, 422, "campaign_id")) == OUTSIDE
    full = {
        name: event[name]
        for name in ("title", "theme_code", "format", "attendance_mode", "audience", "lab_id", "campaign_id")
    }
    put = await client.put(
        f"/api/v1/events/{event['id']}",
        json={**full, "starts_at": "2021-03-02T10:00:00", "ends_at": "2021-03-02T12:00:00"},
    )
    assert message(assert_problem(put, 422, "campaign_id")) == OUTSIDE
    # Out of the campaign, the same dates are fine.
    moved = await client.put(
        f"/api/v1/events/{event['id']}",
        json={**full, "campaign_id": None, "starts_at": "2021-03-02T10:00:00", "ends_at": "2021-03-02T12:00:00"},
    )
    assert moved.status_code == 200, moved.text


async def test_new_campaign_dates_keep_its_events_inside(client: httpx2.AsyncClient, campaign: dict[str, Any]) -> None:
    for day in ("05", "17", "26"):
        await create_event(
            client, campaign_id=campaign["id"], starts_at=f"2020-11-{day}T10:00:00", ends_at=f"2020-11-{day}T11:00:00"
        )
    refused = await client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"starts_on": "2020-11-10"})
    problem = assert_problem(refused, 409)
    assert problem["detail"] == (
        "1 event of the campaign 'mois-2020' would lie outside its new dates (2020-11-10 to 2020-11-30): "
        "move them or take them out of the campaign first."
    )
    narrower = await client.patch(
        f"/api/v1/campaigns/{campaign['id']}", json={"starts_on": "2020-11-10", "ends_on": "2020-11-20"}
    )
    assert "2 events of the campaign 'mois-2020'" in assert_problem(narrower, 409)["detail"]
    stored = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
    assert (stored["starts_on"], stored["ends_on"], stored["version"]) == ("2020-11-01", "2020-11-30", 1)
    wider = await client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"ends_on": "2020-12-15"})
    assert wider.status_code == 200, wider.text
    fitting = await client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"starts_on": "2020-11-05"})
    assert fitting.status_code == 200, fitting.text


async def test_imports_apply_both_rules_with_the_same_wording(
    client: httpx2.AsyncClient, campaign: dict[str, Any]
) -> None:
    await create_lab(client, slug="lab-c")
    events = (
        "external_id,title,theme,format,attendance_mode,audience,lab,campaign,starts_at,ends_at\r\n"
        "ev-1,Atelier,design,atelier,online,agents,lab-c,mois-2020,2020-11-12T10:00:00,2020-11-12T12:00:00\r\n"
        "ev-2,Atelier de mars,design,atelier,online,agents,lab-c,mois-2020,2021-03-02T10:00:00,2021-03-02T12:00:00\r\n"
    )
    problem = assert_problem(await load(client, "events", events), 422)
    [error] = problem["errors"]
    assert (error["line"], error["column"], error["message"]) == (3, "campaign", OUTSIDE)
    assert await total(client, "/api/v1/events") == 0
    await load(client, "events", events.rsplit("\r\nev-2", 1)[0] + "\r\n")
    assert await total(client, "/api/v1/events") == 1
    # A later file moving the stored event out of its campaign, without naming the campaign, is refused too.
    moved = assert_problem(
        await load(
            client, "events", "external_id,starts_at,ends_at\r\nev-1,2021-03-02T10:00:00,2021-03-02T12:00:00\r\n"
        ),
        422,
    )
    assert moved["errors"][0]["message"] == OUTSIDE
    campaigns = "slug,name,starts_on,ends_on\r\nmois-2020,Mois 2020,2020-11-15,2020-11-30\r\n"
    refused = assert_problem(await load(client, "campaigns", campaigns), 422)
    assert refused["errors"][0]["message"] == (
        "1 event of the campaign 'mois-2020' would lie outside its new dates (2020-11-15 to 2020-11-30): "
        "move them or take them out of the campaign first."
    )
    assert (await client.get("/api/v1/campaigns/mois-2020")).json()["starts_on"] == "2020-11-01"
