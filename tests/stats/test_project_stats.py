"""/stats/projects and /stats/scaling: every grouping on a hand-built dataset, filters, replication trees."""

from typing import Any

import httpx2
import pytest

from tests.factories import create_lab, create_project
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio

STATS = "/api/v1/stats/projects"
SCALING = "/api/v1/stats/scaling"


async def get(client: httpx2.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def rows(body: dict[str, Any]) -> list[tuple[str | None, str, int, int]]:
    return [(g["key"], g["label"], g["count"], g["participants"]) for g in body["groups"]]


@pytest.fixture
async def dataset(client: httpx2.AsyncClient) -> dict[str, Any]:
    lab_a = await create_lab(client, name="Lab A", slug="lab-a", region_code="53")
    lab_b = await create_lab(client, name="Lab B", slug="lab-b", region_code="04")
    await create_project(
        client, lab_id=lab_a["id"], status="piloting", users_involved=100, agents_involved=10, starts_on="2019-01-10"
    )
    await create_project(
        client, lab_id=lab_a["id"], kind="action", status="completed", users_involved=50, starts_on="2020-02-01"
    )
    await create_project(client, lab_id=lab_b["id"], theme_code="territorial", status="exploring")
    await create_project(
        client, region_code="76", theme_code="design", status="abandoned", users_involved=5, agents_involved=5
    )
    await create_project(client, kind="action", theme_code="territorial", status="completed", agents_involved=7)
    return {"lab_a": lab_a, "lab_b": lab_b}


class TestProjectStats:
    async def test_by_status_is_the_default(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        body = await get(client, STATS)
        assert body["group_by"] == "status"
        assert (body["total"], body["participants"], body["users_involved"], body["agents_involved"]) == (
            5,
            177,
            155,
            22,
        )
        assert rows(body) == [
            ("completed", "Terminé", 2, 57),
            ("abandoned", "Abandonné", 1, 10),
            ("exploring", "Exploration", 1, 0),
            ("piloting", "Expérimentation", 1, 110),
        ]
        assert body["groups"][0]["users_involved"] == 50
        assert body["groups"][0]["agents_involved"] == 7

    @pytest.mark.parametrize(
        ("group_by", "expected"),
        [
            ("kind", [("project", "Projet", 3, 120), ("action", "Action", 2, 57)]),
            (
                "theme",
                [
                    ("service-usager", "Service à l'usager", 2, 160),
                    ("territorial", "Innovation territoriale", 2, 7),
                    ("design", "Design", 1, 10),
                ],
            ),
            (
                "region",
                [
                    ("53", "Bretagne", 2, 160),
                    ("04", "La Réunion", 1, 0),
                    ("76", "Occitanie", 1, 10),
                    (None, "Région non renseignée", 1, 7),
                ],
            ),
            ("lab", [("lab-a", "Lab A", 2, 160), (None, "Sans laboratoire", 2, 17), ("lab-b", "Lab B", 1, 0)]),
        ],
    )
    async def test_every_grouping(
        self,
        client: httpx2.AsyncClient,
        dataset: dict[str, Any],
        group_by: str,
        expected: list[tuple[str | None, str, int, int]],
    ) -> None:
        body = await get(client, STATS, group_by=group_by)
        assert (body["group_by"], body["total"]) == (group_by, 5)
        assert rows(body) == expected

    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"lab": "lab-a"},
            {"region": "Bretagne"},
            {"theme": "Territorial"},
            {"status": "completed"},
            {"kind": "action"},
            {"starts_after": "2019-06-01"},
            {"starts_before": "2019-06-01"},
        ],
    )
    async def test_total_is_the_list_total(
        self, client: httpx2.AsyncClient, dataset: dict[str, Any], params: dict[str, str]
    ) -> None:
        listed = await client.get("/api/v1/projects", params={**params, "include_total": True, "limit": 1})
        expected = listed.json()["total"]
        for group_by in ("status", "lab"):
            body = await get(client, STATS, group_by=group_by, **params)
            assert body["total"] == expected
            assert sum(g["count"] for g in body["groups"]) == expected

    async def test_csv(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        response = await client.get(STATS, params={"group_by": "kind", "output": "csv", "separator": "semicolon"})
        assert response.content.decode("utf-8-sig").splitlines() == [
            "key;label;count;participants;users_involved;agents_involved",
            "project;Projet;3;120;105;15",
            "action;Action;2;57;50;7",
        ]

    @pytest.mark.parametrize(("param", "value"), [("group_by", "format"), ("status", "done"), ("limit", "5")])
    async def test_bad_parameter_is_refused(self, client: httpx2.AsyncClient, param: str, value: str) -> None:
        assert_problem(await client.get(STATS, params={param: value}), 422, param)


class TestScaling:
    async def test_replicas_and_territories_of_each_original(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, slug="lab-a", region_code="53")
        idea = await create_project(client, slug="p1-idea", lab_id=lab["id"])
        near = await create_project(client, slug="p2-near", region_code="04", replicates_project_id=idea["id"])
        # A replica of a replica takes the original idea further; back in Bretagne it adds no territory.
        far = await create_project(client, slug="p3-far", region_code="53", replicates_project_id=near["id"])
        south = await create_project(client, slug="p2-south", region_code="76", replicates_project_id=idea["id"])
        other = await create_project(client, slug="p5-other", region_code="11")
        copy = await create_project(client, slug="p6-copy", region_code="11", replicates_project_id=other["id"])
        await create_project(client, slug="p7-alone", region_code="28")

        body = await get(client, SCALING)

        assert (body["total"], body["replicas"]) == (2, 4)
        first, second = body["originals"]
        assert (first["id"], first["slug"], first["region_code"], first["lab_id"]) == (
            idea["id"],
            "p1-idea",
            "53",
            lab["id"],
        )
        assert (first["replica_count"], first["territories"]) == (3, 3)
        assert first["regions"] == [
            {"code": "04", "name": "La Réunion"},
            {"code": "53", "name": "Bretagne"},
            {"code": "76", "name": "Occitanie"},
        ]
        assert [(r["id"], r["replicates_project_id"]) for r in first["replicas"]] == [
            (near["id"], idea["id"]),
            (south["id"], idea["id"]),
            (far["id"], near["id"]),
        ]
        assert (second["id"], second["replica_count"], second["territories"]) == (other["id"], 1, 1)
        assert [r["id"] for r in second["replicas"]] == [copy["id"]]

    async def test_filters_choose_the_originals(self, client: httpx2.AsyncClient) -> None:
        idea = await create_project(client, region_code="53", theme_code="design")
        await create_project(client, region_code="04", replicates_project_id=idea["id"])
        other = await create_project(client, region_code="11")
        await create_project(client, region_code="53", replicates_project_id=other["id"])

        by_region = await get(client, SCALING, region="11")
        by_theme = await get(client, SCALING, theme="design")

        assert [o["id"] for o in by_region["originals"]] == [other["id"]]
        assert [o["id"] for o in by_theme["originals"]] == [idea["id"]]

    async def test_nothing_replicated(self, client: httpx2.AsyncClient) -> None:
        await create_project(client)
        assert await get(client, SCALING) == {"total": 0, "replicas": 0, "originals": []}

    async def test_csv(self, client: httpx2.AsyncClient) -> None:
        idea = await create_project(client, slug="idee", title="=Idée", region_code="53")
        await create_project(client, slug="copie", region_code="04", replicates_project_id=idea["id"])
        response = await client.get(SCALING, params={"output": "csv"})
        assert response.content.decode("utf-8-sig").splitlines() == [
            "slug,title,region_code,replica_count,territories,regions,replicas",
            'idee,\'=Idée,53,1,2,"04, 53",copie',
        ]
