"""Allocations through HTTP: create, read, list with filters, patch, replace, delete, and every refused input."""

from typing import Any

import httpx2
import pytest

from tests.factories import (
    create_allocation,
    create_disbursement,
    create_lab,
    create_organization,
    create_project,
    create_stream,
)
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

URL = "/api/v1/allocations"
UNKNOWN_ID = "123e4567-e89b-12d3-a456-426614174000"


async def count_allocations(client: httpx2.AsyncClient) -> int:
    return await total(client, URL)


async def listed(client: httpx2.AsyncClient, **params: Any) -> list[str]:
    """Ids of the allocations a list request returns, in order."""
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
async def parents(client: httpx2.AsyncClient) -> dict[str, Any]:
    """A stream and a lab to allocate money from and to."""
    return {"stream": await create_stream(client, code="FTAP"), "lab": await create_lab(client, slug="bretagne")}


def body_for(parents: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "stream_id": parents["stream"]["id"],
        "lab_id": parents["lab"]["id"],
        "amount_cents": 5_000_000,
        "status": "committed",
        **fields,
    }


class TestCreateAllocation:
    async def test_created_with_location_and_defaults(
        self, client: httpx2.AsyncClient, parents: dict[str, Any]
    ) -> None:
        body = body_for(parents, decided_on="2020-12-01", reference="FTAP-2020-042", purpose="Équipe du lab")
        response = await client.post(URL, json=body)
        assert response.status_code == 201, response.text
        allocation = response.json()
        assert {k: allocation[k] for k in body} == body
        defaults = ("currency", "nature", "subsidy_share", "eu_notified", "project_id", "organization_id")
        assert {k: allocation[k] for k in defaults} == {
            "currency": "EUR",
            "nature": "cash",
            "subsidy_share": 1,
            "eu_notified": False,
            "project_id": None,
            "organization_id": None,
        }
        assert allocation["version"] == 1
        assert response.headers["location"].endswith(f"{URL}/{allocation['id']}")

    async def test_status_defaults_to_proposed(self, client: httpx2.AsyncClient, parents: dict[str, Any]) -> None:
        body = body_for(parents)
        del body["status"]
        response = await client.post(URL, json=body)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "proposed"

    async def test_grants_schema_fields_are_kept(self, client: httpx2.AsyncClient, parents: dict[str, Any]) -> None:
        body = body_for(parents, nature="in-kind", subsidy_share="0.3333", eu_notified=True, purpose="é" * 255)
        response = await client.post(URL, json=body)
        assert response.status_code == 201, response.text
        allocation = response.json()
        assert (allocation["nature"], allocation["subsidy_share"], allocation["eu_notified"]) == (
            "in-kind",
            0.3333,
            True,
        )
        assert len(allocation["purpose"]) == 255
        assert (await client.get(f"{URL}/{allocation['id']}")).json()["subsidy_share"] == 0.3333

    async def test_subsidy_share_bounds_are_accepted(self, client: httpx2.AsyncClient, parents: dict[str, Any]) -> None:
        for share in (0.01, 1):
            response = await client.post(URL, json=body_for(parents, subsidy_share=share))
            assert response.status_code == 201, response.text
            assert response.json()["subsidy_share"] == share

    async def test_to_a_project_or_an_organization(self, client: httpx2.AsyncClient, parents: dict[str, Any]) -> None:
        project = await create_project(client)
        organization = await create_organization(client)
        for beneficiary in ({"project_id": project["id"]}, {"organization_id": organization["id"]}):
            body = body_for(parents, lab_id=None, **beneficiary)
            response = await client.post(URL, json=body)
            assert response.status_code == 201, response.text
            assert response.json()["lab_id"] is None
        assert await count_allocations(client) == 2

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("amount_cents", 0),
            ("amount_cents", -100),
            ("amount_cents", 12.5),
            ("amount_cents", "beaucoup"),
            ("purpose", "x" * 256),
            ("subsidy_share", 0),
            ("subsidy_share", 1.5),
            ("subsidy_share", 0.00001),
            ("subsidy_share", "beaucoup"),
            ("currency", "USD"),
            ("stream_id", UNKNOWN_ID),
            ("stream_id", None),
            ("lab_id", UNKNOWN_ID),
            ("project_id", UNKNOWN_ID),
            ("organization_id", UNKNOWN_ID),
            ("status", "approved"),
            ("nature", "loan"),
            ("decided_on", "01/12/2020"),
            ("reference", ""),
            ("eu_notified", "perhaps"),
            ("colour", "blue"),
        ],
    )
    async def test_bad_field_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, parents: dict[str, Any], field: str, value: Any
    ) -> None:
        assert_problem(await client.post(URL, json=body_for(parents, **{field: value})), 422, field)
        assert await count_allocations(client) == 0

    async def test_missing_amount_is_refused(self, client: httpx2.AsyncClient, parents: dict[str, Any]) -> None:
        body = body_for(parents)
        del body["amount_cents"]
        assert_problem(await client.post(URL, json=body), 422, "amount_cents")
        assert await count_allocations(client) == 0

    async def test_no_beneficiary_is_refused(self, client: httpx2.AsyncClient, parents: dict[str, Any]) -> None:
        body = body_for(parents, lab_id=None)
        problem = assert_problem(await client.post(URL, json=body), 422)
        assert all(name in problem["detail"] for name in ("lab_id", "project_id", "organization_id"))
        assert await count_allocations(client) == 0

    async def test_taken_external_id_is_a_conflict(self, client: httpx2.AsyncClient, parents: dict[str, Any]) -> None:
        await create_allocation(client, stream_id=parents["stream"]["id"], external_id="A-1")
        response = await client.post(URL, json=body_for(parents, external_id="A-1"))
        assert "external_id" in assert_problem(response, 409)["detail"]
        assert await count_allocations(client) == 1


class TestReadAllocation:
    async def test_by_id(self, client: httpx2.AsyncClient) -> None:
        allocation = await create_allocation(client)
        response = await client.get(f"{URL}/{allocation['id']}")
        assert response.status_code == 200, response.text
        assert response.json() == allocation

    async def test_unknown_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get(f"{URL}/{UNKNOWN_ID}"), 404)
        assert_problem(await client.get(f"{URL}/not-an-id"), 404)


@pytest.mark.lists
class TestListAllocations:
    async def test_filter_by_stream_id_code_in_any_case_and_external_id(self, client: httpx2.AsyncClient) -> None:
        ftap = await create_stream(client, code="FTAP", external_id="STREAM-1")
        relance = await create_stream(client, code="RELANCE")
        mine = await create_allocation(client, stream_id=ftap["id"])
        await create_allocation(client, stream_id=relance["id"])
        for value in (ftap["id"], "FTAP", "ftap", "STREAM-1"):
            assert await listed(client, stream=value) == [mine["id"]], value
        assert await listed(client, stream="NOPE") == []

    async def test_filter_by_beneficiary(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, slug="bretagne", external_id="LAB-53")
        organization = await create_organization(client, slug="region-occitanie")
        project = await create_project(client, slug="accueil-usagers")
        by_lab = await create_allocation(client, lab_id=lab["id"])
        by_organization = await create_allocation(client, organization_id=organization["id"])
        by_project = await create_allocation(client, project_id=project["id"])
        assert await listed(client, lab="bretagne") == [by_lab["id"]]
        assert await listed(client, lab="LAB-53") == [by_lab["id"]]
        assert await listed(client, lab=lab["id"]) == [by_lab["id"]]
        assert await listed(client, organization="region-occitanie") == [by_organization["id"]]
        assert await listed(client, project="accueil-usagers") == [by_project["id"]]
        assert await listed(client, lab="nowhere") == []

    async def test_filter_by_status_and_nature(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client)
        committed = await create_allocation(client, stream_id=stream["id"], status="committed")
        cancelled = await create_allocation(client, stream_id=stream["id"], status="cancelled", nature="in-kind")
        assert await listed(client, status="committed") == [committed["id"]]
        assert await listed(client, status="cancelled") == [cancelled["id"]]
        assert await listed(client, nature="in-kind") == [cancelled["id"]]
        assert await listed(client, status="committed", nature="in-kind") == []
        assert_problem(await client.get(URL, params={"status": "approved"}), 422, "status")

    async def test_filter_by_decision_dates_inclusive(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client)
        ids = {
            day: (await create_allocation(client, stream_id=stream["id"], decided_on=day))["id"]
            for day in ("2020-11-30", "2020-12-01", "2020-12-31", "2021-01-01")
        }
        await create_allocation(client, stream_id=stream["id"])
        december = await listed(client, decided_after="2020-12-01", decided_before="2020-12-31")
        assert december == [ids["2020-12-01"], ids["2020-12-31"]]
        assert await listed(client, decided_after="2021-01-01") == [ids["2021-01-01"]]
        assert await listed(client, decided_before="2020-11-30") == [ids["2020-11-30"]]
        assert_problem(await client.get(URL, params={"decided_after": "décembre"}), 422, "decided_after")

    async def test_q_searches_reference_and_purpose(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client)
        by_purpose = await create_allocation(client, stream_id=stream["id"], purpose="Équipe écoresponsable")
        by_reference = await create_allocation(client, stream_id=stream["id"], reference="DEC-2020-042")
        assert await listed(client, q="ECORESPONSABLE equipe") == [by_purpose["id"]]
        assert await listed(client, q="dec-2020") == [by_reference["id"]]

    async def test_sort_by_amount_both_ways(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client)
        amounts = (300, 100, 200)
        ids = {a: (await create_allocation(client, stream_id=stream["id"], amount_cents=a))["id"] for a in amounts}
        assert await listed(client, sort="amount_cents") == [ids[100], ids[200], ids[300]]
        assert await listed(client, sort="-amount_cents") == [ids[300], ids[200], ids[100]]
        assert await listed(client) == [ids[300], ids[100], ids[200]]

    async def test_decided_on_is_not_a_sort(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get(URL, params={"sort": "decided_on"}), 422, "sort")

    async def test_pagination_walk(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client)
        created = [
            (await create_allocation(client, stream_id=stream["id"], amount_cents=a))["id"] for a in (5, 1, 4, 1, 3)
        ]
        expected = await listed(client, sort="-amount_cents", limit=500)
        assert sorted(expected) == sorted(created)
        seen: list[str] = []
        params: dict[str, Any] = {"limit": 2, "sort": "-amount_cents", "include_total": True}
        pages = 0
        while True:
            response = await client.get(URL, params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            assert page["total"] == 5
            seen += [item["id"] for item in page["items"]]
            pages += 1
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert (seen, pages) == (expected, 3)

    async def test_cursor_of_another_sort_is_refused(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client)
        for _ in range(2):
            await create_allocation(client, stream_id=stream["id"])
        cursor = (await client.get(URL, params={"limit": 1})).json()["next_cursor"]
        assert_problem(await client.get(URL, params={"cursor": cursor, "sort": "amount_cents"}), 400)


class TestUpdateAllocation:
    async def test_patch_changes_only_given_fields_and_bumps_version(self, client: httpx2.AsyncClient) -> None:
        allocation = await create_allocation(client, purpose="Équipe", reference="DEC-1")
        response = await client.patch(
            f"{URL}/{allocation['id']}", json={"status": "cancelled", "subsidy_share": 0.5, "purpose": None}
        )
        assert response.status_code == 200, response.text
        patched = response.json()
        assert (patched["status"], patched["subsidy_share"], patched["purpose"]) == ("cancelled", 0.5, None)
        assert (patched["reference"], patched["amount_cents"]) == ("DEC-1", allocation["amount_cents"])
        assert patched["version"] == 2

    async def test_patch_moves_the_beneficiary(self, client: httpx2.AsyncClient) -> None:
        allocation = await create_allocation(client)
        organization = await create_organization(client)
        response = await client.patch(
            f"{URL}/{allocation['id']}", json={"lab_id": None, "organization_id": organization["id"]}
        )
        assert response.status_code == 200, response.text
        assert (response.json()["lab_id"], response.json()["organization_id"]) == (None, organization["id"])

    async def test_patch_removing_the_last_beneficiary_is_refused(self, client: httpx2.AsyncClient) -> None:
        allocation = await create_allocation(client)
        assert_problem(await client.patch(f"{URL}/{allocation['id']}", json={"lab_id": None}), 422)
        assert (await client.get(f"{URL}/{allocation['id']}")).json() == allocation

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("amount_cents", 0),
            ("subsidy_share", 1.5),
            ("stream_id", UNKNOWN_ID),
            ("stream_id", None),
            ("lab_id", UNKNOWN_ID),
            ("status", None),
            ("status", "approved"),
            ("currency", "USD"),
            ("colour", "blue"),
        ],
    )
    async def test_patch_bad_field_is_refused(self, client: httpx2.AsyncClient, field: str, value: Any) -> None:
        allocation = await create_allocation(client)
        assert_problem(await client.patch(f"{URL}/{allocation['id']}", json={field: value}), 422, field)
        assert (await client.get(f"{URL}/{allocation['id']}")).json() == allocation

    async def test_put_replaces_and_clears_omitted_fields(self, client: httpx2.AsyncClient) -> None:
        allocation = await create_allocation(
            client, reference="DEC-1", decided_on="2020-12-01", subsidy_share=0.5, nature="in-kind"
        )
        other_stream = await create_stream(client)
        body = {
            "stream_id": other_stream["id"],
            "lab_id": allocation["lab_id"],
            "amount_cents": 42,
            "status": "committed",
        }
        response = await client.put(f"{URL}/{allocation['id']}", json=body)
        assert response.status_code == 200, response.text
        replaced = response.json()
        assert {k: replaced[k] for k in body} == body
        assert (replaced["reference"], replaced["decided_on"]) == (None, None)
        assert (replaced["subsidy_share"], replaced["nature"]) == (1, "cash")

    async def test_identical_write_keeps_the_version(self, client: httpx2.AsyncClient) -> None:
        allocation = await create_allocation(client, subsidy_share=0.25)
        response = await client.patch(
            f"{URL}/{allocation['id']}", json={"subsidy_share": "0.2500", "amount_cents": allocation["amount_cents"]}
        )
        assert response.status_code == 200, response.text
        assert response.json()["version"] == 1


class TestDeleteAllocation:
    async def test_deleted_then_404(self, client: httpx2.AsyncClient) -> None:
        allocation = await create_allocation(client)
        assert (await client.delete(f"{URL}/{allocation['id']}")).status_code == 204
        assert_problem(await client.get(f"{URL}/{allocation['id']}"), 404)

    async def test_refused_while_disbursements_exist(self, client: httpx2.AsyncClient) -> None:
        allocation = await create_allocation(client)
        await create_disbursement(client, allocation["id"])
        body = assert_problem(await client.delete(f"{URL}/{allocation['id']}"), 409)
        assert "1 disbursements" in body["detail"]
        assert (await client.get(f"{URL}/{allocation['id']}")).json() == allocation
        assert await total(client, f"{URL}/{allocation['id']}/disbursements") == 1

    async def test_unknown_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.delete(f"{URL}/{UNKNOWN_ID}"), 404)
