"""ETag on every item, If-None-Match → 304, If-Match → 412 with nothing written: no lost update."""

import httpx2
import pytest

from tests.factories import create_allocation, create_disbursement, create_lab, create_partner, create_project
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio


class TestETag:
    async def test_every_item_carries_its_version(self, client: httpx2.AsyncClient) -> None:
        allocation = await create_allocation(client)
        disbursement = await create_disbursement(client, allocation["id"])
        project = await create_project(client)
        partner = await create_partner(client, project["id"])
        paths = [
            f"/api/v1/allocations/{allocation['id']}",
            f"/api/v1/allocations/{allocation['id']}/disbursements/{disbursement['id']}",
            f"/api/v1/projects/{project['slug']}",
            f"/api/v1/projects/{project['id']}/partners/{partner['id']}",
            f"/api/v1/funding-streams/{allocation['stream_id']}",
            f"/api/v1/labs/{allocation['lab_id']}",
        ]
        for path in paths:
            response = await client.get(path)
            assert response.headers["etag"] == f'"{response.json()["version"]}"', path

    async def test_lists_carry_none(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        assert "etag" not in (await client.get("/api/v1/labs")).headers
        assert "etag" not in (await client.get(f"/api/v1/labs/{lab['id']}/projects")).headers

    async def test_a_write_answers_with_the_new_etag(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        response = await client.patch(f"/api/v1/labs/{lab['id']}", json={"city": "Brest"})
        assert response.headers["etag"] == '"2"'


class TestIfNoneMatch:
    async def test_current_etag_is_304_without_body(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        response = await client.get(f"/api/v1/labs/{lab['id']}", headers={"If-None-Match": '"1"'})
        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["etag"] == '"1"'

    async def test_stale_etag_is_200(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        await client.patch(f"/api/v1/labs/{lab['id']}", json={"city": "Brest"})
        response = await client.get(f"/api/v1/labs/{lab['id']}", headers={"If-None-Match": '"1", W/"0"'})
        assert response.status_code == 200
        assert response.json()["city"] == "Brest"


class TestIfMatch:
    async def test_matching_version_writes(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        response = await client.patch(f"/api/v1/labs/{lab['id']}", json={"city": "Brest"}, headers={"If-Match": '"1"'})
        assert response.status_code == 200
        assert response.json()["version"] == 2

    @pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
    async def test_stale_version_is_412_and_writes_nothing(self, client: httpx2.AsyncClient, method: str) -> None:
        lab = await create_lab(client, city="Rennes")
        await client.patch(f"/api/v1/labs/{lab['id']}", json={"city": "Brest"})
        body = None if method == "DELETE" else {"name": "Écrasé", "region_code": "53", "city": "Vannes"}
        response = await client.request(method, f"/api/v1/labs/{lab['id']}", json=body, headers={"If-Match": '"1"'})
        problem = assert_problem(response, 412)
        assert "version 2" in problem["detail"]
        assert response.headers["etag"] == '"2"'
        current = (await client.get(f"/api/v1/labs/{lab['id']}")).json()
        assert (current["city"], current["version"]) == ("Brest", 2)

    async def test_star_matches_any_version(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        response = await client.delete(f"/api/v1/labs/{lab['id']}", headers={"If-Match": "*"})
        assert response.status_code == 204

    async def test_a_missing_item_is_404_not_412(self, client: httpx2.AsyncClient) -> None:
        response = await client.patch("/api/v1/labs/nowhere", json={"city": "X"}, headers={"If-Match": '"1"'})
        assert_problem(response, 404)
