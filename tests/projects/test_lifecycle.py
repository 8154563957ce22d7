"""The project lifecycle: forward moves (skips allowed), abandonment, refused moves, and the status history."""

from datetime import datetime

import httpx2
import pytest

from app.projects.rules import today
from tests.factories import create_project
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def move(client: httpx2.AsyncClient, project: dict[str, object], status: str) -> httpx2.Response:
    return await client.patch(f"/api/v1/projects/{project['id']}", json={"status": status})


async def history(client: httpx2.AsyncClient, project: dict[str, object]) -> list[dict[str, object]]:
    response = await client.get(f"/api/v1/projects/{project['slug']}/history")
    assert response.status_code == 200, response.text
    entries: list[dict[str, object]] = response.json()
    return entries


class TestStatusMoves:
    async def test_forward_with_skips(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        for status in ("piloting", "scaling", "completed"):
            response = await move(client, project, status)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == status

    async def test_straight_to_completed(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client, status="designing")
        assert (await move(client, project, "completed")).json()["status"] == "completed"

    @pytest.mark.parametrize("start", ["exploring", "designing", "piloting", "scaling"])
    async def test_abandoned_from_any_open_state(self, client: httpx2.AsyncClient, start: str) -> None:
        project = await create_project(client, status=start)
        assert (await move(client, project, "abandoned")).json()["status"] == "abandoned"

    async def test_created_in_any_status(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client, status="completed")
        assert project["status"] == "completed"
        assert [(e["from_status"], e["to_status"]) for e in await history(client, project)] == [(None, "completed")]

    async def test_backwards_is_refused_naming_the_allowed_states(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client, status="piloting")
        problem = assert_problem(await move(client, project, "designing"), 409)
        assert "piloting" in problem["detail"]
        assert "scaling, completed, abandoned" in problem["detail"]
        assert (await client.get(f"/api/v1/projects/{project['id']}")).json() == project
        assert len(await history(client, project)) == 1

    @pytest.mark.parametrize(("final", "target"), [("completed", "scaling"), ("abandoned", "exploring")])
    async def test_nothing_follows_a_final_state(self, client: httpx2.AsyncClient, final: str, target: str) -> None:
        project = await create_project(client, status=final)
        problem = assert_problem(await move(client, project, target), 409)
        assert "none" in problem["detail"]
        assert final in problem["detail"]
        assert (await client.get(f"/api/v1/projects/{project['id']}")).json()["status"] == final

    async def test_out_of_completed_into_abandoned_is_refused(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client, status="completed")
        assert_problem(await move(client, project, "abandoned"), 409)

    async def test_refused_move_writes_nothing_else_either(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client, status="scaling", summary="Avant")
        response = await client.patch(
            f"/api/v1/projects/{project['id']}", json={"status": "exploring", "summary": "Après"}
        )
        assert_problem(response, 409)
        assert (await client.get(f"/api/v1/projects/{project['id']}")).json() == project

    async def test_put_follows_the_lifecycle_too(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client, status="piloting")
        body = {"title": project["title"], "kind": "project", "theme_code": "service-usager"}
        assert_problem(await client.put(f"/api/v1/projects/{project['id']}", json=body), 409)
        response = await client.put(f"/api/v1/projects/{project['id']}", json={**body, "status": "scaling"})
        assert response.json()["status"] == "scaling"

    async def test_unchanged_status_is_no_move(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client, status="completed")
        response = await client.patch(f"/api/v1/projects/{project['id']}", json={"status": "completed", "lessons": "x"})
        assert response.status_code == 200, response.text
        assert len(await history(client, project)) == 1


class TestHistory:
    async def test_creation_and_two_moves_oldest_first(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        await move(client, project, "designing")
        await client.patch(f"/api/v1/projects/{project['id']}", json={"summary": "Sans changement de statut"})
        await move(client, project, "scaling")
        entries = await history(client, project)
        actor = f"integrating app ({client.headers['authorization'].removeprefix('Bearer ')[:11]})"
        assert [(e["from_status"], e["to_status"], e["actor"]) for e in entries] == [
            (None, "exploring", actor),
            ("exploring", "designing", actor),
            ("designing", "scaling", actor),
        ]
        assert all(entry.keys() == {"from_status", "to_status", "effective_on", "at", "actor"} for entry in entries)
        assert {entry["effective_on"] for entry in entries} == {today().isoformat()}
        instants = [datetime.fromisoformat(str(e["at"])) for e in entries]
        assert all(instant.tzinfo is not None for instant in instants)
        assert instants == sorted(instants)

    async def test_histories_are_per_project(self, client: httpx2.AsyncClient) -> None:
        first = await create_project(client)
        second = await create_project(client)
        await move(client, first, "abandoned")
        assert len(await history(client, first)) == 2
        assert len(await history(client, second)) == 1

    async def test_unknown_project_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/projects/nulle-part/history"), 404)
