"""A list page's statement is kept per shape (app.lists.filters): which filters are given, how many words a
search has, whether a reference is an id or a slug, whether a cursor is. Pages read one after the other, with
the same shape and other values or with a shape close to the last one, must each answer their own rows."""

import httpx2
import pytest

from tests.factories import create_event, create_lab

pytestmark = [pytest.mark.anyio, pytest.mark.lists]


async def _titles(client: httpx2.AsyncClient, **params: str) -> set[str]:
    response = await client.get("/api/v1/events", params={"limit": "50", **params})
    assert response.status_code == 200, response.text
    return {item["title"] for item in response.json()["items"]}


async def test_pages_of_one_shape_read_their_own_values(client: httpx2.AsyncClient) -> None:
    breton = await create_lab(client, region_code="53")
    normand = await create_lab(client, region_code="28")
    await create_event(client, lab_id=breton["id"], title="Atelier écoresponsable à Rennes")
    await create_event(client, lab_id=breton["id"], title="Atelier numérique à Brest")
    await create_event(client, lab_id=normand["id"], title="Webinaire écoresponsable à Caen")

    assert await _titles(client, region="53") == {"Atelier écoresponsable à Rennes", "Atelier numérique à Brest"}
    assert await _titles(client, region="28") == {"Webinaire écoresponsable à Caen"}

    assert await _titles(client, q="ecoresponsable") == {
        "Atelier écoresponsable à Rennes",
        "Webinaire écoresponsable à Caen",
    }
    assert await _titles(client, q="ecoresponsable caen") == {"Webinaire écoresponsable à Caen"}
    assert await _titles(client, q="atelier") == {"Atelier écoresponsable à Rennes", "Atelier numérique à Brest"}

    assert await _titles(client, lab=breton["slug"]) == {"Atelier écoresponsable à Rennes", "Atelier numérique à Brest"}
    assert await _titles(client, lab=normand["id"]) == {"Webinaire écoresponsable à Caen"}
    assert await _titles(client, lab=normand["slug"]) == {"Webinaire écoresponsable à Caen"}
    assert await _titles(client, lab=breton["id"], q="brest") == {"Atelier numérique à Brest"}


async def test_a_walk_by_cursor_keeps_each_page_after_its_own_cursor(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client)
    for day in range(1, 6):
        await create_event(
            client,
            lab_id=lab["id"],
            title=f"Atelier du {day} novembre",
            starts_at=f"2020-11-{day:02d}T10:00:00+01:00",
            ends_at=f"2020-11-{day:02d}T11:00:00+01:00",
        )

    seen: list[str] = []
    params = {"limit": "2", "lab": lab["slug"]}
    for _ in range(3):
        body = (await client.get("/api/v1/events", params=params)).json()
        seen += [item["title"] for item in body["items"]]
        params["cursor"] = body["next_cursor"]

    assert seen == [f"Atelier du {day} novembre" for day in range(1, 6)]
    assert params["cursor"] is None
