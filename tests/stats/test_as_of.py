"""`as_of`: the project figures by the phase each project was in on a day, and the overview as it stood then,
on a hand-built dataset; drafts stay out as they do today. (`anonymous` and `client` are one client: a test
that needs both reads without the key once it has written.)"""

from typing import Any

import httpx2
import pytest

from tests.factories import (
    create_allocation,
    create_disbursement,
    create_event,
    create_lab,
    create_project,
    create_stream,
)
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def get(client: httpx2.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/v1/stats/{path}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def phases(client: httpx2.AsyncClient, *steps: tuple[str, str], **fields: Any) -> dict[str, Any]:
    """A project that began in the first (status, day), then moved through the others."""
    (status, day), *moves = steps
    project = await create_project(client, status=status, status_since=day, **fields)
    for status, day in moves:
        moved = await client.patch(f"/api/v1/projects/{project['id']}", json={"status": status, "status_since": day})
        assert moved.status_code == 200, moved.text
    return project


def counts(body: dict[str, Any]) -> dict[str, int]:
    return {group["key"]: group["count"] for group in body["groups"]}


@pytest.fixture
async def history(client: httpx2.AsyncClient) -> dict[str, Any]:
    lab = await create_lab(client, region_code="53")
    await phases(
        client,
        ("exploring", "2019-01-10"),
        ("designing", "2019-06-01"),
        ("piloting", "2020-03-02"),
        ("scaling", "2021-01-15"),
        lab_id=lab["id"],
        users_involved=100,
    )
    # Completed on the very day asked: a phase counts from the day it began.
    await phases(client, ("designing", "2020-02-01"), ("completed", "2020-12-01"), kind="action", agents_involved=7)
    # Two moves on one day: the one written last is the phase of that day.
    await phases(client, ("exploring", "2020-05-05"), ("designing", "2020-05-05"), region_code="76")
    # Not begun yet on 2020-12-01.
    await phases(client, ("exploring", "2021-02-01"), users_involved=1000)
    # A draft is out of the public figures, whatever the day.
    await phases(client, ("piloting", "2018-04-04"), lab_id=lab["id"], publication="draft")
    return lab


async def test_projects_by_their_phase_on_a_day(client: httpx2.AsyncClient, history: dict[str, Any]) -> None:
    then = await get(client, "projects", as_of="2020-12-01")
    assert counts(then) == {"piloting": 1, "completed": 1, "designing": 1}
    assert (then["total"], then["users_involved"], then["agents_involved"]) == (3, 100, 7)
    now = await get(client, "projects")
    assert counts(now) == {"scaling": 1, "completed": 1, "designing": 1, "exploring": 1}
    earlier = await get(client, "projects", as_of="2019-05-31")
    assert counts(earlier) == {"exploring": 1}
    assert counts(await get(client, "projects", as_of="2019-06-01")) == {"designing": 1}
    assert (await get(client, "projects", as_of="2018-12-31"))["total"] == 0


async def test_filters_apply_to_the_phase_of_that_day(client: httpx2.AsyncClient, history: dict[str, Any]) -> None:
    piloting = await get(client, "projects", as_of="2020-12-01", status="piloting", group_by="region")
    assert (piloting["total"], counts(piloting)) == (1, {"53": 1})
    assert (await get(client, "projects", as_of="2020-12-01", status="scaling"))["total"] == 0
    by_kind = await get(client, "projects", as_of="2020-12-01", group_by="kind")
    assert counts(by_kind) == {"project": 2, "action": 1}
    in_lab = await get(client, "projects", as_of="2020-12-01", lab=history["slug"])
    assert counts(in_lab) == {"piloting": 1}


async def test_drafts_count_as_they_do_today(client: httpx2.AsyncClient, history: dict[str, Any]) -> None:
    seen = await get(client, "projects", as_of="2020-12-01", publication="any", lab=history["slug"])
    assert counts(seen) == {"piloting": 2}
    assert counts(await get(client, "projects", as_of="2020-12-01", lab=history["slug"])) == {"piloting": 1}
    anonymous = client
    del anonymous.headers["Authorization"]
    assert counts(await get(anonymous, "projects", as_of="2020-12-01", lab=history["slug"])) == {"piloting": 1}
    assert_problem(
        await anonymous.get("/api/v1/stats/projects", params={"as_of": "2020-12-01", "publication": "any"}), 403
    )
    overview = await get(anonymous, "overview", as_of="2020-12-01")
    assert overview["projects_and_actions"] == 3


async def test_the_overview_as_it_stood(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client)
    await phases(client, ("piloting", "2020-01-06"), lab_id=lab["id"], users_involved=40, agents_involved=2)
    await phases(client, ("exploring", "2021-01-04"), lab_id=lab["id"], users_involved=500)
    for day, participants in (("2020-11-20", 12), ("2021-01-12", 30)):
        await create_event(
            client,
            lab_id=lab["id"],
            format="formation",
            starts_at=f"{day}T09:00:00",
            ends_at=f"{day}T12:00:00",
            participants_count=participants,
        )
    stream = await create_stream(client)
    early = await create_allocation(client, stream_id=stream["id"], lab_id=lab["id"], decided_on="2020-06-01")
    await create_disbursement(client, early["id"], amount_cents=1_000_000, paid_on="2020-07-01")
    await create_disbursement(client, early["id"], amount_cents=2_000_000, paid_on="2021-01-05")
    other = await create_lab(client)
    await create_allocation(client, stream_id=stream["id"], lab_id=other["id"], decided_on="2021-01-02")

    anonymous = client
    del anonymous.headers["Authorization"]
    then = await get(anonymous, "overview", as_of="2020-12-01")
    assert (then["projects_and_actions"], then["training_sessions"], then["events"]) == (1, 1, 1)
    assert (then["users_involved"], then["agents_involved"], then["participants"]) == (40, 2, 12)
    assert then["people_reached"] == 54
    assert (then["labs_funded"], then["committed_cents"], then["disbursed_cents"]) == (1, 5_000_000, 1_000_000)
    now = await get(anonymous, "overview")
    assert (now["projects_and_actions"], now["training_sessions"], now["labs_funded"]) == (2, 2, 2)
    assert (now["committed_cents"], now["disbursed_cents"]) == (10_000_000, 3_000_000)
    assert then["labs_active"] == now["labs_active"]


async def test_as_of_must_be_a_day(anonymous: httpx2.AsyncClient) -> None:
    assert_problem(await anonymous.get("/api/v1/stats/projects", params={"as_of": "hier"}), 422, "as_of")
    assert_problem(await anonymous.get("/api/v1/stats/overview", params={"as_of": "2020-13-01"}), 422, "as_of")
