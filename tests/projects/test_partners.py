"""Project partners through HTTP: organizations in roles, one role per organization, scoped to their project."""

from typing import Any

import httpx2
import pytest

from tests.factories import create_organization, create_partner, create_project
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

UNKNOWN_ID = "123e4567-e89b-12d3-a456-426614174000"


def partners_url(project: dict[str, Any]) -> str:
    return f"/api/v1/projects/{project['id']}/partners"


class TestCreatePartner:
    async def test_created_with_location(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        organization = await create_organization(client)
        response = await client.post(
            partners_url(project), json={"organization_id": organization["id"], "role": "funder", "external_id": "X1"}
        )
        assert response.status_code == 201, response.text
        partner = response.json()
        assert (partner["project_id"], partner["organization_id"]) == (project["id"], organization["id"])
        assert (partner["role"], partner["external_id"], partner["version"]) == ("funder", "X1", 1)
        assert response.headers["location"].endswith(f"{partners_url(project)}/{partner['id']}")

    async def test_by_project_slug(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        organization = await create_organization(client)
        response = await client.post(
            f"/api/v1/projects/{project['slug']}/partners",
            json={"organization_id": organization["id"], "role": "pilot"},
        )
        assert response.status_code == 201, response.text

    async def test_same_role_twice_is_a_conflict(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        partner = await create_partner(client, project["id"], role="pilot")
        response = await client.post(
            partners_url(project), json={"organization_id": partner["organization_id"], "role": "pilot"}
        )
        assert "pilot" in assert_problem(response, 409)["detail"]
        assert await total(client, partners_url(project)) == 1

    async def test_other_role_or_other_project_is_fine(self, client: httpx2.AsyncClient) -> None:
        project, other = await create_project(client), await create_project(client)
        partner = await create_partner(client, project["id"], role="pilot")
        await create_partner(client, project["id"], organization_id=partner["organization_id"], role="funder")
        await create_partner(client, other["id"], organization_id=partner["organization_id"], role="pilot")
        assert await total(client, partners_url(project)) == 2

    @pytest.mark.parametrize(
        ("field", "value"),
        [("organization_id", UNKNOWN_ID), ("organization_id", "pas-un-id"), ("role", "sponsor"), ("colour", "x")],
    )
    async def test_bad_field_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, field: str, value: Any
    ) -> None:
        project = await create_project(client)
        organization = await create_organization(client)
        body = {"organization_id": organization["id"], "role": "partner", field: value}
        assert_problem(await client.post(partners_url(project), json=body), 422, field)
        assert await total(client, partners_url(project)) == 0

    async def test_unknown_project_is_404(self, client: httpx2.AsyncClient) -> None:
        organization = await create_organization(client)
        response = await client.post(
            "/api/v1/projects/nulle-part/partners", json={"organization_id": organization["id"], "role": "partner"}
        )
        assert_problem(response, 404)


@pytest.mark.lists
class TestListPartners:
    async def test_only_this_projects_partners_filtered(self, client: httpx2.AsyncClient) -> None:
        project, other = await create_project(client), await create_project(client)
        region = await create_organization(client, name="Conseil régional d'Occitanie")
        funder = await create_partner(client, project["id"], organization_id=region["id"], role="funder")
        pilot = await create_partner(client, project["id"], role="pilot")
        await create_partner(client, other["id"])

        async def ids(**params: Any) -> list[str]:
            response = await client.get(partners_url(project), params=params)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["items"]]

        assert await ids() == [funder["id"], pilot["id"]]
        assert await ids(role="pilot") == [pilot["id"]]
        assert await ids(organization=region["slug"]) == [funder["id"]]
        assert await ids(q="regional occitanie") == [funder["id"]]
        assert await ids(sort="-created_at") == [pilot["id"], funder["id"]]

    async def test_pages(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        created = [(await create_partner(client, project["id"]))["id"] for _ in range(3)]
        first = (await client.get(partners_url(project), params={"limit": 2})).json()
        second = (await client.get(partners_url(project), params={"limit": 2, "cursor": first["next_cursor"]})).json()
        assert [item["id"] for item in first["items"] + second["items"]] == created
        assert second["next_cursor"] is None


class TestPartnerItem:
    async def test_read_patch_put_delete(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        partner = await create_partner(client, project["id"], role="partner")
        url = f"{partners_url(project)}/{partner['id']}"
        assert (await client.get(url)).json() == partner

        patched = (await client.patch(url, json={"role": "beneficiary"})).json()
        assert (patched["role"], patched["version"]) == ("beneficiary", 2)

        response = await client.put(url, json={"role": "funder", "external_id": "P-9"})
        assert response.status_code == 200, response.text
        assert (response.json()["role"], response.json()["external_id"]) == ("funder", "P-9")

        assert (await client.delete(url)).status_code == 204
        assert_problem(await client.get(url), 404)
        assert await total(client, partners_url(project)) == 0

    async def test_changing_into_a_held_role_is_a_conflict(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        pilot = await create_partner(client, project["id"], role="pilot")
        funder = await create_partner(client, project["id"], organization_id=pilot["organization_id"], role="funder")
        url = f"{partners_url(project)}/{funder['id']}"
        assert_problem(await client.patch(url, json={"role": "pilot"}), 409)
        assert (await client.get(url)).json() == funder

    @pytest.mark.parametrize(
        ("field", "value"), [("role", "sponsor"), ("role", None), ("organization_id", UNKNOWN_ID), ("colour", "x")]
    )
    async def test_bad_patch_is_refused(self, client: httpx2.AsyncClient, field: str, value: Any) -> None:
        project = await create_project(client)
        partner = await create_partner(client, project["id"])
        url = f"{partners_url(project)}/{partner['id']}"
        assert_problem(await client.patch(url, json={field: value}), 422, field)
        assert (await client.get(url)).json() == partner

    async def test_partner_of_another_project_is_404(self, client: httpx2.AsyncClient) -> None:
        project, other = await create_project(client), await create_project(client)
        partner = await create_partner(client, other["id"])
        url = f"{partners_url(project)}/{partner['id']}"
        assert_problem(await client.get(url), 404)
        assert_problem(await client.patch(url, json={"role": "pilot"}), 404)
        assert_problem(await client.delete(url), 404)
        assert (await client.get(f"{partners_url(other)}/{partner['id']}")).json() == partner

    async def test_unknown_partner_is_404(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        assert_problem(await client.get(f"{partners_url(project)}/{UNKNOWN_ID}"), 404)
        assert_problem(await client.get(f"{partners_url(project)}/pas-un-id"), 404)
