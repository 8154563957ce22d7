"""/stats/overview and /stats/coverage on hand-built data: the definitions of funded labs, training sessions,
people reached and uncovered regions."""

from typing import Any

import httpx2
import pytest

from app.reference.data import REGIONS
from tests.factories import create_allocation, create_disbursement, create_event, create_lab, create_project
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio

OVERVIEW = "/api/v1/stats/overview"
COVERAGE = "/api/v1/stats/coverage"


async def get(client: httpx2.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def dataset(client: httpx2.AsyncClient) -> dict[str, Any]:
    lab_a = await create_lab(client, slug="lab-a", region_code="53")
    lab_b = await create_lab(client, slug="lab-b", region_code="04")
    lab_c = await create_lab(client, slug="lab-c", region_code="76")
    await create_lab(client, slug="lab-d", region_code="28", status="planned")
    funded = await create_allocation(client, lab_id=lab_a["id"], amount_cents=300_000, status="committed")
    await create_disbursement(client, funded["id"], amount_cents=100_000)
    await create_allocation(client, lab_id=lab_a["id"], amount_cents=50_000, status="committed")
    await create_allocation(client, lab_id=lab_b["id"], amount_cents=200_000, status="committed")
    # Proposed or cancelled money does not make a lab funded.
    await create_allocation(client, lab_id=lab_c["id"], status="proposed")
    await create_allocation(client, lab_id=lab_c["id"], status="cancelled")
    await create_project(client, lab_id=lab_a["id"], users_involved=10, agents_involved=5)
    await create_project(client, lab_id=lab_b["id"], kind="action", agents_involved=3)
    await create_event(client, lab_id=lab_a["id"], format="formation", participants_count=12)
    # A cancelled training is no session and reached no one.
    await create_event(client, lab_id=lab_a["id"], format="formation", status="cancelled", participants_count=4)
    await create_event(client, lab_id=lab_b["id"], format="webinaire", participants_count=20)
    await create_event(client, lab_id=lab_c["id"], format="formation", status="moved-online")
    return {"lab_a": lab_a}


class TestOverview:
    async def test_headline_figures(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        assert await get(client, OVERVIEW) == {
            "labs_funded": 2,
            "labs_active": 3,
            "projects_and_actions": 2,
            "projects": 1,
            "actions": 1,
            "training_sessions": 2,
            "events": 3,
            "events_cancelled": 1,
            "participants": 32,
            "users_involved": 10,
            "agents_involved": 8,
            "people_reached": 50,
            "regions_covered": 3,
            "regions_uncovered": 15,
            "committed_cents": 550_000,
            "disbursed_cents": 100_000,
        }

    async def test_one_region(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        body = await get(client, OVERVIEW, region="Bretagne")
        assert (body["labs_funded"], body["labs_active"], body["regions_covered"], body["regions_uncovered"]) == (
            1,
            1,
            1,
            0,
        )
        assert (body["projects_and_actions"], body["training_sessions"], body["events"], body["people_reached"]) == (
            1,
            1,
            1,
            27,
        )
        assert body["committed_cents"] == 350_000
        uncovered = await get(client, OVERVIEW, region="28")
        assert (uncovered["regions_covered"], uncovered["regions_uncovered"], uncovered["labs_active"]) == (0, 1, 0)

    async def test_one_lab(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        for lab in ("lab-a", dataset["lab_a"]["id"]):
            body = await get(client, OVERVIEW, lab=lab)
            assert (body["labs_funded"], body["labs_active"], body["projects_and_actions"]) == (1, 1, 1)
            assert (body["training_sessions"], body["events"], body["events_cancelled"]) == (1, 1, 1)
            assert (body["people_reached"], body["committed_cents"], body["disbursed_cents"]) == (27, 350_000, 100_000)

    async def test_empty_database(self, client: httpx2.AsyncClient) -> None:
        body = await get(client, OVERVIEW)
        assert body == {**dict.fromkeys(body, 0), "regions_uncovered": len(REGIONS)}

    async def test_csv(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        response = await client.get(OVERVIEW, params={"output": "csv", "separator": "semicolon"})
        header, values = response.content.decode("utf-8-sig").splitlines()
        assert dict(zip(header.split(";"), values.split(";"), strict=True))["people_reached"] == "50"

    @pytest.mark.parametrize(("param", "value"), [("region", "Atlantide"), ("theme", "design")])
    async def test_bad_parameter_is_refused(self, client: httpx2.AsyncClient, param: str, value: str) -> None:
        assert_problem(await client.get(OVERVIEW, params={param: value}), 422, param)


class TestCoverage:
    async def test_every_region_with_its_labs_and_the_uncovered_ones(self, client: httpx2.AsyncClient) -> None:
        rennes = await create_lab(client, name="Lab'Bretagne", slug="bretagne", region_code="53", city="Rennes")
        brest = await create_lab(client, name="Atelier de Brest", slug="brest", region_code="53", city="Brest")
        rouen = await create_lab(client, name="Lab'Normandie", slug="normandie", region_code="28", status="planned")
        await create_lab(client, name="Ancien lab", region_code="11", status="closed")

        body = await get(client, COVERAGE)

        assert [r["code"] for r in body["regions"]] == [code for code, _, _ in REGIONS]
        bretagne = next(r for r in body["regions"] if r["code"] == "53")
        assert bretagne["name"] == "Bretagne"
        assert bretagne["active_labs"] == [
            {"id": brest["id"], "slug": "brest", "name": "Atelier de Brest", "city": "Brest"},
            {"id": rennes["id"], "slug": "bretagne", "name": "Lab'Bretagne", "city": "Rennes"},
        ]
        normandie = next(r for r in body["regions"] if r["code"] == "28")
        assert (normandie["active_labs"], [lab["id"] for lab in normandie["planned_labs"]]) == ([], [rouen["id"]])
        assert {"code": "28", "name": "Normandie"} in body["uncovered"]
        assert {"code": "11", "name": "Île-de-France"} in body["uncovered"]
        assert [r["code"] for r in body["uncovered"]] == [code for code, _, _ in REGIONS if code != "53"]

    async def test_one_region(self, client: httpx2.AsyncClient) -> None:
        body = await get(client, COVERAGE, region="la reunion")
        assert body == {
            "regions": [{"code": "04", "name": "La Réunion", "active_labs": [], "planned_labs": []}],
            "uncovered": [{"code": "04", "name": "La Réunion"}],
        }

    async def test_csv(self, client: httpx2.AsyncClient) -> None:
        await create_lab(client, name="Lab'Bretagne", region_code="53")
        await create_lab(client, name="Atelier de Brest", region_code="53")
        response = await client.get(COVERAGE, params={"output": "csv", "region": "53"})
        assert response.content.decode("utf-8-sig").splitlines() == [
            "code,name,covered,active_labs,planned_labs",
            '53,Bretagne,true,"Atelier de Brest, Lab\'Bretagne",',
        ]
