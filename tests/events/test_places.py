"""Where events happen and how to register, through HTTP: the place and its checks, what each attendance mode
needs, a lab's point in its region, the where-filters against distances computed by hand, events.geojson, the
registration fields and filters, and places as flat CSV columns that load back unchanged."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import orjson
import pytest

from tests.factories import create_event, create_lab
from tests.helpers import assert_problem, total
from tests.imports.loading import load, loaded

pytestmark = pytest.mark.anyio

# name → (commune, postcode, latitude, longitude). Great-circle distances from 48.11,-1.68 (R = 6371.0088 km),
# computed by hand with the haversine formula: Rennes 0.52 km, Cesson-Sévigné 5.83 km, Saint-Malo 65.18 km,
# Brest 210.08 km, Ajaccio 1068.2 km.
PLACES = {
    "Rennes": ("35238", "35000", 48.1147, -1.6794),
    "Cesson-Sévigné": ("35051", "35510", 48.1211, -1.6033),
    "Saint-Malo": ("35288", "35400", 48.6493, -2.0257),
    "Brest": ("29019", "29200", 48.3904, -4.4861),
    "Ajaccio": ("2A004", "20000", 41.9192, 8.7386),
    "Saint-Denis": ("97411", "97400", -20.8821, 55.4507),
}


def place(city: str, **changes: Any) -> dict[str, Any]:
    commune, postcode, latitude, longitude = PLACES[city]
    return {
        "name": f"Salle de {city}",
        "address": "1 place de la Mairie",
        "postal_code": postcode,
        "city": city,
        "commune_code": commune,
        "latitude": latitude,
        "longitude": longitude,
        **changes,
    }


def body(lab: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "title": "Atelier",
        "theme_code": "design",
        "format": "atelier",
        "attendance_mode": "in-person",
        "audience": "agents",
        "starts_at": "2021-03-02T10:00:00",
        "ends_at": "2021-03-02T12:00:00",
        "lab_id": lab["id"],
        **fields,
    }


async def titles(client: httpx2.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/api/v1/events", params=params)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def placed_events(client: httpx2.AsyncClient) -> None:
    """One in-person event in each place, titled by its city, starting a day apart in the dict's order."""
    lab = await create_lab(client, region_code="53")
    for n, city in enumerate(PLACES):
        start = f"2021-03-{n + 2:02d}T10:00:00"
        await create_event(
            client,
            lab_id=lab["id"],
            title=city,
            attendance_mode="in-person",
            place=place(city),
            starts_at=start,
            ends_at=start,
        )


class TestPlace:
    async def test_a_place_is_stored_and_its_city_mirrored(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        created = await client.post("/api/v1/events", json=body(lab, place=place("Rennes")))
        assert created.status_code == 201, created.text
        event = created.json()
        assert event["place"] == place("Rennes")
        assert event["city"] == "Rennes"
        moved = await client.patch(f"/api/v1/events/{event['id']}", json={"city": "Cesson-Sévigné"})
        assert moved.status_code == 200, moved.text
        assert (moved.json()["city"], moved.json()["place"]["city"]) == ("Cesson-Sévigné", "Cesson-Sévigné")
        assert moved.json()["place"]["address"] == "1 place de la Mairie"

    async def test_a_city_alone_is_the_place_s_city(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        event = (await client.post("/api/v1/events", json=body(lab, city="Brest"))).json()
        assert event["place"] == {
            "name": None,
            "address": None,
            "postal_code": None,
            "city": "Brest",
            "commune_code": None,
            "latitude": None,
            "longitude": None,
        }

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"commune_code": "20004"}, "commune_code"),
            ({"commune_code": "2C004"}, "commune_code"),
            ({"commune_code": "3523"}, "commune_code"),
            ({"commune_code": "97911"}, "commune_code"),
            ({"postal_code": "3500"}, "postal_code"),
            ({"postal_code": "35 000"}, "postal_code"),
            ({"latitude": None}, "place"),
            ({"longitude": None}, "place"),
            ({"latitude": -1.6794, "longitude": 48.1147}, "place"),
            ({"latitude": 52.52, "longitude": 13.40}, "place"),
            ({"latitude": 91}, "latitude"),
            ({"longitude": "est"}, "longitude"),
            ({"name": "x" * 201}, "name"),
            ({"colour": "blue"}, "colour"),
        ],
    )
    async def test_a_bad_place_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, changes: dict[str, Any], field: str
    ) -> None:
        lab = await create_lab(client)
        assert_problem(
            await client.post("/api/v1/events", json=body(lab, place=place("Rennes", **changes))), 422, field
        )
        assert await total(client, "/api/v1/events") == 0

    async def test_overseas_and_corsica_communes(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        for city in ("Ajaccio", "Saint-Denis"):
            created = await client.post("/api/v1/events", json=body(lab, place=place(city)))
            assert created.status_code == 201, created.text


class TestAttendance:
    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"attendance_mode": "in-person"}, "place"),
            ({"attendance_mode": "in-person", "place": {"name": "Salle B"}}, "place"),
            ({"attendance_mode": "online"}, "online_url"),
            ({"attendance_mode": "online", "city": "Rennes"}, "online_url"),
            ({"attendance_mode": "hybrid", "city": "Rennes"}, "online_url"),
            ({"attendance_mode": "hybrid", "online_url": "https://visio.example.org/a"}, "place"),
        ],
    )
    async def test_each_mode_needs_what_it_says(
        self, client: httpx2.AsyncClient, fields: dict[str, Any], field: str
    ) -> None:
        lab = await create_lab(client)
        assert_problem(await client.post("/api/v1/events", json=body(lab, **fields)), 422, field)
        assert await total(client, "/api/v1/events") == 0

    async def test_a_change_that_breaks_the_rule_is_refused(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        event = (await client.post("/api/v1/events", json=body(lab, city="Rennes"))).json()
        assert_problem(await client.patch(f"/api/v1/events/{event['id']}", json={"attendance_mode": "hybrid"}), 422)
        assert_problem(await client.patch(f"/api/v1/events/{event['id']}", json={"place": None, "city": None}), 422)
        hybrid = {"attendance_mode": "hybrid", "online_url": "https://visio.example.org/a"}
        assert (await client.patch(f"/api/v1/events/{event['id']}", json=hybrid)).status_code == 200
        assert (await client.get(f"/api/v1/events/{event['id']}")).json()["version"] == 2


class TestLabPoint:
    async def test_a_lab_point_outside_its_region_is_refused(self, client: httpx2.AsyncClient) -> None:
        swapped = {"name": "Lab Guyane", "region_code": "03", "latitude": -52.3135, "longitude": 4.9224}
        assert_problem(await client.post("/api/v1/labs", json=swapped), 422, "latitude")
        elsewhere = {"name": "Lab Bretagne", "region_code": "53", "latitude": 43.6047, "longitude": 1.4442}
        assert_problem(await client.post("/api/v1/labs", json=elsewhere), 422, "latitude")
        assert await total(client, "/api/v1/labs") == 0
        right = {**swapped, "latitude": 4.9224, "longitude": -52.3135}
        lab = await client.post("/api/v1/labs", json=right)
        assert lab.status_code == 201, lab.text
        assert_problem(await client.patch(f"/api/v1/labs/{lab.json()['id']}", json={"region_code": "53"}), 422)

    async def test_an_imported_lab_row_is_refused_alike(self, client: httpx2.AsyncClient) -> None:
        csv = "external_id,name,region_code,latitude,longitude\r\nlab-g,Lab Guyane,03,-52.3135,4.9224\r\n"
        problem = assert_problem(await load(client, "labs", csv), 422)
        assert problem["errors"][0]["column"] == "latitude"
        assert "is not in Guyane" in problem["errors"][0]["message"]
        assert await total(client, "/api/v1/labs") == 0


class TestWhereFilters:
    async def test_near_within_a_radius(self, client: httpx2.AsyncClient) -> None:
        await placed_events(client)
        assert await titles(client, near="48.11,-1.68", radius_km=30) == ["Rennes", "Cesson-Sévigné"]
        assert await titles(client, near="48.11,-1.68", radius_km=5.8) == ["Rennes"]
        assert await titles(client, near="48.11,-1.68", radius_km=5.85) == ["Rennes", "Cesson-Sévigné"]
        assert await titles(client, near="48.11,-1.68", radius_km=65.1) == ["Rennes", "Cesson-Sévigné"]
        assert await titles(client, near="48.11, -1.68", radius_km=100) == ["Rennes", "Cesson-Sévigné", "Saint-Malo"]
        assert await titles(client, near="48.11,-1.68") == ["Rennes", "Cesson-Sévigné"]
        assert await titles(client, near="48.11,-1.68", radius_km=1068) == [
            "Rennes",
            "Cesson-Sévigné",
            "Saint-Malo",
            "Brest",
        ]

    async def test_sort_by_distance_walks_page_by_page(self, client: httpx2.AsyncClient) -> None:
        await placed_events(client)
        seen: list[str] = []
        params: dict[str, Any] = {"near": "48.11,-1.68", "radius_km": 1070, "sort": "distance", "limit": 1}
        while True:
            response = await client.get("/api/v1/events", params=params)
            assert response.status_code == 200, response.text
            seen += [item["title"] for item in response.json()["items"]]
            if response.json()["next_cursor"] is None:
                break
            params["cursor"] = response.json()["next_cursor"]
        assert seen == ["Rennes", "Cesson-Sévigné", "Saint-Malo", "Brest", "Ajaccio"]
        everything = await titles(client, near="48.11,-1.68", radius_km=1070, sort="distance", limit=10)
        assert everything == seen
        export = await client.get("/api/v1/events", params={**params, "output": "jsonl", "cursor": None})
        assert [orjson.loads(line)["title"] for line in export.content.splitlines()] == seen

    async def test_bbox_department_commune(self, client: httpx2.AsyncClient) -> None:
        await placed_events(client)
        assert await titles(client, bbox="-2.1,48.0,-1.5,48.7") == ["Rennes", "Cesson-Sévigné", "Saint-Malo"]
        assert await titles(client, bbox="-5,48,-4,49") == ["Brest"]
        assert await titles(client, department="35") == ["Rennes", "Cesson-Sévigné", "Saint-Malo"]
        assert await titles(client, department="2A") == ["Ajaccio"]
        assert await titles(client, department="974") == ["Saint-Denis"]
        assert await titles(client, commune="35238") == ["Rennes"]
        assert await titles(client, commune="35238", near="48.11,-1.68") == ["Rennes"]

    @pytest.mark.parametrize(
        "params",
        [
            {"sort": "distance"},
            {"near": "48.11"},
            {"near": "95,1"},
            {"near": "48.11,-1.68", "radius_km": 0},
            {"near": "48.11,-1.68", "radius_km": 30_000},
            {"bbox": "-1.5,48,-2,49"},
            {"bbox": "1,2,3"},
            {"department": "3"},
            {"commune": "2C004"},
            {"accessibility": "stairs"},
            {"is_full": "maybe"},
        ],
    )
    async def test_bad_where_filters_are_refused(self, client: httpx2.AsyncClient, params: dict[str, Any]) -> None:
        assert_problem(await client.get("/api/v1/events", params=params), 422)

    async def test_a_cursor_of_another_point_is_a_cursor_of_the_distance(self, client: httpx2.AsyncClient) -> None:
        await placed_events(client)
        first = await client.get("/api/v1/events", params={"near": "48.11,-1.68", "sort": "distance", "limit": 1})
        cursor = first.json()["next_cursor"]
        assert_problem(await client.get("/api/v1/events", params={"cursor": cursor}), 400)


class TestGeoJSON:
    async def test_points_of_placed_events_with_the_list_fields(self, client: httpx2.AsyncClient) -> None:
        await placed_events(client)
        await create_event(client, title="En ligne")
        response = await client.get("/api/v1/events.geojson", params={"department": "35"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/geo+json")
        collection = response.json()
        assert collection["type"] == "FeatureCollection"
        features = collection["features"]
        assert [f["properties"]["title"] for f in features] == ["Rennes", "Cesson-Sévigné", "Saint-Malo"]
        for feature in features:
            assert feature["type"] == "Feature"
            assert feature["id"] == feature["properties"]["id"]
            _, _, latitude, longitude = PLACES[feature["properties"]["title"]]
            assert feature["geometry"] == {"type": "Point", "coordinates": [longitude, latitude]}
        listed = (await client.get("/api/v1/events", params={"department": "35"})).json()["items"]
        assert [f["properties"] for f in features] == listed
        everything = (await client.get("/api/v1/events.geojson")).json()["features"]
        assert "En ligne" not in [f["properties"]["title"] for f in everything]
        assert len(everything) == len(PLACES)

    async def test_drafts_are_absent_for_anonymous(
        self, client: httpx2.AsyncClient, anonymous: httpx2.AsyncClient
    ) -> None:
        await placed_events(client)
        lab = await create_lab(client)
        draft = await client.post(
            "/api/v1/events", json=body(lab, title="Brouillon", place=place("Rennes"), publication="draft")
        )
        assert draft.status_code == 201, draft.text
        seen = await anonymous.get("/api/v1/events.geojson", params={"near": "48.11,-1.68"})
        assert [f["properties"]["title"] for f in seen.json()["features"]] == ["Rennes", "Cesson-Sévigné"]
        near = await anonymous.get("/api/v1/events", params={"near": "48.11,-1.68", "sort": "distance"})
        assert "Brouillon" not in [item["title"] for item in near.json()["items"]]


class TestRegistration:
    async def test_places_left_and_full(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        soon = (datetime.now(UTC) + timedelta(days=10)).isoformat()
        past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        specs: dict[str, dict[str, Any]] = {
            "Complet": {"capacity": 10, "registered_count": 10, "registration_deadline": soon},
            "Ouvert": {"capacity": 10, "registered_count": 3, "accessibility": ["wheelchair", "hearing"]},
            "Clos": {"capacity": 20, "registration_deadline": past, "accessibility": ["visual"]},
            "Libre": {"price": "paid", "price_note": "15 €", "languages": ["fr", "br"]},
        }
        made = {}
        for title, fields in specs.items():
            response = await client.post("/api/v1/events", json=body(lab, title=title, city="Rennes", **fields))
            assert response.status_code == 201, response.text
            made[title] = response.json()
        assert (made["Complet"]["places_left"], made["Complet"]["is_full"]) == (0, True)
        assert (made["Ouvert"]["places_left"], made["Ouvert"]["is_full"]) == (7, False)
        assert (made["Clos"]["places_left"], made["Libre"]["places_left"], made["Libre"]["is_full"]) == (
            20,
            None,
            False,
        )
        assert (made["Libre"]["price"], made["Libre"]["price_note"], made["Libre"]["languages"]) == (
            "paid",
            "15 €",
            ["fr", "br"],
        )
        assert (made["Ouvert"]["languages"], made["Ouvert"]["price"]) == (["fr"], None)
        assert sorted(await titles(client, is_full="false")) == ["Clos", "Libre", "Ouvert"]
        assert await titles(client, is_full="true") == ["Complet"]
        assert await titles(client, accessibility="wheelchair") == ["Ouvert"]
        assert sorted(await titles(client, registration_open="true")) == ["Complet", "Libre", "Ouvert"]
        assert await titles(client, registration_open="false") == ["Clos"]
        more = await client.patch(f"/api/v1/events/{made['Complet']['id']}", json={"capacity": 12})
        assert (more.json()["places_left"], more.json()["is_full"]) == (2, False)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"registered_count": -1}, "registered_count"),
            ({"price": "cheap"}, "price"),
            ({"accessibility": ["stairs"]}, "accessibility"),
            ({"languages": ["fra"]}, "languages"),
            ({"languages": []}, "languages"),
            ({"places_left": 3}, "places_left"),
            ({"is_full": True}, "is_full"),
            ({"registration_deadline": "demain"}, "registration_deadline"),
        ],
    )
    async def test_bad_registration_is_refused(
        self, client: httpx2.AsyncClient, fields: dict[str, Any], field: str
    ) -> None:
        lab = await create_lab(client)
        assert_problem(await client.post("/api/v1/events", json=body(lab, city="Rennes", **fields)), 422, field)
        assert await total(client, "/api/v1/events") == 0


class TestImportExport:
    async def test_places_and_registration_load_back_unchanged(self, client: httpx2.AsyncClient) -> None:
        await placed_events(client)
        await create_event(
            client,
            external_id="hyb",
            attendance_mode="hybrid",
            city="Rennes",
            capacity=30,
            registered_count=4,
            registration_deadline="2021-03-01T18:00:00",
            price="paid",
            price_note="10 €",
            accessibility=["wheelchair"],
            languages=["fr", "en"],
        )
        listed = (await client.get("/api/v1/events", params={"limit": 100})).json()["items"]
        for n, item in enumerate(listed):
            if item["external_id"] is None:
                await client.patch(f"/api/v1/events/{item['id']}", json={"external_id": f"ev-{n}"})
        exported = await client.get("/api/v1/events", params={"output": "csv"})
        header = exported.text.splitlines()[0].split(",")
        for column in ("place_name", "address", "postal_code", "city", "commune_code", "latitude", "longitude"):
            assert column in header
        assert "place" not in header
        report = await loaded(client, "events", exported.content)
        assert (report["unchanged"], report["created"], report["updated"]) == (len(PLACES) + 1, 0, 0)
        jsonl = await client.get("/api/v1/events", params={"output": "jsonl"})
        response = await load(client, "events", jsonl.content, "application/x-ndjson")
        assert response.status_code == 200, response.text
        assert response.json()["unchanged"] == len(PLACES) + 1

    async def test_flat_columns_make_a_place(self, client: httpx2.AsyncClient) -> None:
        await create_lab(client, slug="lab-b", region_code="53")
        csv = (
            "external_id,title,theme,format,attendance_mode,audience,starts_at,ends_at,lab,place_name,address,"
            "postal_code,city,commune_code,latitude,longitude,capacity,registered_count\r\n"
            "p-1,Atelier,design,atelier,in-person,all,02/03/2021 10:00,02/03/2021 12:00,lab-b,Salle A,"
            '1 rue Haute,35000,Rennes,35238,"48,1147",-1.6794,12,12\r\n'
        )
        assert (await loaded(client, "events", csv))["created"] == 1
        event = (await client.get("/api/v1/events", params={"commune": "35238"})).json()["items"][0]
        assert event["place"] == {
            "name": "Salle A",
            "address": "1 rue Haute",
            "postal_code": "35000",
            "city": "Rennes",
            "commune_code": "35238",
            "latitude": 48.1147,
            "longitude": -1.6794,
        }
        assert (event["is_full"], event["places_left"]) == (True, 0)
        bad = csv.replace("p-1", "p-2").replace("35238", "20004")
        problem = assert_problem(await load(client, "events", bad), 422)
        assert problem["errors"][0]["column"] == "commune_code"
        assert await total(client, "/api/v1/events") == 1


async def test_a_list_item_reads_as_the_item(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client)
    fields = {"capacity": 5, "registered_count": 5, "registration_deadline": "2021-03-01T12:00:00+01:00"}
    created = await client.post("/api/v1/events", json=body(lab, place=place("Rennes"), **fields))
    listed = (await client.get("/api/v1/events")).json()["items"]
    assert listed == [created.json()]
    assert listed[0]["is_full"] is True
