"""The audit trail: every write appends who, what, when and the change, in the write's own transaction."""

from typing import Any

import httpx2
import pytest

from tests.conftest import KeyMaker
from tests.factories import create_lab, create_organization, create_partner, create_project
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio


@pytest.fixture
async def admin(make_key: KeyMaker) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_key('admin', name='auditor')}"}


async def trail(client: httpx2.AsyncClient, admin: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/audit", params=params, headers=admin)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestAuditTrail:
    async def test_create_update_delete_read_back(self, client: httpx2.AsyncClient, admin: dict[str, str]) -> None:
        lab = await create_lab(client, name="Lab'Occitanie", city="Toulouse", region_code="76")
        await client.patch(f"/api/v1/labs/{lab['id']}", json={"city": "Montpellier"})
        assert (await client.delete(f"/api/v1/labs/{lab['id']}")).status_code == 204

        entries = await trail(client, admin, entity_type="lab", entity_id=lab["id"])
        assert [e["action"] for e in entries] == ["create", "update", "delete"]
        prefix = client.headers["authorization"].removeprefix("Bearer ")[:11]
        assert {e["actor"] for e in entries} == {f"integrating app ({prefix})"}
        assert all(e["actor_key_id"] for e in entries)
        created, updated, deleted = entries
        assert created["changes"]["name"] == [None, "Lab'Occitanie"]
        assert created["data"]["city"] == "Toulouse"
        assert updated["changes"] == {"city": ["Toulouse", "Montpellier"]}
        assert updated["version"] == 2
        assert deleted["data"]["city"] == "Montpellier"
        assert deleted["data"]["name"] == "Lab'Occitanie"
        assert deleted["changes"]["city"] == ["Montpellier", None]
        assert created["at"] <= updated["at"] <= deleted["at"]

    async def test_the_request_id_is_kept(self, client: httpx2.AsyncClient, admin: dict[str, str]) -> None:
        response = await client.post(
            "/api/v1/labs", json={"name": "Lab", "region_code": "53"}, headers={"X-Request-ID": "import-2020-11-30"}
        )
        (entry,) = await trail(client, admin, entity_id=response.json()["id"])
        assert response.headers["x-request-id"] == "import-2020-11-30"
        assert entry["request_id"] == "import-2020-11-30"

    async def test_a_refused_write_leaves_no_entry(self, client: httpx2.AsyncClient, admin: dict[str, str]) -> None:
        organization = await create_organization(client)
        await create_lab(client, host_organization_id=organization["id"])
        before = await trail(client, admin)
        assert_problem(await client.delete(f"/api/v1/organizations/{organization['id']}"), 409)
        assert_problem(await client.post("/api/v1/labs", json={"name": "L", "region_code": "99"}), 422)
        assert await trail(client, admin) == before

    async def test_an_unchanged_write_leaves_no_entry(self, client: httpx2.AsyncClient, admin: dict[str, str]) -> None:
        lab = await create_lab(client, city="Rennes")
        await client.patch(f"/api/v1/labs/{lab['id']}", json={"city": "Rennes"})
        assert len(await trail(client, admin, entity_id=lab["id"])) == 1

    async def test_a_deleted_project_keeps_its_partners_in_the_trail(
        self, client: httpx2.AsyncClient, admin: dict[str, str]
    ) -> None:
        project = await create_project(client)
        partner = await create_partner(client, project["id"], role="pilot")
        assert (await client.delete(f"/api/v1/projects/{project['id']}")).status_code == 204
        entries = await trail(client, admin, entity_type="project_partner", entity_id=partner["id"])
        assert [e["action"] for e in entries] == ["create", "delete"]
        assert entries[-1]["data"]["role"] == "pilot"

    async def test_key_management_is_audited_without_secrets(
        self, anonymous: httpx2.AsyncClient, admin: dict[str, str]
    ) -> None:
        created = (
            await anonymous.post("/api/v1/api-keys", json={"name": "n", "scopes": ["admin"]}, headers=admin)
        ).json()
        await anonymous.delete(f"/api/v1/api-keys/{created['id']}", headers=admin)
        entries = await trail(anonymous, admin, entity_type="api_key", entity_id=created["id"])
        assert [e["action"] for e in entries] == ["create", "update"]
        assert entries[1]["changes"].keys() == {"revoked_at"}
        assert created["key"] not in str(entries)
        assert "key_hash" not in entries[0]["data"]


class TestAuditFilters:
    async def test_filters_and_pages(self, client: httpx2.AsyncClient, admin: dict[str, str]) -> None:
        labs = [await create_lab(client) for _ in range(5)]
        await create_organization(client)
        walked: list[dict[str, Any]] = []
        params: dict[str, Any] = {"entity_type": "lab", "limit": 2}
        while True:
            page = (await client.get("/api/v1/audit", params=params, headers=admin)).json()
            walked.extend(page["items"])
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert [e["entity_id"] for e in walked] == [lab["id"] for lab in labs]
        newest = await trail(client, admin, sort="-id", limit=1)
        assert newest[0]["entity_type"] == "organization"
        assert await trail(client, admin, actor="someone else") == []
        assert len(await trail(client, admin, action="create", entity_type="lab")) == 5

    async def test_since(self, client: httpx2.AsyncClient, admin: dict[str, str]) -> None:
        first = await create_lab(client)
        second = await create_lab(client)
        entries = await trail(client, admin, since=second["created_at"])
        assert first["id"] not in {e["entity_id"] for e in entries}
        assert second["id"] in {e["entity_id"] for e in entries}

    async def test_reading_needs_admin(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/audit"), 403)

    @pytest.mark.parametrize(
        "params", [{"limit": 0}, {"sort": "at"}, {"entity_id": "x"}, {"cursor": "forged"}, {"colour": "blue"}]
    )
    async def test_bad_parameters(
        self, client: httpx2.AsyncClient, admin: dict[str, str], params: dict[str, Any]
    ) -> None:
        response = await client.get("/api/v1/audit", params=params, headers=admin)
        assert_problem(response, 400 if "cursor" in params else 422)
