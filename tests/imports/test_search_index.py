"""Imported rows are found by `q` as rows written one by one are: on SQLite the import indexes each batch in one
statement (app.search.schema.sqlite_bulk_insert) instead of the row-by-row trigger, which it puts back; on
PostgreSQL the stored tsvector is computed by the server."""

import httpx2
import pytest

from app.imports import service
from tests.factories import create_event, create_organization
from tests.helpers import assert_problem
from tests.imports.loading import load, loaded

pytestmark = pytest.mark.anyio

HEADER = "external_id,title,theme,format,attendance_mode,audience,starts_at,ends_at,organizer,online_url\r\n"
TITLES = [
    "Ateliers de design des services",
    "Formations à l'écoconception",
    "Laboratoires d'innovation territoriale",
    "Webinaire : données ouvertes",
    "Hackathon des communs numériques",
]


def _row(external_id: str, title: str) -> str:
    return (
        f"{external_id},{title},design,atelier,online,all,2020-11-17T10:00:00Z,2020-11-17T11:00:00Z,org,"
        "https://visio.example.org/salle\r\n"
    )


async def _found(client: httpx2.AsyncClient, q: str) -> set[str]:
    response = await client.get("/api/v1/events", params={"q": q, "limit": "100"})
    assert response.status_code == 200, response.text
    return {item["title"] for item in response.json()["items"]}


async def test_rows_imported_over_several_batches_are_found_and_the_index_still_follows_writes(
    client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "BATCH_ROWS", 2)
    await create_organization(client, slug="org")
    before = await create_event(client, title="Atelier écrit avant l'import")
    body = HEADER + "".join(_row(f"evt-{n}", title) for n, title in enumerate(TITLES))
    assert (await loaded(client, "events", body))["created"] == len(TITLES)

    assert await _found(client, "atelier") == {"Ateliers de design des services", before["title"]}
    assert await _found(client, "formation") == {"Formations à l'écoconception"}
    assert await _found(client, "laboratoire innovation") == {"Laboratoires d'innovation territoriale"}
    assert await _found(client, '"donnees ouvertes"') == {"Webinaire : données ouvertes"}
    assert await _found(client, "numeri*") == {"Hackathon des communs numériques"}

    # An update by the import, then rows written one by one: the index follows each.
    assert (await loaded(client, "events", HEADER + _row("evt-3", "Webinaire : archives publiques")))["updated"] == 1
    assert await _found(client, "donnees") == set()
    assert await _found(client, "archives") == {"Webinaire : archives publiques"}
    after = await create_event(client, title="Atelier écrit après l'import")
    assert await _found(client, "ecrit") == {before["title"], after["title"]}
    assert (await client.delete(f"/api/v1/events/{after['id']}")).status_code == 204
    assert await _found(client, "ecrit") == {before["title"]}


async def test_a_refused_import_leaves_the_index_and_its_upkeep_as_they_were(
    client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "BATCH_ROWS", 2)
    await create_organization(client, slug="org")
    rows = [_row(f"evt-{n}", title) for n, title in enumerate(TITLES)]
    refused = HEADER + "".join(rows) + "evt-bad,Atelier sans thème,,atelier,online,all,,,org,\r\n"
    problem = assert_problem(await load(client, "events", refused, atomic="true"), 422)
    assert problem["applied"] is False
    assert await _found(client, "atelier") == set()

    created = await create_event(client, title="Atelier écrit après le refus")
    assert await _found(client, "atelier") == {created["title"]}
