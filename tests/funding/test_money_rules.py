"""The money rules, one request at a time: envelopes, allocations and disbursements, each refusal a 409 naming the
figures, with nothing written. (The same rules under concurrent writes: tests/integrity/test_money_races.py.)"""

from typing import Any

import httpx2
import pytest

from tests.factories import create_allocation, create_disbursement, create_lab, create_stream
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

ALLOCATIONS = "/api/v1/allocations"
STREAMS = "/api/v1/funding-streams"


def disbursements_url(allocation: dict[str, Any]) -> str:
    return f"{ALLOCATIONS}/{allocation['id']}/disbursements"


async def committed(client: httpx2.AsyncClient, stream: dict[str, Any]) -> int:
    """What the stream's committed allocations add up to, as the list reports them."""
    response = await client.get(ALLOCATIONS, params={"stream": stream["id"], "status": "committed", "limit": 500})
    assert response.status_code == 200, response.text
    return sum(item["amount_cents"] for item in response.json()["items"])


async def read(client: httpx2.AsyncClient, path: str) -> dict[str, Any]:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def lab(client: httpx2.AsyncClient) -> dict[str, Any]:
    return await create_lab(client)


@pytest.fixture
async def ftap(client: httpx2.AsyncClient) -> dict[str, Any]:
    """A stream of 100 000 € (10 000 000 cents)."""
    return await create_stream(client, code="FTAP", envelope_cents=10_000_000)


async def allocate(
    client: httpx2.AsyncClient, stream: dict[str, Any], lab: dict[str, Any], amount: int, status: str = "committed"
) -> dict[str, Any]:
    return await create_allocation(client, stream_id=stream["id"], lab_id=lab["id"], amount_cents=amount, status=status)


def allocation_body(stream: dict[str, Any], lab: dict[str, Any], amount: int, **fields: Any) -> dict[str, Any]:
    return {"stream_id": stream["id"], "lab_id": lab["id"], "amount_cents": amount, "status": "committed", **fields}


class TestCommittingAgainstTheEnvelope:
    async def test_commitments_up_to_the_envelope_are_accepted(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        await allocate(client, ftap, lab, 9_000_000)
        await allocate(client, ftap, lab, 1_000_000)
        assert await committed(client, ftap) == 10_000_000

    async def test_over_the_envelope_is_refused_with_the_figures(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        await allocate(client, ftap, lab, 9_000_000)
        response = await client.post(ALLOCATIONS, json=allocation_body(ftap, lab, 2_000_000))
        detail = assert_problem(response, 409)["detail"]
        for figure in (
            "stream FTAP",
            "envelope 10000000 cents",
            "already committed 9000000",
            "requested 2000000",
            "over by 1000000",
        ):
            assert figure in detail, detail
        assert await total(client, ALLOCATIONS) == 1
        assert await committed(client, ftap) == 9_000_000

    async def test_a_zero_envelope_takes_no_commitment(self, client: httpx2.AsyncClient, lab: dict[str, Any]) -> None:
        stream = await create_stream(client, envelope_cents=0)
        assert_problem(await client.post(ALLOCATIONS, json=allocation_body(stream, lab, 1)), 409)
        assert await total(client, ALLOCATIONS) == 0

    async def test_a_stream_without_envelope_takes_anything(
        self, client: httpx2.AsyncClient, lab: dict[str, Any]
    ) -> None:
        stream = await create_stream(client, envelope_cents=None)
        await allocate(client, stream, lab, 9_000_000_000_000)
        await allocate(client, stream, lab, 9_000_000_000_000)
        assert await committed(client, stream) == 18_000_000_000_000

    async def test_proposed_allocations_do_not_count(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        await allocate(client, ftap, lab, 50_000_000, status="proposed")
        await allocate(client, ftap, lab, 10_000_000)
        assert await committed(client, ftap) == 10_000_000
        assert await total(client, ALLOCATIONS) == 2

    async def test_cancelled_allocations_do_not_count(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        await allocate(client, ftap, lab, 10_000_000, status="cancelled")
        await allocate(client, ftap, lab, 10_000_000)
        assert await committed(client, ftap) == 10_000_000

    async def test_other_streams_do_not_count(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        relance = await create_stream(client, code="RELANCE", envelope_cents=10_000_000)
        await allocate(client, relance, lab, 10_000_000)
        await allocate(client, ftap, lab, 10_000_000)
        assert (await committed(client, ftap), await committed(client, relance)) == (10_000_000, 10_000_000)


class TestChangingAnAllocation:
    async def test_raising_the_amount_within_the_envelope_is_accepted(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        await allocate(client, ftap, lab, 4_000_000)
        allocation = await allocate(client, ftap, lab, 5_000_000)
        response = await client.patch(f"{ALLOCATIONS}/{allocation['id']}", json={"amount_cents": 6_000_000})
        assert response.status_code == 200, response.text
        assert await committed(client, ftap) == 10_000_000

    async def test_raising_the_amount_over_the_envelope_is_refused(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        await allocate(client, ftap, lab, 4_000_000)
        allocation = await allocate(client, ftap, lab, 5_000_000)
        response = await client.patch(f"{ALLOCATIONS}/{allocation['id']}", json={"amount_cents": 7_000_000})
        detail = assert_problem(response, 409)["detail"]
        for figure in ("envelope 10000000 cents", "already committed 4000000", "requested 7000000", "over by 1000000"):
            assert figure in detail, detail
        assert await read(client, f"{ALLOCATIONS}/{allocation['id']}") == allocation

    async def test_replacing_checks_like_patching(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        allocation = await allocate(client, ftap, lab, 5_000_000)
        response = await client.put(f"{ALLOCATIONS}/{allocation['id']}", json=allocation_body(ftap, lab, 10_000_001))
        assert "over by 1" in assert_problem(response, 409)["detail"]
        assert await read(client, f"{ALLOCATIONS}/{allocation['id']}") == allocation

    async def test_other_changes_on_a_full_stream_are_accepted(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        allocation = await allocate(client, ftap, lab, 10_000_000)
        response = await client.patch(
            f"{ALLOCATIONS}/{allocation['id']}", json={"purpose": "Équipe du lab", "amount_cents": 8_000_000}
        )
        assert response.status_code == 200, response.text
        assert response.json()["purpose"] == "Équipe du lab"

    async def test_committing_a_proposed_allocation_is_checked(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        await allocate(client, ftap, lab, 8_000_000)
        proposed = await allocate(client, ftap, lab, 3_000_000, status="proposed")
        response = await client.patch(f"{ALLOCATIONS}/{proposed['id']}", json={"status": "committed"})
        assert "over by 1000000" in assert_problem(response, 409)["detail"]
        assert await read(client, f"{ALLOCATIONS}/{proposed['id']}") == proposed
        accepted = await client.patch(
            f"{ALLOCATIONS}/{proposed['id']}", json={"status": "committed", "amount_cents": 2_000_000}
        )
        assert accepted.status_code == 200, accepted.text
        assert await committed(client, ftap) == 10_000_000

    async def test_cancelling_frees_the_amount(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        allocation = await allocate(client, ftap, lab, 10_000_000)
        assert_problem(await client.post(ALLOCATIONS, json=allocation_body(ftap, lab, 3_000_000)), 409)
        response = await client.patch(f"{ALLOCATIONS}/{allocation['id']}", json={"status": "cancelled"})
        assert response.status_code == 200, response.text
        await allocate(client, ftap, lab, 3_000_000)
        assert await committed(client, ftap) == 3_000_000

    async def test_committing_a_cancelled_allocation_again_is_checked(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        cancelled = await allocate(client, ftap, lab, 6_000_000, status="cancelled")
        await allocate(client, ftap, lab, 5_000_000)
        response = await client.patch(f"{ALLOCATIONS}/{cancelled['id']}", json={"status": "committed"})
        assert "over by 1000000" in assert_problem(response, 409)["detail"]
        assert await read(client, f"{ALLOCATIONS}/{cancelled['id']}") == cancelled

    async def test_moving_to_a_full_stream_is_refused_naming_it(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        relance = await create_stream(client, code="RELANCE", envelope_cents=6_000_000)
        await allocate(client, relance, lab, 2_000_000)
        allocation = await allocate(client, ftap, lab, 5_000_000)
        response = await client.patch(f"{ALLOCATIONS}/{allocation['id']}", json={"stream_id": relance["id"]})
        detail = assert_problem(response, 409)["detail"]
        for figure in ("stream RELANCE", "envelope 6000000 cents", "already committed 2000000", "over by 1000000"):
            assert figure in detail, detail
        assert await read(client, f"{ALLOCATIONS}/{allocation['id']}") == allocation
        assert (await committed(client, ftap), await committed(client, relance)) == (5_000_000, 2_000_000)

    async def test_moving_to_a_stream_with_room_frees_the_old_one(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        relance = await create_stream(client, code="RELANCE", envelope_cents=6_000_000)
        allocation = await allocate(client, ftap, lab, 5_000_000)
        response = await client.patch(f"{ALLOCATIONS}/{allocation['id']}", json={"stream_id": relance["id"]})
        assert response.status_code == 200, response.text
        assert (await committed(client, ftap), await committed(client, relance)) == (0, 5_000_000)

    async def test_moving_a_proposed_allocation_is_not_checked(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        full = await create_stream(client, envelope_cents=0)
        proposed = await allocate(client, ftap, lab, 5_000_000, status="proposed")
        response = await client.patch(f"{ALLOCATIONS}/{proposed['id']}", json={"stream_id": full["id"]})
        assert response.status_code == 200, response.text


class TestPaying:
    @pytest.fixture
    async def allocation(self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]) -> dict[str, Any]:
        return await allocate(client, ftap, lab, 5_000_000)

    async def test_payments_up_to_the_amount_are_accepted(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        await create_disbursement(client, allocation["id"], amount_cents=3_000_000)
        await create_disbursement(client, allocation["id"], amount_cents=2_000_000)
        assert await total(client, disbursements_url(allocation)) == 2

    async def test_over_the_amount_is_refused_with_the_figures(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        await create_disbursement(client, allocation["id"], amount_cents=3_000_000)
        response = await client.post(
            disbursements_url(allocation), json={"amount_cents": 2_500_000, "paid_on": "2021-06-01"}
        )
        detail = assert_problem(response, 409)["detail"]
        for figure in (
            allocation["id"],
            "amount 5000000 cents",
            "already disbursed 3000000",
            "requested 2500000",
            "over by 500000",
        ):
            assert figure in detail, detail
        assert await total(client, disbursements_url(allocation)) == 1

    @pytest.mark.parametrize("status", ["cancelled", "proposed"])
    async def test_only_a_committed_allocation_takes_payments(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any], status: str
    ) -> None:
        allocation = await allocate(client, ftap, lab, 5_000_000, status=status)
        response = await client.post(disbursements_url(allocation), json={"amount_cents": 1, "paid_on": "2021-06-01"})
        assert f"is {status}" in assert_problem(response, 409)["detail"]
        assert await total(client, disbursements_url(allocation)) == 0

    async def test_raising_a_payment_over_the_amount_is_refused(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        await create_disbursement(client, allocation["id"], amount_cents=3_000_000)
        payment = await create_disbursement(client, allocation["id"], amount_cents=1_000_000)
        path = f"{disbursements_url(allocation)}/{payment['id']}"
        response = await client.patch(path, json={"amount_cents": 2_500_000})
        detail = assert_problem(response, 409)["detail"]
        assert "already disbursed 3000000" in detail
        assert "over by 500000" in detail
        assert await read(client, path) == payment
        accepted = await client.patch(path, json={"amount_cents": 2_000_000})
        assert accepted.status_code == 200, accepted.text

    async def test_the_amount_cannot_go_below_what_was_paid(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        await create_disbursement(client, allocation["id"], amount_cents=3_000_000)
        path = f"{ALLOCATIONS}/{allocation['id']}"
        response = await client.patch(path, json={"amount_cents": 2_000_000})
        detail = assert_problem(response, 409)["detail"]
        for figure in ("requested amount 2000000 cents", "already disbursed 3000000", "short by 1000000"):
            assert figure in detail, detail
        assert await read(client, path) == allocation
        accepted = await client.patch(path, json={"amount_cents": 3_000_000})
        assert accepted.status_code == 200, accepted.text

    @pytest.mark.parametrize("status", ["cancelled", "proposed"])
    async def test_an_allocation_with_payments_stays_committed(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any], status: str
    ) -> None:
        await create_disbursement(client, allocation["id"], amount_cents=1_000_000)
        path = f"{ALLOCATIONS}/{allocation['id']}"
        detail = assert_problem(await client.patch(path, json={"status": status}), 409)["detail"]
        assert f"cannot become {status}" in detail
        assert "1000000 cents were already disbursed" in detail
        assert await read(client, path) == allocation

    async def test_an_allocation_whose_payments_were_removed_can_be_cancelled(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        payment = await create_disbursement(client, allocation["id"])
        deleted = await client.delete(f"{disbursements_url(allocation)}/{payment['id']}")
        assert deleted.status_code == 204, deleted.text
        response = await client.patch(f"{ALLOCATIONS}/{allocation['id']}", json={"status": "cancelled"})
        assert response.status_code == 200, response.text


class TestChangingAnEnvelope:
    async def test_lowering_below_what_is_committed_is_refused(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        await allocate(client, ftap, lab, 7_000_000)
        await allocate(client, ftap, lab, 9_000_000, status="proposed")
        response = await client.patch(f"{STREAMS}/{ftap['id']}", json={"envelope_cents": 6_000_000})
        detail = assert_problem(response, 409)["detail"]
        for figure in ("stream FTAP", "requested envelope 6000000 cents", "already committed 7000000", "short by"):
            assert figure in detail, detail
        assert await read(client, f"{STREAMS}/{ftap['id']}") == ftap

    async def test_lowering_down_to_what_is_committed_is_accepted(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        await allocate(client, ftap, lab, 7_000_000)
        response = await client.patch(f"{STREAMS}/{ftap['id']}", json={"envelope_cents": 7_000_000})
        assert response.status_code == 200, response.text
        assert response.json()["envelope_cents"] == 7_000_000

    async def test_removing_the_envelope_lifts_the_limit(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        await allocate(client, ftap, lab, 10_000_000)
        response = await client.patch(f"{STREAMS}/{ftap['id']}", json={"envelope_cents": None})
        assert response.status_code == 200, response.text
        await allocate(client, ftap, lab, 10_000_000)

    async def test_setting_an_envelope_below_what_is_committed_is_refused(
        self, client: httpx2.AsyncClient, lab: dict[str, Any]
    ) -> None:
        stream = await create_stream(client, envelope_cents=None)
        await allocate(client, stream, lab, 5_000_000)
        body = {"code": stream["code"], "name": stream["name"], "envelope_cents": 4_000_000}
        response = await client.put(f"{STREAMS}/{stream['id']}", json=body)
        assert "short by 1000000" in assert_problem(response, 409)["detail"]
        assert await read(client, f"{STREAMS}/{stream['id']}") == stream

    async def test_raising_the_envelope_is_accepted(
        self, client: httpx2.AsyncClient, ftap: dict[str, Any], lab: dict[str, Any]
    ) -> None:
        await allocate(client, ftap, lab, 10_000_000)
        response = await client.patch(f"{STREAMS}/{ftap['id']}", json={"envelope_cents": 12_000_000})
        assert response.status_code == 200, response.text
        await allocate(client, ftap, lab, 2_000_000)
