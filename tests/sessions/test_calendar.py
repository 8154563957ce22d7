"""The calendar feed writes one VEVENT per session, read back by two libraries: `icalendar` and
`recurring-ical-events` (what calendar apps built on it see: one occurrence per session)."""

from datetime import UTC, date, datetime
from typing import Any

import httpx2
import pytest
import recurring_ical_events
from icalendar import Calendar

from tests.factories import create_lab, create_organization
from tests.sessions.test_sessions import MORNINGS, body

pytestmark = pytest.mark.anyio


async def feed(client: httpx2.AsyncClient, **params: str) -> Calendar:
    response = await client.get("/api/v1/events.ics", params=params)
    assert response.status_code == 200, response.text
    return Calendar.from_ical(response.content)


def vevents_of(calendar: Calendar) -> list[Any]:
    """The VEVENTs, their properties read as the test knows them to be (icalendar types them as a union)."""
    return list(calendar.walk("VEVENT"))


async def test_one_vevent_per_session(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client, region_code="53", name="Lab d'innovation de Bretagne")
    before = datetime.now(UTC).replace(microsecond=0)
    created = await client.post(
        "/api/v1/events", json=body(lab["id"], sessions=MORNINGS, registration_url="https://inscription.example.fr/f")
    )
    assert created.status_code == 201, created.text
    event = created.json()
    sessions = (await client.get(f"/api/v1/events/{event['id']}/sessions")).json()["items"]
    cancelled = await client.patch(
        f"/api/v1/events/{event['id']}/sessions/{sessions[1]['id']}", json={"status": "cancelled"}
    )
    assert cancelled.status_code == 200, cancelled.text

    first, second = await feed(client, lab=lab["slug"]), await feed(client, lab=lab["slug"])
    vevents = vevents_of(first)
    uids = [str(vevent["uid"]) for vevent in vevents]
    assert uids == [f"{session['id']}@lab-registry" for session in sessions]
    assert uids == [str(vevent["uid"]) for vevent in vevents_of(second)]
    assert uids[0] == f"{event['id']}@lab-registry"
    assert [str(vevent["status"]) for vevent in vevents] == ["CONFIRMED", "CANCELLED", "CONFIRMED"]
    assert "RECURRENCE-ID" not in first.to_ical().decode()
    for vevent in vevents:
        assert vevent["dtstart"].params["TZID"] == "Europe/Paris"
        assert str(vevent["url"]) == "https://inscription.example.fr/f"
        assert vevent["organizer"].params["CN"] == "Lab d'innovation de Bretagne"
        assert str(vevent["organizer"]) == f"urn:uuid:{lab['id']}"
        assert vevent["dtstamp"].dt >= before
    starts = [vevent["dtstart"].dt for vevent in vevents]
    assert [start.hour for start in starts] == [9, 9, 9]
    assert [start.date() for start in starts] == [date(2021, 3, 2), date(2021, 3, 9), date(2021, 3, 16)]
    # SEQUENCE grows with the session's version (the cancelled one) and with the event's (every session).
    sequences = [int(vevent["sequence"]) for vevent in vevents]
    assert sequences[1] == sequences[0] + 1
    assert (
        await client.patch(f"/api/v1/events/{event['id']}", json={"title": "Formation renommée"})
    ).status_code == 200
    assert [int(v["sequence"]) for v in vevents_of(await feed(client, lab=lab["slug"]))] == [
        sequence + 1 for sequence in sequences
    ]

    # What a calendar app built on recurring-ical-events shows: one occurrence per session, on its day.
    occurrences: list[Any] = recurring_ical_events.of(first).between(date(2021, 3, 1), date(2021, 4, 1))
    assert sorted(str(occurrence["uid"]) for occurrence in occurrences) == sorted(uids)
    tuesday: Any
    (tuesday,) = recurring_ical_events.of(first).at(date(2021, 3, 9))
    assert (str(tuesday["status"]), tuesday["dtstart"].dt.hour) == ("CANCELLED", 9)
    assert recurring_ical_events.of(first).at(date(2021, 3, 3)) == []


async def test_the_organizer_is_named_before_the_lab(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client)
    organizer = await create_organization(client, name="Préfecture de la région Bretagne")
    fields = {"organizer_organization_id": organizer["id"], "starts_at": "2021-05-04T14:00:00"}
    created = await client.post("/api/v1/events", json=body(lab["id"], **fields, ends_at="2021-05-04T16:00:00"))
    assert created.status_code == 201, created.text
    (vevent,) = vevents_of(await feed(client, organizer=organizer["id"]))
    assert vevent["organizer"].params["CN"] == "Préfecture de la région Bretagne"
    assert str(vevent["uid"]) == f"{created.json()['id']}@lab-registry"
    assert int(vevent["sequence"]) == 1
