"""Events as iCalendar: parsed back with icalendar, stable UIDs, the right zones, statuses mapped, filters."""

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx2
import pytest
from fastapi import FastAPI
from icalendar import Calendar
from sqlalchemy import update

from app.models import Event, Lab
from tests.factories import create_campaign, create_event, create_lab
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def feed(client: httpx2.AsyncClient, **params: str) -> Calendar:
    response = await client.get("/api/v1/events.ics", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def by_summary(calendar: Calendar) -> dict[str, object]:
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


class TestCalendar:
    async def test_uids_are_stable_across_exports(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client)
        first, second = await feed(client), await feed(client)
        uids = [str(e["uid"]) for e in first.walk("VEVENT")]
        assert uids == [f"{event['id']}@lab-registry"]
        assert uids == [str(e["uid"]) for e in second.walk("VEVENT")]

    async def test_paris_times_keep_their_zone_across_daylight_saving(self, client: httpx2.AsyncClient) -> None:
        await create_event(client, title="Hiver", starts_at="2026-01-15T10:00:00", ends_at="2026-01-15T11:00:00")
        await create_event(client, title="Été", starts_at="2026-07-15T10:00:00", ends_at="2026-07-15T11:00:00")
        calendar = await feed(client)
        events = by_summary(calendar)
        for title in ("Hiver", "Été"):
            start = events[title]["dtstart"]  # type: ignore[index]
            assert start.params["TZID"] == "Europe/Paris"
            assert start.dt.replace(tzinfo=None).hour == 10
        winter = events["Hiver"]["dtstart"].dt  # type: ignore[index]
        summer = events["Été"]["dtstart"].dt  # type: ignore[index]
        assert winter == datetime(2026, 1, 15, 9, tzinfo=ZoneInfo("UTC"))
        assert summer == datetime(2026, 7, 15, 8, tzinfo=ZoneInfo("UTC"))
        assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]

    async def test_a_cayenne_event_is_in_guiana_time(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="03", city="Cayenne")
        await create_event(
            client, lab_id=lab["id"], title="Guyane", starts_at="2026-03-10T09:00:00", ends_at="2026-03-10T10:00:00"
        )
        calendar = await feed(client)
        start = by_summary(calendar)["Guyane"]["dtstart"]  # type: ignore[index]
        assert start.params["TZID"] == "America/Cayenne"
        assert start.dt == datetime(2026, 3, 10, 12, tzinfo=ZoneInfo("UTC"))
        assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Cayenne"]

    async def test_statuses_are_mapped(self, client: httpx2.AsyncClient) -> None:
        for status in ("scheduled", "cancelled", "postponed"):
            await create_event(client, title=status, status=status, attendance_mode="in-person")
        await create_event(
            client,
            title="moved-online",
            status="moved-online",
            attendance_mode="in-person",
            online_url="https://visio.example.fr/salle",
        )
        events = by_summary(await feed(client))
        assert {title: str(e["status"]) for title, e in events.items()} == {  # type: ignore[index]
            "scheduled": "CONFIRMED",
            "cancelled": "CANCELLED",
            "postponed": "TENTATIVE",
            "moved-online": "CONFIRMED",
        }
        moved = events["moved-online"]
        assert str(moved["url"]) == "https://visio.example.fr/salle"  # type: ignore[index]
        assert str(moved["location"]) == "https://visio.example.fr/salle"  # type: ignore[index]

    async def test_summary_description_and_location(self, client: httpx2.AsyncClient) -> None:
        await create_event(
            client,
            title="Atelier",
            description="Parcours usager, deuxième séance",
            attendance_mode="in-person",
            city="Rennes",
            registration_url="https://inscription.example.fr/atelier",
        )
        event = by_summary(await feed(client))["Atelier"]
        assert str(event["description"]) == "Parcours usager, deuxième séance"  # type: ignore[index]
        assert str(event["location"]) == "Rennes"  # type: ignore[index]
        assert str(event["url"]) == "https://inscription.example.fr/atelier"  # type: ignore[index]

    async def test_one_feed_per_lab_campaign_theme_or_region(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        campaign = await create_campaign(client)
        await create_event(client, title="Du lab", lab_id=lab["id"])
        await create_event(client, title="De la campagne", campaign_id=campaign["id"], theme_code="design")
        guiana = await create_lab(client, region_code="03")
        await create_event(client, title="Outre-mer", lab_id=guiana["id"])
        assert list(by_summary(await feed(client, lab=lab["slug"]))) == ["Du lab"]
        assert list(by_summary(await feed(client, campaign=campaign["slug"]))) == ["De la campagne"]
        assert list(by_summary(await feed(client, theme="design"))) == ["De la campagne"]
        assert list(by_summary(await feed(client, region="03"))) == ["Outre-mer"]

    async def test_an_empty_feed_is_still_a_calendar(self, client: httpx2.AsyncClient) -> None:
        calendar = await feed(client)
        assert str(calendar["version"]) == "2.0"
        assert calendar.walk("VEVENT") == []


CONTENT_LINE = re.compile(rb"[A-Za-z0-9-]+[;:]|[ \t]")
"""RFC 5545 §3.1: a content line starts with its property name (then `;` or `:`), or is a fold (space or tab)."""


def assert_content_lines(body: bytes) -> list[bytes]:
    """Every line of the feed ends with CRLF and holds no other line break or control character (tab aside)."""
    assert body.endswith(b"\r\n")
    lines = body[:-2].split(b"\r\n")
    for line in lines:
        assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", line), line
        assert CONTENT_LINE.match(line), line
        assert not re.search("[\x80-\x9f\u2028\u2029]", line.decode()), line
    return lines


async def store(app: FastAPI, event_id: str, **values: str) -> None:
    """Write values straight into the database, as older versions let them in."""
    table = Event.__table__  # type: ignore[attr-defined]
    async with app.state.engine.begin() as connection:
        await connection.execute(update(table).where(table.c.id == uuid.UUID(event_id)).values(**values))


class TestNoStoredValueCutsTheFeed:
    async def test_line_breaks_and_controls_in_stored_values(self, app: FastAPI, client: httpx2.AsyncClient) -> None:
        online = await create_event(client, title="En ligne", attendance_mode="online")
        await store(app, online["id"], online_url="https://e.org/\nX", description="Ordre du jour\x0b\x1b[31m\u2028fin")
        moved = await create_event(client, title="Déplacé", attendance_mode="in-person", city="Brest")
        await store(
            app,
            moved["id"],
            title="Atelier\rBEGIN:VEVENT\rSUMMARY:PWNED\rEND:VEVENT",
            city="Rennes\r\nX-INJECTED:1",
            registration_url="https://e.org/\rBEGIN:VEVENT",
        )
        await create_event(
            client,
            title="Intact",
            attendance_mode="in-person",
            registration_url="https://inscription.example.fr/atelier",
        )

        response = await client.get("/api/v1/events.ics")
        assert response.status_code == 200
        lines = assert_content_lines(response.content)
        assert lines.count(b"BEGIN:VEVENT") == 3
        assert lines[-1] == b"END:VCALENDAR"
        assert not [line for line in lines if line.startswith((b"SUMMARY:PWNED", b"X-INJECTED"))]

        events = by_summary(Calendar.from_ical(response.content))
        assert set(events) == {"En ligne", "Atelier\nBEGIN:VEVENT\nSUMMARY:PWNED\nEND:VEVENT", "Intact"}
        assert str(events["En ligne"]["url"]) == "https://e.org/%0AX"  # type: ignore[index]
        assert str(events["En ligne"]["location"]) == "https://e.org/%0AX"  # type: ignore[index]
        assert str(events["En ligne"]["description"]) == "Ordre du jour\n[31m\nfin"  # type: ignore[index]
        forged = events["Atelier\nBEGIN:VEVENT\nSUMMARY:PWNED\nEND:VEVENT"]
        assert str(forged["location"]) == "Rennes\nX-INJECTED:1"  # type: ignore[index]
        assert str(forged["url"]) == "https://e.org/%0DBEGIN:VEVENT"  # type: ignore[index]
        assert str(events["Intact"]["url"]) == "https://inscription.example.fr/atelier"  # type: ignore[index]


def calendar_name(response: httpx2.Response) -> str:
    assert response.status_code == 200, response.text
    assert_content_lines(response.content)
    # icalendar parses an X- property back as written: its TEXT escapes (RFC 5545 §3.3.11) are undone here.
    written = str(Calendar.from_ical(response.content)["x-wr-calname"])
    return re.sub(r"\\([\\;,nN])", lambda match: "\n" if match[1] in "nN" else match[1], written)


class TestFeedNames:
    @pytest.mark.parametrize(
        "lab",
        ["x\rBEGIN:VEVENT\rSUMMARY:PWNED\rEND:VEVENT", "x\nBEGIN:VEVENT\nSUMMARY:PWNED\nEND:VEVENT", "lab-inconnu"],
        ids=["CR", "LF", "unknown"],
    )
    async def test_an_unknown_lab_is_422_before_any_byte(self, client: httpx2.AsyncClient, lab: str) -> None:
        await create_event(client)
        problem = assert_problem(await client.get("/api/v1/events.ics", params={"lab": lab}), 422, "lab")
        assert problem["errors"][0]["msg"].startswith("no lab ")

    async def test_each_unknown_reference_is_named(self, client: httpx2.AsyncClient) -> None:
        params = {
            "organizer": "inconnue",
            "project": "inconnu",
            "campaign": str(uuid.uuid4()),
            "theme": "astrologie",
            "format": "banquet",
        }
        problem = assert_problem(await client.get("/api/v1/events.ics", params=params), 422)
        assert [error["loc"] for error in problem["errors"]] == [["query", name] for name in params]

    async def test_the_name_is_made_of_the_stored_names(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, name="Lab d'innovation de Bretagne", external_id="lab-bzh")
        campaign = await create_campaign(client, name="Mois de l'innovation publique 2020")
        params = {"lab": "lab-bzh", "campaign": campaign["id"], "theme": "Service-Usager", "region": "bretagne"}
        name = calendar_name(await client.get("/api/v1/events.ics", params=params))
        assert name == (
            "Lab Registry — Lab d'innovation de Bretagne, Mois de l'innovation publique 2020, "
            "Service à l'usager, Bretagne"
        )
        assert calendar_name(await client.get("/api/v1/events.ics", params={"lab": lab["slug"]})) == (
            "Lab Registry — Lab d'innovation de Bretagne"
        )
        assert calendar_name(await client.get("/api/v1/events.ics")) == "Lab Registry"

    async def test_a_stored_name_with_line_breaks_is_escaped(self, app: FastAPI, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        table = Lab.__table__  # type: ignore[attr-defined]
        async with app.state.engine.begin() as connection:
            await connection.execute(
                update(table).where(table.c.id == uuid.UUID(lab["id"])).values(name="Lab\rBEGIN:VEVENT\r\nEND:VEVENT")
            )
        name = calendar_name(await client.get("/api/v1/events.ics", params={"lab": lab["slug"]}))
        assert name == "Lab Registry — Lab\nBEGIN:VEVENT\nEND:VEVENT"
