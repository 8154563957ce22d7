"""API keys: their lifecycle through the API and the CLI, and each way a request is refused."""

from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from app.core.config import Settings
from app.models import ApiKey
from app.models.base import utcnow
from tests.conftest import KeyMaker
from tests.factories import create_lab
from tests.helpers import assert_problem, bearer, invoke, total

pytestmark = pytest.mark.anyio

LAB = {"name": "Lab test", "region_code": "53"}


class TestKeyManagementApi:
    async def test_lifecycle(self, anonymous: httpx2.AsyncClient, make_key: KeyMaker) -> None:
        admin = bearer(await make_key("admin", "read", "write", name="ops"))
        earlier = [k["name"] for k in (await anonymous.get("/api/v1/api-keys", headers=admin)).json()]
        response = await anonymous.post(
            "/api/v1/api-keys", json={"name": "Tableau de bord Bretagne", "scopes": ["write", "read"]}, headers=admin
        )
        assert response.status_code == 201, response.text
        created = response.json()
        key = created["key"]
        assert key.startswith("lr_")
        assert len(key) == 46
        assert created["prefix"] == key[:11]
        assert created["scopes"] == ["read", "write"]
        assert response.headers["location"].endswith(f"/api/v1/api-keys/{created['id']}")

        listed = (await anonymous.get("/api/v1/api-keys", headers=admin)).json()
        assert "ops" in earlier
        assert sorted(k["name"] for k in listed) == sorted([*earlier, "Tableau de bord Bretagne"])
        assert all("key" not in k and "key_hash" not in k for k in listed)
        assert key not in str(listed)

        assert (await anonymous.post("/api/v1/labs", json=LAB, headers=bearer(key))).status_code == 201
        used = (await anonymous.get(f"/api/v1/api-keys/{created['prefix']}", headers=admin)).json()
        assert used["last_used_at"] is not None

        assert (await anonymous.delete(f"/api/v1/api-keys/{created['id']}", headers=admin)).status_code == 204
        assert_problem(await anonymous.post("/api/v1/labs", json=LAB, headers=bearer(key)), 401)
        revoked = assert_problem(await anonymous.get(f"/api/v1/api-keys/{created['id']}", headers=admin), 410)
        assert revoked["revoked_at"] is not None
        assert revoked["prefix"] == created["prefix"]

    async def test_only_the_hash_is_stored(self, app: FastAPI, make_key: KeyMaker) -> None:
        key = await make_key("read")
        async with app.state.sessionmaker() as session:
            row = (await session.execute(select(ApiKey).where(col(ApiKey.prefix) == key[:11]))).scalar_one()
        assert row.key_hash != key
        assert key not in row.key_hash
        assert len(row.key_hash) == 64

    @pytest.mark.parametrize(
        "body",
        [
            {"name": "", "scopes": ["read"]},
            {"name": "x", "scopes": []},
            {"name": "x", "scopes": ["superuser"]},
            {"name": "x", "scopes": ["read"], "expires_at": "2030-01-01T00:00:00"},
            {"name": "x", "scopes": ["read"], "key": "lr_chosen"},
        ],
    )
    async def test_bad_creation_is_refused(
        self, anonymous: httpx2.AsyncClient, make_key: KeyMaker, body: dict[str, object]
    ) -> None:
        admin = bearer(await make_key("admin"))
        before = [k["id"] for k in (await anonymous.get("/api/v1/api-keys", headers=admin)).json()]
        assert_problem(await anonymous.post("/api/v1/api-keys", json=body, headers=admin), 422)
        assert [k["id"] for k in (await anonymous.get("/api/v1/api-keys", headers=admin)).json()] == before

    async def test_key_management_needs_admin_also_to_read(
        self, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        assert_problem(await anonymous.get("/api/v1/api-keys"), 401)
        assert_problem(await anonymous.get("/api/v1/api-keys", headers=bearer(await make_key("read", "write"))), 403)

    async def test_unknown_key_is_404(self, anonymous: httpx2.AsyncClient, make_key: KeyMaker) -> None:
        admin = bearer(await make_key("admin"))
        assert_problem(await anonymous.delete("/api/v1/api-keys/lr_nothere", headers=admin), 404)


class TestRefusals:
    async def test_missing_key_on_a_write_is_401_with_a_challenge(self, anonymous: httpx2.AsyncClient) -> None:
        response = await anonymous.post("/api/v1/labs", json=LAB)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == 'Bearer realm="lab-registry"'

    @pytest.mark.parametrize(
        "header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-key", "Bearer lr_short", "Bearer lr_" + "!" * 43]
    )
    async def test_malformed_credentials_are_401(self, anonymous: httpx2.AsyncClient, header: str) -> None:
        response = await anonymous.post("/api/v1/labs", json=LAB, headers={"Authorization": header})
        body = assert_problem(response, 401)
        assert "error=" in response.headers["www-authenticate"]
        token = header.partition(" ")[2]
        assert not token or token not in body["detail"]

    async def test_unknown_expired_and_revoked_keys_are_401(
        self, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        expired = await make_key("write", expires_at=utcnow() - timedelta(minutes=1))
        revoked = await make_key("write", name="to revoke")
        await anonymous.delete(f"/api/v1/api-keys/{revoked[:11]}", headers=bearer(await make_key("admin")))
        for key in ("lr_" + "x" * 43, expired, revoked):
            response = await anonymous.post("/api/v1/labs", json=LAB, headers=bearer(key))
            body = assert_problem(response, 401)
            assert 'error="invalid_token"' in response.headers["www-authenticate"]
            assert key not in response.text
            assert key not in body["detail"]
        assert await total(anonymous, "/api/v1/labs") == 0

    async def test_a_key_not_yet_expired_works(self, anonymous: httpx2.AsyncClient, make_key: KeyMaker) -> None:
        key = await make_key("write", expires_at=utcnow() + timedelta(hours=1))
        assert (await anonymous.post("/api/v1/labs", json=LAB, headers=bearer(key))).status_code == 201

    async def test_read_only_key_on_a_write_is_403(self, anonymous: httpx2.AsyncClient, make_key: KeyMaker) -> None:
        response = await anonymous.post("/api/v1/labs", json=LAB, headers=bearer(await make_key("read")))
        assert_problem(response, 403)
        assert 'error="insufficient_scope", scope="write"' in response.headers["www-authenticate"]
        assert await total(anonymous, "/api/v1/labs") == 0

    async def test_a_bad_key_is_refused_even_on_a_public_read(self, anonymous: httpx2.AsyncClient) -> None:
        assert_problem(await anonymous.get("/api/v1/labs", headers=bearer("lr_" + "y" * 43)), 401)

    async def test_the_actor_of_a_write_is_the_key_by_name_and_prefix(self, client: httpx2.AsyncClient) -> None:
        project = (
            await client.post("/api/v1/projects", json={"title": "P", "kind": "project", "theme_code": "design"})
        ).json()
        history = (await client.get(f"/api/v1/projects/{project['id']}/history")).json()
        key = client.headers["authorization"].removeprefix("Bearer ")
        assert history[0]["actor"] == f"integrating app ({key[:11]})"


class TestPublicReadsSetting:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, public_reads=False)

    async def test_reads_need_a_key_when_public_reads_are_off(
        self, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        assert_problem(await anonymous.get("/api/v1/labs"), 401)
        assert_problem(await anonymous.get("/api/v1/regions"), 401)
        response = await anonymous.get("/api/v1/labs", headers=bearer(await make_key("read")))
        assert response.status_code == 200
        assert (await anonymous.get("/api/v1/labs", headers=bearer(await make_key("write")))).status_code == 200

    async def test_the_docs_stay_public(self, anonymous: httpx2.AsyncClient) -> None:
        assert (await anonymous.get("/docs")).status_code == 200
        assert (await anonymous.get("/openapi.json")).status_code == 200


class TestPublicReadsDefault:
    async def test_reads_need_no_key(self, anonymous: httpx2.AsyncClient, client: httpx2.AsyncClient) -> None:
        await create_lab(client)
        response = await anonymous.get("/api/v1/labs")
        assert response.status_code == 200
        assert len(response.json()["items"]) == 1


@pytest.mark.usefixtures("cli_database")
class TestKeyManagementCli:
    async def test_create_list_revoke(self, anonymous: httpx2.AsyncClient) -> None:
        created = await invoke("create-api-key", "--name", "import nocturne", "--scopes", "write,admin")
        assert created.exit_code == 0, created.output
        key = created.output.strip().splitlines()[-1]
        assert key.startswith("lr_")
        assert len(key) == 46
        assert (await anonymous.post("/api/v1/labs", json=LAB, headers=bearer(key))).status_code == 201

        listed = await invoke("list-api-keys")
        assert listed.exit_code == 0
        assert "import nocturne" in listed.output
        assert key[:11] in listed.output
        assert key not in listed.output

        revoked = await invoke("revoke-api-key", key[:11])
        assert revoked.exit_code == 0, revoked.output
        assert_problem(await anonymous.post("/api/v1/labs", json=LAB, headers=bearer(key)), 401)

    async def test_expiry_date(self, app: FastAPI, anonymous: httpx2.AsyncClient) -> None:
        created = await invoke("create-api-key", "--name", "soon", "--scopes", "write", "--expires", "2099-01-01")
        assert created.exit_code == 0, created.output
        key = created.output.strip().splitlines()[-1]
        async with app.state.sessionmaker() as session:
            row = (await session.execute(select(ApiKey).where(col(ApiKey.name) == "soon"))).scalar_one()
        assert row.expires_at == datetime(2099, 1, 1, tzinfo=UTC)
        assert (await anonymous.post("/api/v1/labs", json=LAB, headers=bearer(key))).status_code == 201

    @pytest.mark.parametrize(
        "arguments",
        [
            ["--name", "x", "--scopes", "root"],
            ["--name", "x", "--scopes", ","],
            ["--name", "x", "--expires", "demain"],
            ["--name", "x", "--expires", "2030-01-01T10:00"],
            ["--scopes", "read"],
        ],
    )
    async def test_usage_errors_exit_2(self, arguments: list[str]) -> None:
        assert (await invoke("create-api-key", *arguments)).exit_code == 2

    async def test_revoking_an_unknown_key_exits_1(self, app: FastAPI) -> None:
        assert (await invoke("revoke-api-key", "lr_unknown")).exit_code == 1
