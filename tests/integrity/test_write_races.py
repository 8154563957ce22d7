"""No lost update and no duplicate create under concurrent writers, against a real server."""

import asyncio
import uuid
from collections import Counter

import httpx2
import pytest

from tests.factories import create_lab
from tests.helpers import assert_problem

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

RACERS = 20


async def test_concurrent_patches_with_one_if_match_have_one_winner(http: httpx2.AsyncClient) -> None:
    lab = await create_lab(http, city="Rennes")
    etag = (await http.get(f"/api/v1/labs/{lab['id']}")).headers["etag"]
    cities = [f"Ville {n}" for n in range(RACERS)]
    responses = await asyncio.gather(
        *(http.patch(f"/api/v1/labs/{lab['id']}", json={"city": c}, headers={"If-Match": etag}) for c in cities)
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 412: RACERS - 1}, statuses
    (winner,) = [r for r in responses if r.status_code == 200]
    for response in responses:
        if response.status_code == 412:
            assert_problem(response, 412)
    current = (await http.get(f"/api/v1/labs/{lab['id']}")).json()
    assert current["city"] == winner.json()["city"]
    assert current["version"] == 2


async def test_concurrent_posts_with_one_idempotency_key_create_one_entity(http: httpx2.AsyncClient) -> None:
    key = str(uuid.uuid4())
    body = {"name": "Lab de la course", "region_code": "53"}
    responses = await asyncio.gather(
        *(http.post("/api/v1/labs", json=body, headers={"Idempotency-Key": key}) for _ in range(RACERS))
    )
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [r.text for r in responses]
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    labs = (await http.get("/api/v1/labs", params={"q": "course", "include_total": True})).json()
    assert labs["total"] == 1
    replay = await http.post("/api/v1/labs", json=body, headers={"Idempotency-Key": key})
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] in created
