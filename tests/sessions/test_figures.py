"""A training counts once among the training sessions of the figures, however many sessions it is held in
(docs/figures.md): the press release's "~500 training sessions" counts trainings."""

import httpx2
import pytest

from tests.factories import create_lab
from tests.sessions.test_sessions import MORNINGS, body

pytestmark = pytest.mark.anyio


async def test_a_training_cycle_is_one_training_session(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client)
    cycle = await client.post("/api/v1/events", json=body(lab["id"], sessions=MORNINGS, participants_count=12))
    assert cycle.status_code == 201, cycle.text
    sessions = (await client.get(f"/api/v1/events/{cycle.json()['id']}/sessions")).json()["items"]
    path = f"/api/v1/events/{cycle.json()['id']}/sessions/{sessions[2]['id']}"
    assert (await client.patch(path, json={"status": "cancelled"})).status_code == 200
    single = body(lab["id"], starts_at="2021-04-06T09:00:00", ends_at="2021-04-06T12:00:00")
    assert (await client.post("/api/v1/events", json=single)).status_code == 201
    overview = (await client.get("/api/v1/stats/overview")).json()
    assert (overview["training_sessions"], overview["events"], overview["events_cancelled"]) == (2, 2, 0)
    by_format = (await client.get("/api/v1/stats/events", params={"group_by": "format"})).json()
    assert [(g["key"], g["count"], g["training_sessions"]) for g in by_format["groups"]] == [("formation", 2, 2)]
    agenda = await client.get("/api/v1/sessions", params={"format": "formation", "include_total": "true"})
    assert agenda.json()["total"] == 4
