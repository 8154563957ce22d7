"""Typed factories: each creates one entity through the HTTP API and returns its JSON representation.

Each takes only what the entity cannot exist without (creating parents when none are given), and any
field to override.
"""

import itertools
from typing import Any

import httpx2

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """A fresh, readable value for unique fields."""
    return f"{prefix}-{next(_counter)}"


async def _post(client: httpx2.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_organization(client: httpx2.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("Préfecture de région"), "kind": "service-deconcentre", **fields}
    return await _post(client, "/api/v1/organizations", body)


async def create_lab(client: httpx2.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("Lab d'innovation"), "region_code": "53", "city": "Rennes", **fields}
    return await _post(client, "/api/v1/labs", body)


async def create_stream(client: httpx2.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"code": unique("FONDS").upper(), "name": unique("Fonds"), "envelope_cents": 100_000_000, **fields}
    return await _post(client, "/api/v1/funding-streams", body)


async def create_allocation(client: httpx2.AsyncClient, **fields: Any) -> dict[str, Any]:
    if "stream_id" not in fields:
        fields["stream_id"] = (await create_stream(client))["id"]
    if not {"lab_id", "project_id", "organization_id"} & fields.keys():
        fields["lab_id"] = (await create_lab(client))["id"]
    body = {"amount_cents": 5_000_000, "status": "committed", **fields}
    return await _post(client, "/api/v1/allocations", body)


async def create_disbursement(client: httpx2.AsyncClient, allocation_id: str, **fields: Any) -> dict[str, Any]:
    body = {"amount_cents": 1_000_000, "paid_on": "2021-03-15", **fields}
    return await _post(client, f"/api/v1/allocations/{allocation_id}/disbursements", body)


async def create_project(client: httpx2.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"title": unique("Accueil des usagers"), "kind": "project", "theme_code": "service-usager", **fields}
    return await _post(client, "/api/v1/projects", body)


async def create_partner(client: httpx2.AsyncClient, project_id: str, **fields: Any) -> dict[str, Any]:
    if "organization_id" not in fields:
        fields["organization_id"] = (await create_organization(client))["id"]
    body = {"role": "partner", **fields}
    return await _post(client, f"/api/v1/projects/{project_id}/partners", body)


async def create_campaign(client: httpx2.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("Mois de l'innovation publique"), "starts_on": "2020-11-01", "ends_on": "2020-11-30"}
    return await _post(client, "/api/v1/campaigns", {**body, **fields})


async def create_event(client: httpx2.AsyncClient, **fields: Any) -> dict[str, Any]:
    if "lab_id" not in fields and "organizer_organization_id" not in fields:
        fields["lab_id"] = (await create_lab(client))["id"]
    body = {
        "title": unique("Webinaire : l'usager au centre"),
        "theme_code": "service-usager",
        "format": "webinaire",
        "attendance_mode": "online",
        "audience": "agents",
        "starts_at": "2020-11-17T10:00:00+01:00",
        "ends_at": "2020-11-17T11:30:00+01:00",
        **fields,
    }
    # What the attendance mode needs (app.events.rules.placed_in_space), unless the test gives it.
    if body["attendance_mode"] != "in-person":
        body.setdefault("online_url", "https://visio.example.org/salle")
    if body["attendance_mode"] != "online" and "place" not in body:
        body.setdefault("city", "Rennes")
    return await _post(client, "/api/v1/events", body)
