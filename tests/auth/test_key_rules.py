"""The rules of key creation an attacker would probe: no escalation (scopes and expiry within the creating
key's), no key born expired, names that cannot pass for another key or for the service, and full keys in paths
never echoed (answers, access log) but accepted to revoke."""

import logging
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import col

from app.models import ApiKey
from app.models.base import utcnow
from tests.conftest import KeyMaker
from tests.helpers import assert_problem, bearer, invoke

pytestmark = pytest.mark.anyio

KEYS = "/api/v1/api-keys"


async def key_count(app: FastAPI) -> int:
    """Every stored key: compared before and after, as the keys `make_key` issued earlier are stored too."""
    async with app.state.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(ApiKey))).scalar_one())


def iso(days: float) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


class TestNoEscalation:
    async def test_an_admin_key_that_expires_cannot_create_a_stronger_key_without_expiry(
        self, app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        admin = bearer(await make_key("admin", expires_at=utcnow() + timedelta(days=300)))
        before = await key_count(app)
        response = await anonymous.post(KEYS, json={"name": "app", "scopes": ["admin", "write"]}, headers=admin)
        detail = assert_problem(response, 403)["detail"]
        assert "lacks the scope write" in detail
        assert "must expire by then" in detail
        assert await key_count(app) == before

    @pytest.mark.parametrize(
        "body",
        [
            {"scopes": ["admin", "read"], "expires_at": iso(10)},
            {"scopes": ["admin"]},
            {"scopes": ["admin"], "expires_at": iso(31)},
        ],
        ids=["a scope it lacks", "no expiry", "a later expiry"],
    )
    async def test_anything_beyond_its_own_rights_is_403_and_nothing_written(
        self, app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker, body: dict[str, Any]
    ) -> None:
        admin = bearer(await make_key("admin", expires_at=utcnow() + timedelta(days=30)))
        before = await key_count(app)
        assert_problem(await anonymous.post(KEYS, json={"name": "app", **body}, headers=admin), 403)
        assert await key_count(app) == before

    async def test_within_its_rights_it_may(
        self, app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        admin = bearer(await make_key("admin", "read", expires_at=utcnow() + timedelta(days=30)))
        unbounded = bearer(await make_key("admin", "read", "write"))
        before = await key_count(app)
        response = await anonymous.post(
            KEYS, json={"name": "app", "scopes": ["read"], "expires_at": iso(29)}, headers=admin
        )
        assert response.status_code == 201, response.text
        same = await anonymous.post(
            KEYS, json={"name": "peer", "scopes": ["admin", "read", "write"]}, headers=unbounded
        )
        assert same.status_code == 201, same.text
        assert same.json()["expires_at"] is None
        assert await key_count(app) == before + 2

    @pytest.mark.usefixtures("cli_database")
    async def test_the_cli_is_the_root_of_trust(self, app: FastAPI) -> None:
        created = await invoke("create-api-key", "--name", "root", "--scopes", "read,write,admin")
        assert created.exit_code == 0, created.output
        async with app.state.sessionmaker() as session:
            row = (await session.execute(select(ApiKey).where(col(ApiKey.name) == "root"))).scalar_one()
        assert (row.scopes, row.expires_at) == (["admin", "read", "write"], None)


class TestNoKeyBornExpired:
    @pytest.mark.parametrize("expires_at", ["2020-01-01T00:00:00Z", "past"])
    async def test_an_expiry_in_the_past_is_422(
        self, app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker, expires_at: str
    ) -> None:
        admin = bearer(await make_key("admin", "read"))
        before = await key_count(app)
        moment = iso(-1 / 86400) if expires_at == "past" else expires_at
        response = await anonymous.post(
            KEYS, json={"name": "app", "scopes": ["read"], "expires_at": moment}, headers=admin
        )
        assert "in the future" in assert_problem(response, 422, "expires_at")["detail"]
        assert await key_count(app) == before

    @pytest.mark.usefixtures("cli_database")
    async def test_nor_from_the_cli(self, app: FastAPI) -> None:
        before = await key_count(app)
        created = await invoke("create-api-key", "--name", "old", "--expires", "2020-01-01")
        assert created.exit_code == 2
        assert "in the future" in created.output
        assert await key_count(app) == before


class TestNames:
    @pytest.mark.parametrize(
        "name",
        [
            *("cli", "CLI", " system ", "seed", "seed-demo", "anonymous"),
            *("tab\there", "line\nbreak", "zero\u200bwidth", "   "),
            *("lr_ab12cd34", "Lab app (LR_ab12cd34)"),
        ],
    )
    async def test_reserved_or_deceptive_names_are_422(
        self, app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker, name: str
    ) -> None:
        admin = bearer(await make_key("admin", "read"))
        before = await key_count(app)
        response = await anonymous.post(KEYS, json={"name": name, "scopes": ["read"]}, headers=admin)
        assert_problem(response, 422, "name")
        assert await key_count(app) == before

    @pytest.mark.usefixtures("cli_database")
    @pytest.mark.parametrize("name", ["cli", "System", "lr_x"])
    async def test_and_from_the_cli(self, app: FastAPI, name: str) -> None:
        before = await key_count(app)
        assert (await invoke("create-api-key", "--name", name)).exit_code == 2
        assert await key_count(app) == before

    async def test_a_live_key_name_is_taken(
        self, app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        admin = bearer(await make_key("admin", "read", "write", name="ops"))
        before = await key_count(app)
        first = await anonymous.post(KEYS, json={"name": "Lab Bretagne app", "scopes": ["read"]}, headers=admin)
        assert first.status_code == 201, first.text
        for name in ("Lab Bretagne app", "lab bretagne APP", "  Lab Bretagne app ", "OPS"):
            response = await anonymous.post(KEYS, json={"name": name, "scopes": ["read"]}, headers=admin)
            assert "already named" in assert_problem(response, 409)["detail"]
        assert await key_count(app) == before + 1

    @pytest.mark.usefixtures("cli_database")
    async def test_also_from_the_cli(self, app: FastAPI, make_key: KeyMaker) -> None:
        await make_key("read", name="nightly import")
        before = await key_count(app)
        created = await invoke("create-api-key", "--name", "Nightly Import")
        assert created.exit_code == 1
        assert "already named" in created.output
        assert await key_count(app) == before

    async def test_a_revoked_or_expired_keys_name_is_free_again(
        self, app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        admin = bearer(await make_key("admin", "read"))
        revoked = await make_key("read", name="revoked app")
        assert (await anonymous.delete(f"{KEYS}/{revoked[:11]}", headers=admin)).status_code == 204
        await make_key("read", name="expired app", expires_at=utcnow() - timedelta(seconds=1))
        before = await key_count(app)
        for name in ("revoked app", "expired app"):
            response = await anonymous.post(KEYS, json={"name": name, "scopes": ["read"]}, headers=admin)
            assert response.status_code == 201, response.text
        assert await key_count(app) == before + 2


class TestAttribution:
    async def test_history_and_audit_name_the_key_by_name_and_prefix(
        self, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        key = await make_key("read", "write", name="Lab Occitanie app")
        admin = bearer(await make_key("admin"))
        body = {"title": "Accueil", "kind": "project", "theme_code": "design"}
        project = (await anonymous.post("/api/v1/projects", json=body, headers=bearer(key))).json()
        imported = await anonymous.post(
            "/api/v1/imports/organizations",
            content=b"name,kind\nVille de Brest,collectivite\n",
            headers={**bearer(key), "Content-Type": "text/csv"},
        )
        assert imported.status_code == 200, imported.text
        expected = f"Lab Occitanie app ({key[:11]})"
        history = (await anonymous.get(f"/api/v1/projects/{project['id']}/history", headers=bearer(key))).json()
        assert [entry["actor"] for entry in history] == [expected]
        trail = (await anonymous.get("/api/v1/audit", params={"limit": 500}, headers=admin)).json()["items"]
        assert {(entry["entity_type"], entry["actor"]) for entry in trail if entry["entity_type"] != "api_key"} == {
            ("project", expected),
            ("organization", expected),
        }

    async def test_a_long_name_keeps_its_prefix_within_the_column(
        self, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        key = await make_key("read", "write", name="x" * 200)
        admin = bearer(await make_key("admin"))
        assert (
            await anonymous.post("/api/v1/labs", json={"name": "Lab", "region_code": "53"}, headers=bearer(key))
        ).status_code == 201
        params = {"entity_type": "lab"}
        [entry] = (await anonymous.get("/api/v1/audit", params=params, headers=admin)).json()["items"]
        assert len(entry["actor"]) == 200
        assert entry["actor"].endswith(f"… ({key[:11]})")


class TestFullKeyInThePath:
    async def test_revoking_by_the_key_itself(self, anonymous: httpx2.AsyncClient, make_key: KeyMaker) -> None:
        admin = bearer(await make_key("admin"))
        key = await make_key("read", "write")
        assert (await anonymous.get(f"{KEYS}/{key}", headers=admin)).json()["prefix"] == key[:11]
        assert (await anonymous.delete(f"{KEYS}/{key}", headers=admin)).status_code == 204
        assert_problem(await anonymous.post("/api/v1/labs", json={}, headers=bearer(key)), 401)
        assert assert_problem(await anonymous.get(f"{KEYS}/{key[:11]}", headers=admin), 410)["revoked_at"] is not None

    @pytest.mark.parametrize(
        "path",
        [f"{KEYS}/{{key}}", f"{KEYS}/{{key}}xyz", "/api/v1/labs/{key}", "/api/v1/events/{key}/ics"],
        ids=["unknown key", "too long", "another route", "no route"],
    )
    async def test_a_key_in_the_path_is_never_echoed(
        self, anonymous: httpx2.AsyncClient, make_key: KeyMaker, caplog: pytest.LogCaptureFixture, path: str
    ) -> None:
        admin = bearer(await make_key("admin", "write"))
        unknown = "lr_" + "Zq9" * 14 + "x"
        caplog.set_level(logging.INFO, logger="app.ops.access")
        response = await anonymous.delete(path.format(key=unknown), headers=admin)
        assert response.status_code in {404, 405, 422}
        assert unknown not in response.text
        assert unknown[:11] in response.json()["instance"]
        lines = [r for r in caplog.records if r.name == "app.ops.access"]
        assert lines
        for record in lines:
            assert unknown not in record.getMessage()
            assert unknown not in str(record.__dict__)
