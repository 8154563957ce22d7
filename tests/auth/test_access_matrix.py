"""No write can be shipped unprotected: every write operation of the app's own OpenAPI is tried with every kind
of bad credential, and must answer 401 or 403 and write nothing."""

import uuid
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import SQLModel

from app.models.base import utcnow
from tests.conftest import KeyMaker
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio

WRITE_METHODS = {"post", "put", "patch", "delete"}


def write_operations(app: FastAPI) -> list[tuple[str, str, bool]]:
    """(method, concrete path, needs admin) for every write of the API, path parameters filled with a UUID."""
    operations = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            if method in WRITE_METHODS and path.startswith("/api/v1"):
                concrete = path
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "path":
                        concrete = concrete.replace("{" + parameter["name"] + "}", str(uuid.uuid4()))
                operations.append((method.upper(), concrete, "api-keys" in operation.get("tags", [])))
    return operations


async def row_counts(app: FastAPI) -> dict[str, int]:
    async with app.state.engine.connect() as connection:
        return {
            name: (await connection.execute(select(func.count()).select_from(table))).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


async def test_every_write_refuses_every_bad_credential(
    app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker
) -> None:
    operations = write_operations(app)
    assert len(operations) >= 35, "the OpenAPI lists fewer writes than the API has: is the matrix reading it?"
    revoked = await make_key("read", "write", "admin", name="revoked")
    await anonymous.delete(
        f"/api/v1/api-keys/{revoked[:11]}", headers={"Authorization": f"Bearer {await make_key('admin')}"}
    )
    expired = await make_key("read", "write", "admin", name="expired", expires_at=utcnow() - timedelta(seconds=1))
    read_only = await make_key("read", name="read-only")
    write_only = await make_key("write", name="write-only")
    unknown = "lr_" + "A" * 43
    credentials: list[tuple[str, dict[str, str], int]] = [
        ("no key", {}, 401),
        ("malformed header", {"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        ("malformed key", {"Authorization": "Bearer not-a-key"}, 401),
        ("unknown key", {"Authorization": f"Bearer {unknown}"}, 401),
        ("revoked key", {"Authorization": f"Bearer {revoked}"}, 401),
        ("expired key", {"Authorization": f"Bearer {expired}"}, 401),
        ("read-only key", {"Authorization": f"Bearer {read_only}"}, 403),
    ]
    before = await row_counts(app)
    failures: list[str] = []
    for method, path, needs_admin in operations:
        cases = [*credentials, ("write key on key management", {"Authorization": f"Bearer {write_only}"}, 403)]
        for label, headers, expected in cases if needs_admin else credentials:
            body: Any = {} if method != "DELETE" else None
            response = await anonymous.request(method, path, json=body, headers=headers)
            if response.status_code != expected:
                failures.append(f"{method} {path} with {label}: {response.status_code}")
                continue
            assert_problem(response, expected)
            assert response.headers["www-authenticate"].startswith("Bearer")
    assert failures == []
    assert await row_counts(app) == before
