"""`GET /search`: one ranked search across labs, projects, events and organizations, its keyset pages, facets and
snippets, and what it never shows (drafts), on both engines."""

from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from tests.factories import create_event, create_lab, create_organization, create_project
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio


@pytest.fixture
async def registry(client: httpx2.AsyncClient) -> dict[str, dict[str, Any]]:
    lab = await create_lab(
        client, name="Laboratoire d’innovation de Bretagne", region_code="53", description="Des ateliers de design."
    )
    other = await create_lab(
        client, name="Fabrique des usagers", region_code="84", description="Un laboratoire citoyen."
    )
    project = await create_project(
        client, lab_id=lab["id"], title="Formations au design", summary="Des formations pour les laboratoires."
    )
    event = await create_event(
        client,
        lab_id=other["id"],
        title="Rencontre des laboratoires",
        description="Visite du laboratoire.",
        theme_code="design",
    )
    organization = await create_organization(client, name="Réseau des laboratoires publics")
    await create_event(client, lab_id=lab["id"], title="Atelier sans rapport")
    return {"lab": lab, "other": other, "project": project, "event": event, "organization": organization}


async def _search(http: httpx2.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await http.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_every_kind_ranked_together(client: httpx2.AsyncClient, registry: dict[str, dict[str, Any]]) -> None:
    body = await _search(client, q="laboratoires")
    found = {(item["type"], item["id"]) for item in body["items"]}
    assert found == {
        ("lab", registry["lab"]["id"]),
        ("lab", registry["other"]["id"]),
        ("project", registry["project"]["id"]),
        ("event", registry["event"]["id"]),
        ("organization", registry["organization"]["id"]),
    }
    ranks = [item["rank"] for item in body["items"]]
    assert ranks == sorted(ranks, reverse=True)
    # A title match ranks above a body-only match.
    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[registry["lab"]["id"]]["rank"] > by_id[registry["other"]["id"]]["rank"]
    assert by_id[registry["lab"]["id"]]["slug"] == registry["lab"]["slug"]
    assert by_id[registry["event"]["id"]]["slug"] is None
    assert by_id[registry["event"]["id"]]["snippet"] == "Visite du <mark>laboratoire</mark>."
    assert body["facets"] == {
        "type": {"lab": 2, "project": 1, "event": 1, "organization": 1},
        "region": {**body["facets"]["region"], "53": body["facets"]["region"]["53"]},
        "theme": body["facets"]["theme"],
    }
    assert body["facets"]["region"]["84"] >= 2  # the other lab and its event
    assert body["facets"]["theme"]["design"] >= 1


async def test_types_narrow_it(client: httpx2.AsyncClient, registry: dict[str, dict[str, Any]]) -> None:
    body = await _search(client, q="laboratoire", types="event,organization")
    assert {item["type"] for item in body["items"]} == {"event", "organization"}
    assert body["facets"]["type"] == {"event": 1, "organization": 1}


async def test_a_keyset_walk_repeats_nothing(client: httpx2.AsyncClient, registry: dict[str, dict[str, Any]]) -> None:
    whole = [item["id"] for item in (await _search(client, q="laboratoire"))["items"]]
    seen: list[str] = []
    params: dict[str, Any] = {"q": "laboratoire", "limit": 2}
    while True:
        body = await _search(client, **params)
        seen += [item["id"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == whole
    assert len(set(seen)) == len(seen) == 5


async def test_drafts_never_leak(app: FastAPI, client: httpx2.AsyncClient, registry: dict[str, dict[str, Any]]) -> None:
    draft = await create_event(
        client, lab_id=registry["lab"]["id"], title="Laboratoire confidentiel", publication="draft"
    )
    assert draft["publication"] == "draft"
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test") as nobody:
        body = await _search(nobody, q="laboratoire confidentiel")
    assert body["items"] == []
    assert body["facets"]["type"]["event"] == 0


async def test_bad_input_is_refused(client: httpx2.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/search"), 422, "q")
    assert_problem(await client.get("/api/v1/search", params={"q": "le -design"}), 422, "q")
    assert_problem(await client.get("/api/v1/search", params={"q": "x", "types": "lab,dragon"}), 422, "types")
    assert_problem(await client.get("/api/v1/search", params={"q": "x", "cursor": "bm90IGEgY3Vyc29y"}), 400)
