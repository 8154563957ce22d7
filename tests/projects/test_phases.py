"""Dated phases: a status change carries the day its phase began (`status_since`, read as `effective_on` in the
history); today by default, never in the future nor before the phase it follows; a refusal writes nothing."""

from datetime import timedelta
from typing import Any

import httpx2
import pytest

from app.projects.rules import today
from tests.factories import create_project
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def history(client: httpx2.AsyncClient, project: dict[str, Any]) -> list[tuple[Any, ...]]:
    response = await client.get(f"/api/v1/projects/{project['id']}/history")
    assert response.status_code == 200, response.text
    return [(e["from_status"], e["to_status"], e["effective_on"]) for e in response.json()]


async def read(client: httpx2.AsyncClient, project: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(f"/api/v1/projects/{project['id']}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_phase_without_a_day_began_today(client: httpx2.AsyncClient) -> None:
    project = await create_project(client)
    assert project["status_since"] == today().isoformat()
    moved = await client.patch(f"/api/v1/projects/{project['id']}", json={"status": "designing"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["status_since"] == today().isoformat()
    assert await history(client, project) == [
        (None, "exploring", today().isoformat()),
        ("exploring", "designing", today().isoformat()),
    ]


async def test_dated_phases_through_post_patch_and_put(client: httpx2.AsyncClient) -> None:
    project = await create_project(client, status="designing", status_since="2019-03-04", starts_on="2019-01-07")
    assert project["status_since"] == "2019-03-04"
    patched = await client.patch(
        f"/api/v1/projects/{project['id']}", json={"status": "piloting", "status_since": "2020-06-15"}
    )
    assert patched.status_code == 200, patched.text
    full = {
        name: value for name, value in patched.json().items() if name in ("title", "kind", "theme_code", "starts_on")
    }
    put = await client.put(
        f"/api/v1/projects/{project['id']}", json={**full, "status": "scaling", "status_since": "2020-06-15"}
    )
    assert put.status_code == 200, put.text
    assert put.json()["status_since"] == "2020-06-15"
    assert await history(client, project) == [
        (None, "designing", "2019-03-04"),
        ("designing", "piloting", "2020-06-15"),
        ("piloting", "scaling", "2020-06-15"),
    ]
    # A write that keeps the status keeps the day, given back as read or left out.
    kept = await client.put(f"/api/v1/projects/{project['id']}", json={**full, "status": "scaling"})
    assert kept.status_code == 200, kept.text
    assert kept.json()["status_since"] == "2020-06-15"
    summary = await client.patch(f"/api/v1/projects/{project['id']}", json={"summary": "Bilan à venir"})
    assert summary.json()["status_since"] == "2020-06-15"
    assert len(await history(client, project)) == 3


async def test_a_phase_in_the_future_is_refused(client: httpx2.AsyncClient) -> None:
    tomorrow = (today() + timedelta(days=1)).isoformat()
    created = await client.post(
        "/api/v1/projects",
        json={"title": "Demain", "kind": "project", "theme_code": "design", "status_since": tomorrow},
    )
    body = assert_problem(created, 422, "status_since")
    assert body["errors"][0]["msg"] == (
        f"status_since {tomorrow} is in the future: a phase is dated by the day it began (today is {today()})."
    )
    project = await create_project(client)
    refused = await client.patch(
        f"/api/v1/projects/{project['id']}", json={"status": "designing", "status_since": tomorrow}
    )
    assert_problem(refused, 422, "status_since")
    assert (await read(client, project))["version"] == project["version"]
    assert len(await history(client, project)) == 1


async def test_a_phase_before_the_previous_one_is_refused(client: httpx2.AsyncClient) -> None:
    project = await create_project(client, status_since="2020-03-02")
    refused = await client.patch(
        f"/api/v1/projects/{project['id']}", json={"status": "designing", "status_since": "2020-03-01"}
    )
    body = assert_problem(refused, 422, "status_since")
    assert body["errors"][0]["msg"] == (
        "status_since 2020-03-01 is before 2020-03-02, the day the current phase (exploring) began."
    )
    after = await read(client, project)
    assert (after["status"], after["status_since"], after["version"]) == ("exploring", "2020-03-02", 1)
    assert await history(client, project) == [(None, "exploring", "2020-03-02")]


async def test_a_new_day_without_a_new_status_is_refused(client: httpx2.AsyncClient) -> None:
    project = await create_project(client, status_since="2020-03-02")
    refused = await client.patch(f"/api/v1/projects/{project['id']}", json={"status_since": "2020-04-01"})
    body = assert_problem(refused, 422, "status_since")
    assert body["errors"][0]["msg"] == (
        "status_since 2020-04-01 dates a status change, and the status stays exploring (since 2020-03-02): "
        "give a new status with it."
    )
    assert (await read(client, project))["version"] == 1


async def test_a_move_off_the_lifecycle_is_still_a_conflict(client: httpx2.AsyncClient) -> None:
    project = await create_project(client, status="piloting", status_since="2020-03-02")
    refused = await client.patch(
        f"/api/v1/projects/{project['id']}", json={"status": "designing", "status_since": "2020-01-01"}
    )
    assert_problem(refused, 409)
