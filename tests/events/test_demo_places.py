"""The demo's events are placed in real communes, some hybrid or online, with registration details."""

from typing import Any

import httpx2
import pytest

from tests.stats.test_demo_figures import demo

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
__all__ = ["demo"]


async def items(client: httpx2.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/events", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["items"]
    return found


async def test_the_labs_cities_have_placed_events(demo: httpx2.AsyncClient) -> None:
    for commune, city in (("35238", "Rennes"), ("33063", "Bordeaux"), ("59350", "Lille"), ("31555", "Toulouse")):
        placed = await items(demo, commune=commune)
        assert placed, city
        assert {event["place"]["city"] for event in placed} == {city}
        assert all(event["place"]["latitude"] is not None for event in placed)
    near = await items(demo, near="48.11,-1.68", radius_km=5, sort="distance")
    assert near
    assert {event["place"]["commune_code"] for event in near} == {"35238"}
    for mode in ("hybrid", "online"):
        some = await items(demo, attendance_mode=mode, limit=5)
        assert some
        assert all(event["online_url"] for event in some)
    registered = await items(demo, lab="demo-lab-bretagne", limit=50)
    assert all(event["registration_url"] and event["registration_deadline"] for event in registered)
    assert {event["price"] for event in await items(demo)} >= {"free"}
    geojson = (await demo.get("/api/v1/events.geojson", params={"department": "35"})).json()
    assert geojson["features"]
    assert all(f["geometry"]["type"] == "Point" for f in geojson["features"])
