"""Sessions in imports and exports: the agenda's export loads back as all `unchanged` through the `sessions`
import resource, whose rows are the rules of single writes (local times, overlap, the event's span)."""

import httpx2
import pytest

from tests.factories import create_lab
from tests.imports.loading import JSONL, load, loaded
from tests.sessions.test_sessions import MORNINGS, body, sessions_of

pytestmark = pytest.mark.anyio


async def test_an_export_loads_back_unchanged(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client)
    for n in range(2):
        created = await client.post("/api/v1/events", json=body(lab["id"], external_id=f"cycle-{n}", sessions=MORNINGS))
        assert created.status_code == 201, created.text
    for output, media in (("csv", "text/csv"), ("jsonl", JSONL)):
        exported = await client.get("/api/v1/sessions", params={"output": output})
        assert exported.status_code == 200, exported.text
        report = await loaded(client, "sessions", exported.content) if media == "text/csv" else None
        if report is None:
            response = await load(client, "sessions", exported.content, JSONL)
            assert response.status_code == 200, response.text
            report = response.json()
        assert (report["read"], report["unchanged"], report["created"], report["updated"]) == (6, 6, 0, 0)
    # The events' export loads back unchanged too: their dates are the span of their sessions.
    events = await client.get("/api/v1/events", params={"output": "csv"})
    assert (await loaded(client, "events", events.content))["unchanged"] == 2


async def test_rows_add_change_and_follow_the_event(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client, region_code="53")
    created = await client.post("/api/v1/events", json=body(lab["id"], external_id="cycle", sessions=MORNINGS))
    event = created.json()
    held = await sessions_of(client, event["id"])
    rows = "event_external_id;starts_at;ends_at;status\r\ncycle;23/03/2021 09:00;23/03/2021 12:00;scheduled\r\n\r\n"
    report = await loaded(client, "sessions", rows)
    assert (report["created"], report["unchanged"]) == (1, 0)
    after = (await client.get(f"/api/v1/events/{event['id']}")).json()
    assert (after["ends_at"], after["version"]) == ("2021-03-23T11:00:00Z", event["version"] + 1)
    second = ";".join([held[1]["id"], "cycle", held[1]["starts_at"], held[1]["ends_at"], "cancelled"])
    cancel = f"id;event;starts_at;ends_at;status\r\n{second}\r\n"
    assert (await loaded(client, "sessions", cancel))["updated"] == 1
    assert [s["status"] for s in await sessions_of(client, event["id"])] == [
        "scheduled",
        "cancelled",
        "scheduled",
        "scheduled",
    ]


async def test_bad_rows_are_refused_with_nothing_written(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client)
    await client.post("/api/v1/events", json=body(lab["id"], external_id="cycle", sessions=MORNINGS))
    before = await client.get("/api/v1/sessions")
    rows = (
        "event;starts_at;ends_at\r\n"
        "cycle;30/03/2021 09:00;30/03/2021 12:00\r\n"
        "cycle;09/03/2021 11:00;09/03/2021 13:00\r\n"
        "cycle;28/03/2021 02:30;28/03/2021 03:30\r\n"
        "nowhere;01/04/2021 09:00;01/04/2021 12:00\r\n"
    )
    refused = await load(client, "sessions", rows)
    assert refused.status_code == 422, refused.text
    errors = {(error["line"], error["column"]) for error in refused.json()["errors"]}
    assert errors == {(3, "starts_at"), (4, "starts_at"), (5, "event")}
    assert "overlaps another session" in str(refused.json()["errors"])
    assert (await client.get("/api/v1/sessions")).json() == before.json()
    # An event's sessions are rows of their own import, not a column of the events'.
    column = "external_id;title;theme;format;attendance_mode;audience;lab;sessions\r\n"
    inline = '"[{""starts_at"": ""2021-03-02T09:00:00"", ""ends_at"": ""2021-03-02T10:00:00""}]"'
    row = f"x;Atelier;Design;atelier;in-person;agents;{lab['slug']};{inline}\r\n"
    refused = await load(client, "events", column + row)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["column"] == "sessions"
