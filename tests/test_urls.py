"""Every URL field of every body (they share `app.core.schemas.Url`) refuses control characters and spaces: a line
break stored in a URL would later cut a calendar feed, a header or a log line."""

from typing import Any

import httpx2
import pytest

from tests.conftest import KeyMaker
from tests.factories import create_event, create_lab, create_organization
from tests.helpers import assert_problem, total
from tests.imports.loading import load

pytestmark = pytest.mark.anyio

BROKEN = {
    "line feed": "https://e.org/\nX",
    "carriage return": "https://e.org/\rBEGIN:VEVENT",
    "CRLF": "https://e.org/a\r\nLocation: https://evil.example/",
    "tab": "https://e.org/\tx",
    "vertical tab": "https://e.org/\x0bx",
    "escape": "https://e.org/\x1b[31m",
    "delete": "https://e.org/\x7f",
    "next line (C1)": "https://e.org/\x85x",
    "line separator": "https://e.org/\u2028x",
    "no-break space": "https://e.org/\u00a0x",
    "right-to-left override": "https://e.org/\u202egpj.exe",
    "space": "https://e.org/a b",
}


async def _refused(response: httpx2.Response, field: str) -> None:
    problem = assert_problem(response, 422, field)
    assert any("control characters" in error["msg"] for error in problem["errors"]), problem


@pytest.mark.parametrize("url", BROKEN.values(), ids=BROKEN)
class TestUrlFields:
    async def test_event_urls(self, client: httpx2.AsyncClient, url: str) -> None:
        lab = await create_lab(client)
        body = {
            "title": "Webinaire",
            "theme_code": "design",
            "format": "webinaire",
            "attendance_mode": "online",
            "online_url": "https://visio.example.org/salle",
            "audience": "agents",
            "starts_at": "2020-11-17T10:00:00+01:00",
            "ends_at": "2020-11-17T11:00:00+01:00",
            "lab_id": lab["id"],
        }
        for field in ("online_url", "registration_url"):
            await _refused(await client.post("/api/v1/events", json={**body, field: url}), field)
        assert await total(client, "/api/v1/events") == 0
        event = await create_event(client, lab_id=lab["id"])
        for field in ("online_url", "registration_url"):
            await _refused(await client.patch(f"/api/v1/events/{event['id']}", json={field: url}), field)
        stored = (await client.get(f"/api/v1/events/{event['id']}")).json()
        assert (stored["online_url"], stored["registration_url"], stored["version"]) == (body["online_url"], None, 1)

    async def test_lab_and_organization_websites(self, client: httpx2.AsyncClient, url: str) -> None:
        await _refused(await client.post("/api/v1/labs", json={"name": "Lab", "website": url}), "website")
        organization: dict[str, Any] = {"name": "Mairie", "kind": "collectivite", "website": url}
        await _refused(await client.post("/api/v1/organizations", json=organization), "website")
        lab = await create_lab(client)
        await _refused(await client.patch(f"/api/v1/labs/{lab['id']}", json={"website": url}), "website")
        org = await create_organization(client)
        await _refused(await client.patch(f"/api/v1/organizations/{org['id']}", json={"website": url}), "website")
        assert await total(client, "/api/v1/labs") == 1
        assert await total(client, "/api/v1/organizations") == 1

    async def test_webhook_target(self, client: httpx2.AsyncClient, make_key: KeyMaker, url: str) -> None:
        admin = {"Authorization": f"Bearer {await make_key('admin')}"}
        response = await client.post("/api/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=admin)
        await _refused(response, "url")


async def test_an_imported_url_with_a_line_break_rejects_its_row(client: httpx2.AsyncClient) -> None:
    body = 'external_id,name,kind,website\r\norg-1,Mairie,collectivite,"https://e.org/\nX"\r\n'
    problem = assert_problem(await load(client, "organizations", body), 422)
    assert [(e["line"], e["column"]) for e in problem["errors"]] == [(2, "website")]
    assert "control characters" in problem["errors"][0]["message"]
    assert await total(client, "/api/v1/organizations") == 0


async def test_urls_with_accents_and_encoded_characters_are_still_accepted(client: httpx2.AsyncClient) -> None:
    website = "https://exemple.fr/événements?q=a%20b#programme"
    assert (await create_lab(client, website=website))["website"] == website
