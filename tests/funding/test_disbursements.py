"""Disbursements through HTTP, always under their allocation: create, read, list, patch, replace, delete."""

from typing import Any

import httpx2
import pytest

from tests.factories import create_allocation, create_disbursement
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

UNKNOWN_ID = "123e4567-e89b-12d3-a456-426614174000"


def url(allocation: dict[str, Any], disbursement: dict[str, Any] | None = None) -> str:
    base = f"/api/v1/allocations/{allocation['id']}/disbursements"
    return base if disbursement is None else f"{base}/{disbursement['id']}"


async def count_disbursements(client: httpx2.AsyncClient, allocation: dict[str, Any]) -> int:
    return await total(client, url(allocation))


async def listed(client: httpx2.AsyncClient, allocation: dict[str, Any], **params: Any) -> list[str]:
    response = await client.get(url(allocation), params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
async def allocation(client: httpx2.AsyncClient) -> dict[str, Any]:
    return await create_allocation(client)


class TestCreateDisbursement:
    async def test_created_with_location(self, client: httpx2.AsyncClient, allocation: dict[str, Any]) -> None:
        body = {"amount_cents": 250_000, "paid_on": "2021-03-15", "external_id": "PAY-1"}
        response = await client.post(url(allocation), json=body)
        assert response.status_code == 201, response.text
        disbursement = response.json()
        assert {k: disbursement[k] for k in body} == body
        assert (disbursement["allocation_id"], disbursement["version"]) == (allocation["id"], 1)
        assert response.headers["location"].endswith(url(allocation, disbursement))

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("amount_cents", 0),
            ("amount_cents", -1),
            ("amount_cents", None),
            ("paid_on", None),
            ("paid_on", "2021-13-01"),
            ("external_id", ""),
            ("allocation_id", UNKNOWN_ID),
            ("colour", "blue"),
        ],
    )
    async def test_bad_field_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any], field: str, value: Any
    ) -> None:
        body = {"amount_cents": 100, "paid_on": "2021-03-15", field: value}
        assert_problem(await client.post(url(allocation), json=body), 422, field)
        assert await count_disbursements(client, allocation) == 0

    async def test_missing_paid_on_is_refused(self, client: httpx2.AsyncClient, allocation: dict[str, Any]) -> None:
        assert_problem(await client.post(url(allocation), json={"amount_cents": 100}), 422, "paid_on")
        assert await count_disbursements(client, allocation) == 0

    async def test_taken_external_id_is_a_conflict(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        other = await create_allocation(client)
        await create_disbursement(client, other["id"], external_id="PAY-1")
        response = await client.post(
            url(allocation), json={"amount_cents": 1, "paid_on": "2021-01-01", "external_id": "PAY-1"}
        )
        assert "external_id" in assert_problem(response, 409)["detail"]
        assert await count_disbursements(client, allocation) == 0

    async def test_unknown_allocation_is_404(self, client: httpx2.AsyncClient) -> None:
        response = await client.post(url({"id": UNKNOWN_ID}), json={"amount_cents": 1, "paid_on": "2021-01-01"})
        assert_problem(response, 404)


class TestReadDisbursement:
    async def test_by_id_under_its_allocation(self, client: httpx2.AsyncClient, allocation: dict[str, Any]) -> None:
        disbursement = await create_disbursement(client, allocation["id"])
        response = await client.get(url(allocation, disbursement))
        assert response.status_code == 200, response.text
        assert response.json() == disbursement

    async def test_under_another_allocation_is_404(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        other = await create_allocation(client)
        disbursement = await create_disbursement(client, other["id"])
        assert_problem(await client.get(url(allocation, disbursement)), 404)

    async def test_unknown_is_404(self, client: httpx2.AsyncClient, allocation: dict[str, Any]) -> None:
        assert_problem(await client.get(url(allocation, {"id": UNKNOWN_ID})), 404)
        assert_problem(await client.get(url(allocation, {"id": "not-an-id"})), 404)
        assert_problem(await client.get(url({"id": UNKNOWN_ID}, {"id": UNKNOWN_ID})), 404)


@pytest.mark.lists
class TestListDisbursements:
    async def test_only_this_allocations_sorted_by_payment_date(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        later = await create_disbursement(client, allocation["id"], paid_on="2021-06-01")
        earlier = await create_disbursement(client, allocation["id"], paid_on="2021-01-15")
        other = await create_allocation(client)
        await create_disbursement(client, other["id"])
        assert await listed(client, allocation) == [earlier["id"], later["id"]]
        assert await listed(client, allocation, sort="-paid_on") == [later["id"], earlier["id"]]
        assert await listed(client, allocation, sort="created_at") == [later["id"], earlier["id"]]

    async def test_filter_by_payment_dates_inclusive(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        ids = {
            day: (await create_disbursement(client, allocation["id"], paid_on=day))["id"]
            for day in ("2021-01-01", "2021-02-01", "2021-03-01")
        }
        assert await listed(client, allocation, paid_after="2021-02-01") == [ids["2021-02-01"], ids["2021-03-01"]]
        assert await listed(client, allocation, paid_before="2021-02-01") == [ids["2021-01-01"], ids["2021-02-01"]]

    async def test_q_is_refused(self, client: httpx2.AsyncClient, allocation: dict[str, Any]) -> None:
        assert_problem(await client.get(url(allocation), params={"q": "x"}), 422, "q")

    async def test_unknown_allocation_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get(url({"id": UNKNOWN_ID})), 404)

    async def test_pagination_walk(self, client: httpx2.AsyncClient, allocation: dict[str, Any]) -> None:
        for day in ("2021-01-05", "2021-01-01", "2021-01-03", "2021-01-01", "2021-01-02"):
            await create_disbursement(client, allocation["id"], paid_on=day)
        seen: list[str] = []
        params: dict[str, Any] = {"limit": 2, "sort": "-paid_on"}
        while True:
            response = await client.get(url(allocation), params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            seen += [item["paid_on"] for item in page["items"]]
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert seen == ["2021-01-05", "2021-01-03", "2021-01-02", "2021-01-01", "2021-01-01"]


class TestUpdateDisbursement:
    async def test_patch_changes_only_given_fields(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        disbursement = await create_disbursement(client, allocation["id"], external_id="PAY-1")
        response = await client.patch(url(allocation, disbursement), json={"amount_cents": 7})
        assert response.status_code == 200, response.text
        patched = response.json()
        assert (patched["amount_cents"], patched["paid_on"], patched["external_id"]) == (
            7,
            disbursement["paid_on"],
            "PAY-1",
        )
        assert patched["version"] == 2

    @pytest.mark.parametrize(
        ("field", "value"), [("amount_cents", 0), ("paid_on", None), ("allocation_id", UNKNOWN_ID)]
    )
    async def test_patch_bad_field_is_refused(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any], field: str, value: Any
    ) -> None:
        disbursement = await create_disbursement(client, allocation["id"])
        assert_problem(await client.patch(url(allocation, disbursement), json={field: value}), 422, field)
        assert (await client.get(url(allocation, disbursement))).json() == disbursement

    async def test_put_replaces_and_clears_omitted_fields(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        disbursement = await create_disbursement(client, allocation["id"], external_id="PAY-1")
        response = await client.put(url(allocation, disbursement), json={"amount_cents": 9, "paid_on": "2022-01-01"})
        assert response.status_code == 200, response.text
        replaced = response.json()
        assert (replaced["amount_cents"], replaced["paid_on"], replaced["external_id"]) == (9, "2022-01-01", None)

    async def test_writes_under_another_allocation_are_404(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        other = await create_allocation(client)
        disbursement = await create_disbursement(client, other["id"])
        wrong = url(allocation, disbursement)
        assert_problem(await client.patch(wrong, json={"amount_cents": 1}), 404)
        assert_problem(await client.put(wrong, json={"amount_cents": 1, "paid_on": "2021-01-01"}), 404)
        assert_problem(await client.delete(wrong), 404)
        assert (await client.get(url(other, disbursement))).json() == disbursement


class TestDeleteDisbursement:
    async def test_deleted_then_404(self, client: httpx2.AsyncClient, allocation: dict[str, Any]) -> None:
        disbursement = await create_disbursement(client, allocation["id"])
        assert (await client.delete(url(allocation, disbursement))).status_code == 204
        assert_problem(await client.get(url(allocation, disbursement)), 404)
        assert await count_disbursements(client, allocation) == 0

    async def test_allocation_deletable_once_its_disbursements_are_gone(
        self, client: httpx2.AsyncClient, allocation: dict[str, Any]
    ) -> None:
        disbursement = await create_disbursement(client, allocation["id"])
        assert (await client.delete(url(allocation, disbursement))).status_code == 204
        assert (await client.delete(f"/api/v1/allocations/{allocation['id']}")).status_code == 204
