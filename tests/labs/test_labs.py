"""Labs through HTTP: create, read by id and slug, list, patch, replace, delete, and every refused input."""

from typing import Any

import httpx2
import pytest

from tests.factories import create_lab
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio


async def count_labs(client: httpx2.AsyncClient) -> int:
    return await total(client, "/api/v1/labs")


class TestCreateLab:
    async def test_created_with_location_and_derived_slug(self, client: httpx2.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/labs",
            json={"name": "Lab'Bretagne – Rennes", "region_code": "53", "latitude": 48.117, "longitude": -1.677},
        )
        assert response.status_code == 201, response.text
        lab = response.json()
        assert lab["slug"] == "lab-bretagne-rennes"
        assert lab["name"] == "Lab'Bretagne – Rennes"
        assert lab["version"] == 1
        assert response.headers["location"].endswith(f"/api/v1/labs/{lab['id']}")

    async def test_same_name_gets_a_free_slug(self, client: httpx2.AsyncClient) -> None:
        first = await create_lab(client, name="Lab Occitanie")
        second = await create_lab(client, name="Lab Occitanie")
        assert (first["slug"], second["slug"]) == ("lab-occitanie", "lab-occitanie-2")

    async def test_taken_slug_is_a_conflict(self, client: httpx2.AsyncClient) -> None:
        await create_lab(client, slug="bretagne")
        response = await client.post("/api/v1/labs", json={"name": "Autre", "region_code": "53", "slug": "bretagne"})
        assert "slug" in assert_problem(response, 409)["detail"]
        assert await count_labs(client) == 1

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("latitude", 91),
            ("longitude", -181),
            ("region_code", "99"),
            ("status", "open"),
            ("contact_email", "not-an-email"),
            ("website", "ftp://lab.fr"),
            ("slug", "Pas Un Slug"),
            ("slug", "123e4567-e89b-12d3-a456-426614174000"),
            ("name", ""),
            ("host_organization_id", "123e4567-e89b-12d3-a456-426614174000"),
            ("colour", "blue"),
        ],
    )
    async def test_bad_field_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, field: str, value: Any
    ) -> None:
        body = {"name": "Lab", "region_code": "53", "latitude": 48.1, "longitude": -1.6, field: value}
        assert_problem(await client.post("/api/v1/labs", json=body), 422, field)
        assert await count_labs(client) == 0

    async def test_latitude_without_longitude_is_refused(self, client: httpx2.AsyncClient) -> None:
        body = assert_problem(
            await client.post("/api/v1/labs", json={"name": "L", "region_code": "53", "latitude": 1}), 422
        )
        assert "longitude" in body["detail"]


class TestReadLab:
    async def test_by_id_and_by_slug(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, name="Lab Hauts-de-France", region_code="32")
        by_id = await client.get(f"/api/v1/labs/{lab['id']}")
        by_slug = await client.get("/api/v1/labs/lab-hauts-de-france")
        assert by_id.status_code == by_slug.status_code == 200
        assert by_id.json() == by_slug.json() == lab

    async def test_unknown_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/labs/nowhere"), 404)


class TestUpdateLab:
    async def test_patch_changes_only_given_fields_and_bumps_version(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, city="Rennes", description="Un lab")
        response = await client.patch(f"/api/v1/labs/{lab['slug']}", json={"city": "Brest", "description": None})
        assert response.status_code == 200, response.text
        patched = response.json()
        assert (patched["city"], patched["description"], patched["name"]) == ("Brest", None, lab["name"])
        assert patched["version"] == 2
        assert patched["updated_at"] > lab["updated_at"]

    async def test_patch_null_on_required_field_is_refused(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        assert_problem(await client.patch(f"/api/v1/labs/{lab['id']}", json={"name": None}), 422, "name")
        assert (await client.get(f"/api/v1/labs/{lab['id']}")).json() == lab

    async def test_patch_breaking_a_cross_field_rule_is_refused(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, latitude=48.1, longitude=-1.6)
        assert_problem(await client.patch(f"/api/v1/labs/{lab['id']}", json={"longitude": None}), 422)

    async def test_put_replaces_and_clears_omitted_fields(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, city="Rennes")
        response = await client.put(f"/api/v1/labs/{lab['id']}", json={"name": "Nouveau nom", "region_code": "76"})
        assert response.status_code == 200, response.text
        replaced = response.json()
        assert (replaced["name"], replaced["region_code"], replaced["city"]) == ("Nouveau nom", "76", None)
        assert replaced["slug"] == lab["slug"]

    async def test_identical_write_keeps_the_version(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        response = await client.patch(f"/api/v1/labs/{lab['id']}", json={"city": lab["city"]})
        assert response.json()["version"] == 1


class TestDeleteLab:
    async def test_deleted_then_404(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        assert (await client.delete(f"/api/v1/labs/{lab['slug']}")).status_code == 204
        assert_problem(await client.get(f"/api/v1/labs/{lab['id']}"), 404)
