"""Labs as an RFC 7946 FeatureCollection: [lon, lat], properties, unlocated labs, filters."""

import httpx2
import pytest

from tests.factories import create_lab

pytestmark = pytest.mark.anyio


class TestGeoJson:
    async def test_a_feature_collection_in_lon_lat_order(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, name="Lab'Bretagne", latitude=48.117, longitude=-1.678)
        response = await client.get("/api/v1/labs.geojson")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/geo+json"
        body = response.json()
        assert body["type"] == "FeatureCollection"
        [feature] = body["features"]
        assert feature["type"] == "Feature"
        assert feature["id"] == lab["id"]
        assert feature["geometry"] == {"type": "Point", "coordinates": [-1.678, 48.117]}

    async def test_properties_carry_the_lab_fields(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="76", latitude=43.6, longitude=1.44)
        [feature] = (await client.get("/api/v1/labs.geojson")).json()["features"]
        assert feature["properties"] == lab

    async def test_a_lab_without_coordinates_has_a_null_geometry(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        [feature] = (await client.get("/api/v1/labs.geojson")).json()["features"]
        assert feature["geometry"] is None
        assert feature["properties"]["id"] == lab["id"]

    async def test_lab_list_filters_apply(self, client: httpx2.AsyncClient) -> None:
        kept = await create_lab(client, region_code="53", latitude=48.1, longitude=-1.6)
        await create_lab(client, region_code="76", latitude=43.6, longitude=1.44)
        features = (await client.get("/api/v1/labs.geojson", params={"region": "53"})).json()["features"]
        assert [f["id"] for f in features] == [kept["id"]]

    async def test_no_lab_is_an_empty_collection(self, client: httpx2.AsyncClient) -> None:
        assert (await client.get("/api/v1/labs.geojson")).json() == {"type": "FeatureCollection", "features": []}
