"""Sessions through HTTP: inline on an event's body and as its sub-resource, the event's dates as their span,
overlap refused with nothing written, a session cancelled alone, and the agenda across events (its filters, keyset
walk, and drafts hidden)."""

from typing import Any

import httpx2
import pytest

from tests.conftest import KeyMaker
from tests.factories import create_campaign, create_lab
from tests.helpers import assert_problem, bearer
from tests.imports.loading import load

pytestmark = pytest.mark.anyio

MORNINGS = [
    {"starts_at": "2021-03-02T09:00:00", "ends_at": "2021-03-02T12:00:00"},
    {"starts_at": "2021-03-09T09:00:00", "ends_at": "2021-03-09T12:00:00"},
    {"starts_at": "2021-03-16T09:00:00", "ends_at": "2021-03-16T12:00:00"},
]


def body(lab_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "title": "Formation : le design des politiques publiques",
        "theme_code": "service-usager",
        "format": "formation",
        "attendance_mode": "in-person",
        "city": "Rennes",
        "audience": "agents",
        "lab_id": lab_id,
        **fields,
    }


async def cycle(client: httpx2.AsyncClient, lab_id: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/events", json=body(lab_id, sessions=MORNINGS, **fields))
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


async def sessions_of(client: httpx2.AsyncClient, event_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/events/{event_id}/sessions")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_an_event_with_one_session_reads_as_before(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client, region_code="53")
    dates = {"starts_at": "2020-11-17T10:00:00", "ends_at": "2020-11-17T11:30:00"}
    created = await client.post("/api/v1/events", json=body(lab["id"], **dates))
    assert created.status_code == 201, created.text
    event = created.json()
    assert (event["starts_at"], event["ends_at"]) == ("2020-11-17T09:00:00Z", "2020-11-17T10:30:00Z")
    assert "sessions" not in event
    (only,) = await sessions_of(client, event["id"])
    # The first session takes the event's id: its calendar UID is the one the event had.
    assert (only["id"], only["event_id"], only["status"]) == (event["id"], event["id"], "scheduled")
    assert (only["starts_at"], only["ends_at"]) == (event["starts_at"], event["ends_at"])
    # Moving the event's dates moves its one session.
    moved = await client.patch(f"/api/v1/events/{event['id']}", json={"ends_at": "2020-11-17T12:00:00"})
    assert moved.status_code == 200, moved.text
    (only,) = await sessions_of(client, event["id"])
    assert (only["ends_at"], only["version"]) == ("2020-11-17T11:00:00Z", 2)


async def test_inline_sessions_give_the_span(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client, region_code="53")
    event = await cycle(client, lab["id"])
    assert (event["starts_at"], event["ends_at"]) == ("2021-03-02T08:00:00Z", "2021-03-16T11:00:00Z")
    held = await sessions_of(client, event["id"])
    assert [s["starts_at"] for s in held] == ["2021-03-02T08:00:00Z", "2021-03-09T08:00:00Z", "2021-03-16T08:00:00Z"]
    # The whole list again, the first kept by id, the last left out, a new one added: the span follows.
    kept, new = held[0], {"starts_at": "2021-03-23T09:00:00", "ends_at": "2021-03-23T12:00:00"}
    replaced = await client.patch(
        f"/api/v1/events/{event['id']}",
        json={
            "sessions": [
                {"id": kept["id"], "starts_at": "2021-03-02T09:30:00", "ends_at": "2021-03-02T12:00:00"},
                {"id": held[1]["id"], "starts_at": held[1]["starts_at"], "ends_at": held[1]["ends_at"]},
                new,
            ]
        },
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["starts_at"], replaced.json()["ends_at"]) == (
        "2021-03-02T08:30:00Z",
        "2021-03-23T11:00:00Z",
    )
    after = await sessions_of(client, event["id"])
    assert [s["id"] for s in after][:2] == [kept["id"], held[1]["id"]]
    assert held[2]["id"] not in {s["id"] for s in after}
    assert len(after) == 3
    # Its dates alone do not move an event of several sessions; the same dates are accepted (PUT round trip).
    moved = await client.patch(f"/api/v1/events/{event['id']}", json={"starts_at": "2021-03-01T09:00:00"})
    assert_problem(moved, 422, "starts_at")
    again = await client.get(f"/api/v1/events/{event['id']}")
    put = {k: v for k, v in again.json().items() if k in body(lab["id"]) or k in ("starts_at", "ends_at")}
    assert (await client.put(f"/api/v1/events/{event['id']}", json=put | {"title": "Autre titre"})).status_code == 200
    assert len(await sessions_of(client, event["id"])) == 3


async def test_overlapping_sessions_are_refused_and_nothing_written(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client)
    overlapping = [*MORNINGS, {"starts_at": "2021-03-09T11:00:00", "ends_at": "2021-03-09T13:00:00"}]
    refused = await client.post("/api/v1/events", json=body(lab["id"], sessions=overlapping))
    problem = assert_problem(refused, 422, "sessions")
    assert "overlaps another session" in str(problem["errors"])
    assert (await client.get("/api/v1/sessions", params={"include_total": True})).json()["total"] == 0
    assert (await client.get("/api/v1/events", params={"include_total": True})).json()["total"] == 0
    # A cancelled session takes no time; touching sessions do not overlap.
    cancelled = [*MORNINGS, {**overlapping[-1], "status": "cancelled"}]
    assert (await client.post("/api/v1/events", json=body(lab["id"], sessions=cancelled))).status_code == 201
    touching = [MORNINGS[0], {"starts_at": "2021-03-02T12:00:00", "ends_at": "2021-03-02T13:00:00"}]
    assert (await client.post("/api/v1/events", json=body(lab["id"], sessions=touching))).status_code == 201


async def test_the_sub_resource(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client, region_code="53")
    event = await cycle(client, lab["id"])
    base = f"/api/v1/events/{event['id']}/sessions"
    added = await client.post(base, json={"starts_at": "2021-03-23T09:00:00", "ends_at": "2021-03-23T12:00:00"})
    assert added.status_code == 201, added.text
    session = added.json()
    assert added.headers["etag"] == '"1"'
    assert added.headers["location"].endswith(f"{base}/{session['id']}")
    spanned = (await client.get(f"/api/v1/events/{event['id']}")).json()
    assert (spanned["ends_at"], spanned["version"]) == ("2021-03-23T11:00:00Z", event["version"] + 1)
    # Overlap with a stored one: 422, nothing written.
    refused = await client.post(base, json={"starts_at": "2021-03-23T11:00:00", "ends_at": "2021-03-23T13:00:00"})
    assert_problem(refused, 422, "starts_at")
    assert len(await sessions_of(client, event["id"])) == 4
    # Cancel one session alone, with If-Match; a stale ETag is 412.
    item = f"{base}/{session['id']}"
    stale = await client.patch(item, json={"status": "cancelled"}, headers={"If-Match": '"7"'})
    assert_problem(stale, 412)
    cancelled = await client.patch(item, json={"status": "cancelled"}, headers={"If-Match": '"1"'})
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.headers["etag"]) == ("cancelled", '"2"')
    assert (await client.get(f"/api/v1/events/{event['id']}")).json()["status"] == "scheduled"
    # Deleting the last session moves the span back; an event's only session stays.
    assert (await client.delete(item)).status_code == 204
    assert (await client.get(f"/api/v1/events/{event['id']}")).json()["ends_at"] == "2021-03-16T11:00:00Z"
    for stored in (await sessions_of(client, event["id"]))[1:]:
        assert (await client.delete(f"{base}/{stored['id']}")).status_code == 204
    (last,) = await sessions_of(client, event["id"])
    assert_problem(await client.delete(f"{base}/{last['id']}"), 409)
    # A session is found under its own event only.
    other = await cycle(client, lab["id"])
    assert_problem(await client.get(f"/api/v1/events/{other['id']}/sessions/{last['id']}"), 404)
    # The audit trail keeps each write.
    audit = await client.get("/api/v1/audit", params={"entity_type": "event_session", "limit": 500})
    if audit.status_code == 200:
        assert {entry["action"] for entry in audit.json()["items"]} >= {"create", "update", "delete"}


async def test_deleting_an_event_takes_its_sessions(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client)
    event = await cycle(client, lab["id"])
    assert (await client.delete(f"/api/v1/events/{event['id']}")).status_code == 204
    assert (await client.get("/api/v1/sessions", params={"include_total": True})).json()["total"] == 0


async def test_the_agenda_filters_and_walks(client: httpx2.AsyncClient) -> None:
    brittany = await create_lab(client, region_code="53")
    occitania = await create_lab(client, region_code="76")
    first = await cycle(client, brittany["id"])
    response = await client.post(
        "/api/v1/events",
        json=body(
            occitania["id"],
            format="atelier",
            sessions=[
                {"starts_at": "2021-03-03T14:00:00", "ends_at": "2021-03-03T16:00:00"},
                {"starts_at": "2021-03-10T14:00:00", "ends_at": "2021-03-10T16:00:00", "status": "cancelled"},
            ],
        ),
    )
    assert response.status_code == 201, response.text
    workshop = response.json()

    async def agenda(**params: Any) -> list[tuple[str, str]]:
        page = await client.get("/api/v1/sessions", params=params)
        assert page.status_code == 200, page.text
        return [(item["event_id"], item["starts_at"]) for item in page.json()["items"]]

    everything = await agenda()
    assert [at for _, at in everything] == sorted(at for _, at in everything)
    assert len(everything) == 5
    assert {event for event, _ in await agenda(region="53")} == {first["id"]}
    assert {event for event, _ in await agenda(lab=occitania["id"])} == {workshop["id"]}
    assert {event for event, _ in await agenda(format="atelier")} == {workshop["id"]}
    assert await agenda(status="cancelled") == [(workshop["id"], "2021-03-10T13:00:00Z")]
    # "What is on next week": the sessions' own start, read in Paris time without an offset.
    week = await agenda(starts_after="2021-03-08", starts_before="2021-03-15")
    assert week == [(first["id"], "2021-03-09T08:00:00Z"), (workshop["id"], "2021-03-10T13:00:00Z")]
    assert await agenda(q="politiques", starts_after="2021-03-15") == [(first["id"], "2021-03-16T08:00:00Z")]
    assert [at for _, at in await agenda(sort="-starts_at")] == sorted((at for _, at in everything), reverse=True)
    # Keyset walk, two at a time, no repeat, no gap.
    walked: list[tuple[str, str]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = await client.get("/api/v1/sessions", params=params)
        walked += [(item["event_id"], item["starts_at"]) for item in page.json()["items"]]
        if page.json()["next_cursor"] is None:
            break
        params["cursor"] = page.json()["next_cursor"]
    assert walked == everything
    assert_problem(await client.get("/api/v1/sessions", params={"sort": "title"}), 422, "sort")


async def test_sessions_of_drafts_are_hidden(client: httpx2.AsyncClient, make_key: KeyMaker) -> None:
    lab = await create_lab(client)
    anonymous = client
    del anonymous.headers["Authorization"]
    writer = bearer(await make_key("read", "write"))
    response = await anonymous.post("/api/v1/events", json=body(lab["id"], sessions=MORNINGS), headers=writer)
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["publication"] == "draft"
    public = await anonymous.get("/api/v1/sessions", params={"include_total": True})
    assert public.json()["total"] == 0
    assert_problem(await anonymous.get("/api/v1/sessions", params={"publication": "any"}), 403)
    assert_problem(await anonymous.get(f"/api/v1/events/{draft['id']}/sessions"), 404)
    export = await anonymous.get("/api/v1/sessions", params={"output": "csv"})
    assert draft["id"] not in export.text
    seen = await anonymous.get("/api/v1/sessions", params={"publication": "any"}, headers=writer)
    assert {item["event_id"] for item in seen.json()["items"]} == {draft["id"]}
    own = await anonymous.get(f"/api/v1/events/{draft['id']}/sessions", headers=writer)
    assert len(own.json()["items"]) == 3


async def test_bad_sessions_are_refused(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client)
    cases: list[tuple[Any, str]] = [
        ([], "sessions"),
        ([{"starts_at": "2021-03-02T12:00:00", "ends_at": "2021-03-02T09:00:00"}], "ends_at"),
        ([{"starts_at": "2021-03-28T02:30:00", "ends_at": "2021-03-28T04:00:00"}], "starts_at"),
        ([{"starts_at": "2021-03-02T09:00:00", "ends_at": "2021-03-02T10:00:00", "status": "postponed"}], "status"),
        ([{"id": "123e4567-e89b-12d3-a456-426614174000", **MORNINGS[0]}], "id"),
    ]
    for sessions, field in cases:
        assert_problem(await client.post("/api/v1/events", json=body(lab["id"], sessions=sessions)), 422, field)
    assert_problem(await client.post("/api/v1/events", json=body(lab["id"])), 422, "starts_at")
    assert (await client.get("/api/v1/events", params={"include_total": True})).json()["total"] == 0


async def test_a_key_bound_to_another_lab_writes_no_session(client: httpx2.AsyncClient, make_key: KeyMaker) -> None:
    own, other = await create_lab(client), await create_lab(client)
    event = await cycle(client, other["id"])
    admin = bearer(await make_key("admin", "read", "write", name="ops"))
    body_of_key = {"name": "Lab app", "scopes": ["read", "write"], "labs": [own["slug"]]}
    created = await client.post("/api/v1/api-keys", json=body_of_key, headers=admin)
    assert created.status_code == 201, created.text
    bound = bearer(created.json()["key"])
    base = f"/api/v1/events/{event['id']}/sessions"
    held = await sessions_of(client, event["id"])
    added = {"starts_at": "2021-03-23T09:00:00", "ends_at": "2021-03-23T12:00:00"}
    assert_problem(await client.post(base, json=added, headers=bound), 403)
    assert_problem(await client.patch(f"{base}/{held[0]['id']}", json={"status": "cancelled"}, headers=bound), 403)
    assert_problem(await client.delete(f"{base}/{held[0]['id']}", headers=bound), 403)
    assert await sessions_of(client, event["id"]) == held
    mine = await client.post("/api/v1/events", json=body(own["id"], sessions=MORNINGS), headers=bound)
    assert mine.status_code == 201, mine.text
    assert (
        await client.post(f"/api/v1/events/{mine.json()['id']}/sessions", json=added, headers=bound)
    ).status_code == 201


async def test_each_session_lies_within_the_campaign(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client)
    campaign = await create_campaign(client, starts_on="2021-03-01", ends_on="2021-03-20")
    late = {"starts_at": "2021-03-23T09:00:00", "ends_at": "2021-03-23T12:00:00"}
    refused = await client.post(
        "/api/v1/events", json=body(lab["id"], campaign_id=campaign["id"], sessions=[*MORNINGS, late])
    )
    assert_problem(refused, 422, "campaign_id")
    event = await cycle(client, lab["id"], campaign_id=campaign["id"], external_id="in-campaign")
    assert_problem(await client.post(f"/api/v1/events/{event['id']}/sessions", json=late), 422, "starts_at")
    rows = "event;starts_at;ends_at\r\nin-campaign;23/03/2021 09:00;23/03/2021 12:00\r\n"
    imported = await load(client, "sessions", rows)
    assert imported.status_code == 422, imported.text
    assert "outside the campaign" in imported.json()["errors"][0]["message"]
    assert len(await sessions_of(client, event["id"])) == 3
