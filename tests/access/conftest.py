"""Two labs with their content, and keys of every kind: bound to the first lab (`own`), bound to the second
(`other`), unbound `write`, `funding`, `publish` (with `write`, as a moderation app holds it)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import SQLModel

from app.auth import service as auth_service
from app.auth.schemas import Scope
from tests.conftest import BuiltOnce
from tests.factories import (
    create_allocation,
    create_campaign,
    create_event,
    create_lab,
    create_organization,
    create_partner,
    create_project,
)


@dataclass
class World:
    """Rows of lab A (own) and lab B (other), and the keys' Authorization headers."""

    rows: dict[str, Any]
    keys: dict[str, dict[str, str]]


async def _key(app: FastAPI, name: str, scopes: list[str], labs: list[str] | None = None) -> dict[str, str]:
    async with app.state.sessionmaker() as session, session.begin():
        _, key = await auth_service.create_key(
            session, name=name, scopes=[Scope(s) for s in scopes], expires_at=None, labs=labs
        )
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
async def world(app: FastAPI, client: httpx2.AsyncClient, built_once: BuiltOnce) -> World:
    """Built through the API once per run (per worker), put back as rows for each later test."""
    return await built_once(lambda: _world(app, client))


async def _world(app: FastAPI, client: httpx2.AsyncClient) -> World:
    host = await create_organization(client)
    lab_a = await create_lab(client, slug="lab-a", host_organization_id=host["id"])
    lab_b = await create_lab(client, slug="lab-b", region_code="76")
    project_a = await create_project(client, lab_id=lab_a["id"])
    project_b = await create_project(client, lab_id=lab_b["id"], region_code="76")
    campaign = await create_campaign(client)
    rows = {
        "host": host,
        "lab_a": lab_a,
        "lab_b": lab_b,
        "project_a": project_a,
        "project_b": project_b,
        "partner_a": await create_partner(client, project_a["id"]),
        "event_a": await create_event(client, lab_id=lab_a["id"]),
        "event_b": await create_event(client, lab_id=lab_b["id"]),
        "campaign": campaign,
        "allocation": await create_allocation(client, lab_id=lab_a["id"]),
    }
    keys = {
        "own": await _key(app, "Lab A app", ["read", "write"], ["lab-a"]),
        "other": await _key(app, "Lab B app", ["read", "write"], [lab_b["id"]]),
        "write": await _key(app, "Content app", ["read", "write"]),
        "funding": await _key(app, "Money app", ["read", "funding"]),
        "publish": await _key(app, "Moderation app", ["read", "write", "publish"]),
    }
    return World(rows, keys)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """A client with no key of its own (`anonymous` is the keyed `client` once `world` made it): each request
    says who it is."""
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test") as keyless:
        yield keyless


async def row_counts(app: FastAPI) -> dict[str, int]:
    async with app.state.engine.connect() as connection:
        return {
            name: (await connection.execute(select(func.count()).select_from(table))).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }
