"""Files as data teams really have them: Excel's CSV in its encodings and separators, and JSON Lines."""

import httpx2
import pytest

from tests.factories import create_lab
from tests.helpers import total
from tests.imports.loading import JSONL, load

pytestmark = pytest.mark.anyio

ORGANIZATIONS = (
    "external_id;name;kind;region;siret\r\n"
    "org-1;Région Bretagne;collectivite;Bretagne;\r\n"
    "org-2;Mairie de Saint-Étienne;collectivite;84;\r\n"
)


async def test_semicolon_csv_in_windows_1252_without_charset(client: httpx2.AsyncClient) -> None:
    response = await load(client, "organizations", ORGANIZATIONS.encode("cp1252"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report == {
        "resource": "organizations",
        "dry_run": False,
        "atomic": True,
        "applied": True,
        "read": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "would_create": 2,
        "would_update": 0,
        "would_leave_unchanged": 0,
        "rejected": 0,
        "error_count": 0,
        "errors_truncated": False,
        "errors": [],
    }
    found = (await client.get("/api/v1/organizations", params={"q": "saint etienne"})).json()["items"]
    assert [org["name"] for org in found] == ["Mairie de Saint-Étienne"]
    assert found[0]["region_code"] == "84"
    assert found[0]["slug"] == "mairie-de-saint-etienne"


async def test_utf8_with_bom_loaded_twice_is_unchanged_the_second_time(client: httpx2.AsyncClient) -> None:
    body = b"\xef\xbb\xbf" + ORGANIZATIONS.replace(";", ",").encode()
    first = (await load(client, "organizations", body)).json()
    assert (first["created"], first["unchanged"]) == (2, 0)
    before = (await client.get("/api/v1/organizations/mairie-de-saint-etienne")).json()
    second = (await load(client, "organizations", body)).json()
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 2)
    after = (await client.get("/api/v1/organizations/mairie-de-saint-etienne")).json()
    assert after["version"] == before["version"] == 1
    assert after["updated_at"] == before["updated_at"]


async def test_events_with_french_dates_friendly_references_and_crlf(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client, slug="lab-bretagne", region_code="53")
    body = (
        "external_id;title;theme;format;attendance_mode;audience;starts_at;ends_at;lab;participants_count;"
        "city;online_url\r\n"
        "evt-1;Atelier « design » des services;Service à l'usager;Atelier découverte;in-person;agents;"
        "17/11/2020 10:00;17/11/2020 12:30;lab-bretagne;12;Rennes;\r\n"
        'evt-2;"Webinaire ; sur deux\r\nlignes";design;webinaire;online;all;2020-11-18T14:00:00+01:00;'
        "2020-11-18T15:00:00+01:00;" + lab["id"] + ";;;https://visio.example.org/salle\r\n"
    ).encode()
    response = await load(client, "events", body)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    events = (await client.get("/api/v1/events", params={"lab": "lab-bretagne"})).json()["items"]
    first, second = events
    assert first["theme_code"] == "service-usager"
    assert first["format"] == "atelier-decouverte"
    assert first["starts_at"] == "2020-11-17T09:00:00Z"
    assert first["region_code"] == "53"
    assert first["participants_count"] == 12
    assert second["title"] == "Webinaire ; sur deux\r\nlignes"


async def test_json_lines(client: httpx2.AsyncClient) -> None:
    body = (
        b'{"external_id": "lab-x", "name": "Lab X", "region": "La R\\u00e9union", "latitude": "-20,88", '
        b'"longitude": 55.45}\n\n'
    )
    response = await load(client, "labs", body, JSONL)
    assert response.status_code == 200, response.text
    lab = (await client.get("/api/v1/labs/lab-x")).json()
    assert lab["region_code"] == "04"
    assert lab["latitude"] == pytest.approx(-20.88)
    assert await total(client, "/api/v1/labs") == 1
