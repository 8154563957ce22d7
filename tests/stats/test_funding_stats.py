"""/stats/funding and /labs/{lab}/funding: money by stream, region, lab, year and status on a known dataset."""

from typing import Any

import httpx2
import pytest

from tests.conftest import BuiltOnce
from tests.factories import (
    create_allocation,
    create_disbursement,
    create_lab,
    create_organization,
    create_project,
    create_stream,
)
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio

STATS = "/api/v1/stats/funding"
EURO = 100
MONEY = ("count", "envelope_cents", "committed_cents", "proposed_cents", "disbursed_cents", "remaining_cents")


async def get(client: httpx2.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def money(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Key, label, count, envelope, committed, proposed, disbursed, remaining, outstanding — in euros."""
    return [
        (
            g["key"],
            g["label"],
            g["count"],
            None if g["envelope_cents"] is None else g["envelope_cents"] // EURO,
            g["committed_cents"] // EURO,
            g["proposed_cents"] // EURO,
            g["disbursed_cents"] // EURO,
            None if g["remaining_cents"] is None else g["remaining_cents"] // EURO,
            g["outstanding_cents"] // EURO,
        )
        for g in body["groups"]
    ]


@pytest.fixture
async def dataset(client: httpx2.AsyncClient, built_once: BuiltOnce) -> dict[str, Any]:
    """Built through the API once per run (per worker), put back as rows for each later test."""
    return await built_once(lambda: _dataset(client))


async def _dataset(client: httpx2.AsyncClient) -> dict[str, Any]:
    ftap = await create_stream(client, code="FTAP", name="Fonds FTAP", envelope_cents=1_000_000 * EURO)
    relance = await create_stream(client, code="RELANCE", name="France Relance", envelope_cents=None)
    await create_stream(client, code="VIDE", name="Fonds vide", envelope_cents=5_000 * EURO)
    lab_a = await create_lab(client, name="Lab A", slug="lab-a", region_code="53")
    lab_b = await create_lab(client, name="Lab B", slug="lab-b", region_code="04")
    lab_c = await create_lab(client, name="Lab C", slug="lab-c", region_code="76")
    organization = await create_organization(client, region_code="11")
    project = await create_project(client, region_code="84")

    async def allocate(stream: dict[str, Any], euros: int, status: str, **fields: Any) -> dict[str, Any]:
        return await create_allocation(
            client, stream_id=stream["id"], amount_cents=euros * EURO, status=status, **fields
        )

    a1 = await allocate(ftap, 300_000, "committed", lab_id=lab_a["id"], decided_on="2019-05-01")
    await create_disbursement(client, a1["id"], amount_cents=100_000 * EURO, paid_on="2019-07-01")
    await create_disbursement(client, a1["id"], amount_cents=50_000 * EURO, paid_on="2020-01-15")
    a2 = await allocate(ftap, 200_000, "committed", lab_id=lab_b["id"], decided_on="2020-03-01")
    await create_disbursement(client, a2["id"], amount_cents=200_000 * EURO, paid_on="2020-05-01")
    await allocate(ftap, 50_000, "proposed", lab_id=lab_a["id"])
    await allocate(ftap, 40_000, "cancelled", lab_id=lab_c["id"], decided_on="2020-06-01")
    a5 = await allocate(relance, 80_000, "committed", project_id=project["id"], decided_on="2020-12-10")
    await create_disbursement(client, a5["id"], amount_cents=20_000 * EURO, paid_on="2021-02-01")
    await allocate(relance, 10_000, "committed", organization_id=organization["id"], decided_on="2021-01-05")
    await allocate(relance, 25_000, "proposed", lab_id=lab_c["id"])
    return {"lab_a": lab_a, "lab_c": lab_c, "ftap": ftap}


class TestFundingStats:
    async def test_by_stream_is_the_default(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        body = await get(client, STATS)
        assert body["group_by"] == "stream"
        assert (body["total"], body["currency"]) == (7, "EUR")
        totals = ("committed_cents", "proposed_cents", "disbursed_cents", "outstanding_cents")
        assert [body[t] // EURO for t in totals] == [590_000, 75_000, 370_000, 220_000]
        assert money(body) == [
            ("FTAP", "Fonds FTAP", 4, 1_000_000, 500_000, 50_000, 350_000, 500_000, 150_000),
            ("RELANCE", "France Relance", 3, None, 90_000, 25_000, 20_000, None, 70_000),
            ("VIDE", "Fonds vide", 0, 5_000, 0, 0, 0, 5_000, 0),
        ]

    @pytest.mark.parametrize(
        ("group_by", "expected"),
        [
            (
                "region",
                [
                    ("53", "Bretagne", 2, None, 300_000, 50_000, 150_000, None, 150_000),
                    ("04", "La Réunion", 1, None, 200_000, 0, 200_000, None, 0),
                    ("84", "Auvergne-Rhône-Alpes", 1, None, 80_000, 0, 20_000, None, 60_000),
                    ("11", "Île-de-France", 1, None, 10_000, 0, 0, None, 10_000),
                    ("76", "Occitanie", 2, None, 0, 25_000, 0, None, 0),
                ],
            ),
            (
                "lab",
                [
                    ("lab-a", "Lab A", 2, None, 300_000, 50_000, 150_000, None, 150_000),
                    ("lab-b", "Lab B", 1, None, 200_000, 0, 200_000, None, 0),
                    (None, "Sans laboratoire", 2, None, 90_000, 0, 20_000, None, 70_000),
                    ("lab-c", "Lab C", 2, None, 0, 25_000, 0, None, 0),
                ],
            ),
            (
                "year",
                [
                    ("2019", "2019", 1, None, 300_000, 0, 150_000, None, 150_000),
                    ("2020", "2020", 3, None, 280_000, 0, 220_000, None, 60_000),
                    ("2021", "2021", 1, None, 10_000, 0, 0, None, 10_000),
                    (None, "Date de décision non renseignée", 2, None, 0, 75_000, 0, None, 0),
                ],
            ),
            (
                "status",
                [
                    ("committed", "Engagée", 4, None, 590_000, 0, 370_000, None, 220_000),
                    ("proposed", "Proposée", 2, None, 0, 75_000, 0, None, 0),
                    ("cancelled", "Annulée", 1, None, 0, 0, 0, None, 0),
                ],
            ),
        ],
    )
    async def test_every_grouping(
        self, client: httpx2.AsyncClient, dataset: dict[str, Any], group_by: str, expected: list[tuple[Any, ...]]
    ) -> None:
        body = await get(client, STATS, group_by=group_by)
        assert (body["group_by"], body["total"]) == (group_by, 7)
        assert money(body) == expected

    async def test_remaining_is_the_streams_own_whatever_the_filters(
        self, client: httpx2.AsyncClient, dataset: dict[str, Any]
    ) -> None:
        body = await get(client, STATS, lab="lab-a")
        assert body["total"] == 2
        assert money(body) == [
            ("FTAP", "Fonds FTAP", 2, 1_000_000, 300_000, 50_000, 150_000, 500_000, 150_000),
            ("RELANCE", "France Relance", 0, None, 0, 0, 0, None, 0),
            ("VIDE", "Fonds vide", 0, 5_000, 0, 0, 0, 5_000, 0),
        ]

    async def test_the_stream_filter_narrows_the_streams_listed(
        self, client: httpx2.AsyncClient, dataset: dict[str, Any]
    ) -> None:
        body = await get(client, STATS, stream="ftap")
        assert [g["key"] for g in body["groups"]] == ["FTAP"]
        assert body["total"] == 4

    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"stream": "RELANCE"},
            {"lab": "lab-c"},
            {"status": "committed"},
            {"nature": "cash"},
            {"decided_after": "2020-01-01"},
            {"decided_before": "2020-06-01"},
        ],
    )
    async def test_total_is_the_list_total(
        self, client: httpx2.AsyncClient, dataset: dict[str, Any], params: dict[str, str]
    ) -> None:
        listed = await client.get("/api/v1/allocations", params={**params, "include_total": True, "limit": 1})
        expected = listed.json()["total"]
        for group_by in ("stream", "region", "year"):
            body = await get(client, STATS, group_by=group_by, **params)
            assert body["total"] == expected
            assert sum(g["count"] for g in body["groups"]) == expected

    async def test_csv(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        response = await client.get(STATS, params={"group_by": "status"}, headers={"Accept": "text/csv"})
        assert response.content.decode("utf-8-sig").splitlines() == [
            "key,label,count,envelope_cents,committed_cents,proposed_cents,disbursed_cents,remaining_cents,"
            "outstanding_cents",
            "committed,Engagée,4,,59000000,0,37000000,,22000000",
            "proposed,Proposée,2,,0,7500000,0,,0",
            "cancelled,Annulée,1,,0,0,0,,0",
        ]


class TestLabFunding:
    async def test_a_labs_money_by_stream(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        by_slug = await get(client, "/api/v1/labs/lab-a/funding")
        by_id = await get(client, f"/api/v1/labs/{dataset['lab_a']['id']}/funding")
        assert by_slug == by_id
        assert by_slug["total"] == 2
        assert money(by_slug)[0] == ("FTAP", "Fonds FTAP", 2, 1_000_000, 300_000, 50_000, 150_000, 500_000, 150_000)

    async def test_filters_and_groupings(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        body = await get(client, "/api/v1/labs/lab-c/funding", group_by="status", status="proposed")
        assert money(body) == [("proposed", "Proposée", 1, None, 0, 25_000, 0, None, 0)]

    async def test_a_lab_without_money(self, client: httpx2.AsyncClient) -> None:
        await create_lab(client, slug="pauvre")
        body = await get(client, "/api/v1/labs/pauvre/funding", group_by="year")
        assert (body["total"], body["committed_cents"], body["groups"]) == (0, 0, [])

    async def test_unknown_lab(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/labs/nulle-part/funding"), 404)

    async def test_the_lab_filter_is_not_taken(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        assert_problem(await client.get("/api/v1/labs/lab-a/funding", params={"lab": "lab-c"}), 422, "lab")
