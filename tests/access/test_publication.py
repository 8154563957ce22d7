"""Publication: the state a new event or project starts in, the moves each key may make, and the history."""

from typing import Any

import httpx2
import pytest

from tests.access.conftest import World
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio


def _event(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "title": "Atelier du lab A",
        "theme_code": "design",
        "format": "atelier",
        "attendance_mode": "online",
        "online_url": "https://visio.example.org/salle",
        "audience": "all",
        "starts_at": "2021-03-02T10:00:00",
        "ends_at": "2021-03-02T12:00:00",
        "lab_id": world.rows["lab_a"]["id"],
        **fields,
    }


async def _moved(http: httpx2.AsyncClient, url: str, headers: dict[str, str], **body: Any) -> httpx2.Response:
    return await http.patch(url, json=body, headers=headers)


class TestNewRows:
    async def test_a_key_without_publish_writes_drafts_and_may_submit(
        self, http: httpx2.AsyncClient, world: World
    ) -> None:
        own = world.keys["own"]
        draft = await http.post("/api/v1/events", json=_event(world), headers=own)
        assert draft.json()["publication"] == "draft"
        submitted = await http.post("/api/v1/events", json=_event(world, publication="submitted"), headers=own)
        assert submitted.json()["publication"] == "submitted"
        refused = await http.post("/api/v1/events", json=_event(world, publication="published"), headers=own)
        assert "`publish` scope" in assert_problem(refused, 403)["detail"]

    async def test_a_publishing_key_publishes_unless_it_says_otherwise(
        self, http: httpx2.AsyncClient, world: World
    ) -> None:
        publish = world.keys["publish"]
        project = {"title": "Projet", "kind": "project", "theme_code": "design", "lab_id": world.rows["lab_a"]["id"]}
        assert (await http.post("/api/v1/projects", json=project, headers=publish)).json()["publication"] == (
            "published"
        )
        draft = await http.post("/api/v1/projects", json={**project, "publication": "draft"}, headers=publish)
        assert draft.json()["publication"] == "draft"
        rejected = await http.post("/api/v1/projects", json={**project, "publication": "rejected"}, headers=publish)
        assert "not rejected" in assert_problem(rejected, 409)["detail"]


class TestMoves:
    async def test_a_draft_is_submitted_published_and_taken_back_with_its_history(
        self, http: httpx2.AsyncClient, world: World
    ) -> None:
        own, publish = world.keys["own"], world.keys["publish"]
        event = (await http.post("/api/v1/events", json=_event(world), headers=own)).json()
        url = f"/api/v1/events/{event['id']}"
        assert (await _moved(http, url, own, publication="submitted")).json()["publication"] == "submitted"
        refused = await _moved(http, url, own, publication="published")
        assert "publishing needs `publish`" in assert_problem(refused, 409)["detail"]
        assert (await _moved(http, url, publish, publication="published")).status_code == 200
        no_note = await _moved(http, url, publish, publication="draft")
        assert "publication_note" in assert_problem(no_note, 409)["detail"]
        taken_back = await _moved(http, url, publish, publication="draft", publication_note="Date à confirmer")
        assert taken_back.json()["publication"] == "draft"
        history = (await http.get(f"{url}/publication-history", headers=own)).json()
        assert [(h["from"], h["to"], h["note"]) for h in history] == [
            (None, "draft", None),
            ("draft", "submitted", None),
            ("submitted", "published", None),
            ("published", "draft", "Date à confirmer"),
        ]
        assert history[0]["actor"].startswith("Lab A app (lr_")
        assert history[2]["actor"].startswith("Moderation app (lr_")

    async def test_a_rejected_submission_is_reworked(self, http: httpx2.AsyncClient, world: World) -> None:
        own, publish = world.keys["own"], world.keys["publish"]
        project = {"title": "Projet", "kind": "project", "theme_code": "design", "lab_id": world.rows["lab_a"]["id"]}
        created = await http.post("/api/v1/projects", json={**project, "publication": "submitted"}, headers=own)
        url = f"/api/v1/projects/{created.json()['slug']}"
        assert_problem(await _moved(http, url, publish, publication="rejected"), 409)
        rejected = await _moved(http, url, publish, publication="rejected", publication_note="Hors sujet")
        assert (rejected.json()["publication"], rejected.json()["publication_note"]) == ("rejected", "Hors sujet")
        refused = await _moved(http, url, own, publication="published")
        assert "allowed from rejected: draft, submitted" in assert_problem(refused, 409)["detail"]
        assert (await _moved(http, url, own, publication="submitted")).json()["publication"] == "submitted"

    async def test_a_move_nobody_may_make_names_the_allowed_ones(self, http: httpx2.AsyncClient, world: World) -> None:
        own, publish = world.keys["own"], world.keys["publish"]
        event = (await http.post("/api/v1/events", json=_event(world), headers=own)).json()
        refused = await _moved(http, f"/api/v1/events/{event['id']}", publish, publication="rejected")
        assert "allowed from draft: published, submitted" in assert_problem(refused, 409)["detail"]

    async def test_an_edit_leaves_the_publication_as_it_is(self, http: httpx2.AsyncClient, world: World) -> None:
        own = world.keys["own"]
        url = f"/api/v1/events/{world.rows['event_a']['id']}"
        edited = await _moved(http, url, own, title="Atelier renommé")
        assert (edited.json()["title"], edited.json()["publication"]) == ("Atelier renommé", "published")


class TestImports:
    """An imported row follows the rules of a single write: its first state, its moves, its history."""

    CSV = (
        "external_id,title,theme,format,attendance_mode,audience,starts_at,ends_at,lab,publication,city\r\n"
        "ev-1,Atelier importé,design,atelier,in-person,all,05/01/2021 10:00,05/01/2021 12:00,lab-a,{state},Rennes\r\n"
    )

    async def _import(self, http: httpx2.AsyncClient, key: dict[str, str], state: str) -> httpx2.Response:
        return await http.post(
            "/api/v1/imports/events", content=self.CSV.format(state=state), headers={**key, "Content-Type": "text/csv"}
        )

    async def test_a_row_starts_and_moves_as_the_key_may(self, http: httpx2.AsyncClient, world: World) -> None:
        own, publish = world.keys["own"], world.keys["publish"]
        assert (await self._import(http, own, "")).json()["created"] == 1
        listed = await http.get("/api/v1/events", params={"publication": "draft"}, headers=own)
        (event,) = listed.json()["items"]
        assert event["publication"] == "draft"

        refused = await self._import(http, own, "published")
        error = assert_problem(refused, 422)["errors"][0]
        assert (error["column"], error["line"]) == ("publication", 2)
        assert "allowed from draft: submitted" in error["message"]

        assert (await self._import(http, own, "submitted")).json()["updated"] == 1
        assert (await self._import(http, publish, "published")).json()["updated"] == 1
        history = (await http.get(f"/api/v1/events/{event['id']}/publication-history")).json()
        assert [(h["from"], h["to"]) for h in history] == [
            (None, "draft"),
            ("draft", "submitted"),
            ("submitted", "published"),
        ]
