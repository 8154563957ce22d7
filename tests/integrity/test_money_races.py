"""The money rules under concurrent writes, against a real server (2 workers on PostgreSQL, 1 on SQLite).

Each test fires its writes at once and checks that the rules held exactly: as many winners as the money allows,
every loser a 409 problem, no 5xx, and totals read back that never break a rule.
"""

import asyncio
from collections import Counter
from collections.abc import Sequence
from typing import Any

import httpx2
import pytest

from tests.factories import create_allocation, create_lab, create_stream
from tests.helpers import assert_problem

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ALLOCATIONS = "/api/v1/allocations"
STREAMS = "/api/v1/funding-streams"
ENVELOPE = 10_000_000
SHARE = 1_000_000
RACERS = 25


def statuses(responses: Sequence[httpx2.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def assert_refusals(responses: Sequence[httpx2.Response], words: str = "") -> None:
    """Nothing failed on the server's side, and each refusal is a 409 problem whose detail says why."""
    assert all(response.status_code < 500 for response in responses), [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert words in assert_problem(response, 409)["detail"]


async def items(http: httpx2.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = await http.get(path, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["items"]
    return found


async def committed(http: httpx2.AsyncClient, stream: dict[str, Any]) -> int:
    return sum(a["amount_cents"] for a in await items(http, ALLOCATIONS, stream=stream["id"], status="committed"))


async def disbursed(http: httpx2.AsyncClient, allocation: dict[str, Any]) -> list[int]:
    return [d["amount_cents"] for d in await items(http, f"{ALLOCATIONS}/{allocation['id']}/disbursements")]


async def test_concurrent_commitments_fill_the_envelope_exactly(http: httpx2.AsyncClient) -> None:
    stream = await create_stream(http, envelope_cents=ENVELOPE)
    lab = await create_lab(http)
    body = {"stream_id": stream["id"], "lab_id": lab["id"], "amount_cents": SHARE, "status": "committed"}
    responses = await asyncio.gather(*(http.post(ALLOCATIONS, json=body) for _ in range(RACERS)))
    assert statuses(responses) == {201: 10, 409: 15}
    assert_refusals(responses, f"would exceed the envelope of stream {stream['code']}")
    assert await committed(http, stream) == ENVELOPE
    assert len(await items(http, ALLOCATIONS, stream=stream["id"])) == 10


async def test_concurrent_payments_fill_the_allocation_exactly(http: httpx2.AsyncClient) -> None:
    allocation = await create_allocation(http, amount_cents=ENVELOPE)
    path = f"{ALLOCATIONS}/{allocation['id']}/disbursements"
    body = {"amount_cents": SHARE, "paid_on": "2021-03-15"}
    responses = await asyncio.gather(*(http.post(path, json=body) for _ in range(RACERS)))
    assert statuses(responses) == {201: 10, 409: 15}
    assert_refusals(responses, f"would exceed allocation {allocation['id']}")
    assert sum(await disbursed(http, allocation)) == ENVELOPE


async def test_raised_amounts_and_new_commitments_share_the_envelope(http: httpx2.AsyncClient) -> None:
    """Three allocations raised by one share each, racing 20 new ones of one share, for the 7 shares left."""
    stream = await create_stream(http, envelope_cents=ENVELOPE)
    lab = await create_lab(http)
    existing = [
        await create_allocation(http, stream_id=stream["id"], lab_id=lab["id"], amount_cents=SHARE) for _ in range(3)
    ]
    body = {"stream_id": stream["id"], "lab_id": lab["id"], "amount_cents": SHARE, "status": "committed"}
    writes = [http.post(ALLOCATIONS, json=body) for _ in range(20)]
    for n, allocation in enumerate(existing):
        writes.insert(5 + 6 * n, http.patch(f"{ALLOCATIONS}/{allocation['id']}", json={"amount_cents": 2 * SHARE}))
    responses = await asyncio.gather(*writes)
    outcome = statuses(responses)
    assert outcome[200] + outcome[201] == 7, outcome
    assert outcome[409] == 16, outcome
    assert_refusals(responses, "would exceed the envelope")
    assert await committed(http, stream) == ENVELOPE


async def test_cancelling_races_payments_without_leaving_money_paid_on_a_cancelled_allocation(
    http: httpx2.AsyncClient,
) -> None:
    allocation = await create_allocation(http, amount_cents=ENVELOPE)
    path = f"{ALLOCATIONS}/{allocation['id']}"
    payments = [
        http.post(f"{path}/disbursements", json={"amount_cents": SHARE // 10, "paid_on": "2021-03-15"})
        for _ in range(20)
    ]
    cancel, *paid = await asyncio.gather(http.patch(path, json={"status": "cancelled"}), *payments)
    assert_refusals([cancel, *paid])
    final = (await http.get(path)).json()
    if cancel.status_code == 200:
        assert statuses(paid) == {409: 20}
        assert (final["status"], await disbursed(http, allocation)) == ("cancelled", [])
    else:
        assert "cents were already disbursed" in assert_problem(cancel, 409)["detail"]
        assert final["status"] == "committed"
        assert len(await disbursed(http, allocation)) == statuses(paid)[201] > 0


async def test_lowering_the_envelope_races_new_commitments(http: httpx2.AsyncClient) -> None:
    stream = await create_stream(http, envelope_cents=ENVELOPE)
    lab = await create_lab(http)
    body = {"stream_id": stream["id"], "lab_id": lab["id"], "amount_cents": SHARE, "status": "committed"}
    creates = [http.post(ALLOCATIONS, json=body) for _ in range(RACERS)]
    lower = http.patch(f"{STREAMS}/{stream['id']}", json={"envelope_cents": ENVELOPE // 2})
    lowered, *created = await asyncio.gather(lower, *creates)
    assert_refusals([lowered, *created], "envelope")
    envelope = (await http.get(f"{STREAMS}/{stream['id']}")).json()["envelope_cents"]
    assert envelope == (ENVELOPE // 2 if lowered.status_code == 200 else ENVELOPE)
    assert await committed(http, stream) == statuses(created)[201] * SHARE == envelope
