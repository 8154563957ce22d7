"""Upserts: keys, unchanged rows, dry runs, atomic and non-atomic loads, and the trail they leave."""

from typing import Any

import httpx2
import pytest

from tests.conftest import KeyMaker
from tests.factories import (
    create_allocation,
    create_campaign,
    create_disbursement,
    create_event,
    create_organization,
    create_partner,
    create_project,
)
from tests.helpers import assert_problem, total
from tests.imports.loading import JSONL, load, loaded

pytestmark = pytest.mark.anyio

LABS = (
    "external_id,name,region,city,latitude,longitude\r\n"
    'lab-bzh,Lab\'Bretagne,53,Rennes,"48,117","-1,678"\r\n'
    "lab-occ,Lab Occitanie,Occitanie,Toulouse,,\r\n"
)


async def test_a_dry_run_reports_and_writes_nothing(client: httpx2.AsyncClient) -> None:
    report = await loaded(client, "labs", LABS, dry_run=True)
    assert (report["dry_run"], report["applied"], report["read"], report["created"]) == (True, False, 2, 0)
    assert report["would_create"] == 2
    assert await total(client, "/api/v1/labs") == 0
    assert (await client.get("/api/v1/changes")).json()["items"] == []


async def test_a_dry_run_reports_rejections_with_422(client: httpx2.AsyncClient) -> None:
    problem = assert_problem(await load(client, "labs", LABS + "lab-x,Lab X,99,,,\r\n", dry_run=True), 422)
    assert (problem["dry_run"], problem["applied"], problem["rejected"]) == (True, False, 1)
    assert (problem["created"], problem["would_create"]) == (0, 2)
    assert await total(client, "/api/v1/labs") == 0


async def test_atomic_with_one_bad_row_writes_nothing(client: httpx2.AsyncClient) -> None:
    problem = assert_problem(await load(client, "labs", LABS + "lab-x,,53,,,\r\n"), 422)
    assert problem["errors"] == [{"line": 4, "column": "name", "value": None, "message": "Field required"}]
    assert "nothing was written" in problem["detail"]
    assert await total(client, "/api/v1/labs") == 0
    assert (await client.get("/api/v1/changes")).json()["items"] == []


async def test_non_atomic_writes_the_good_rows_and_reports_the_bad(client: httpx2.AsyncClient) -> None:
    body = LABS + "lab-x,Lab X,53,,91,\r\n" + "lab-y,Lab Y,53,,,\r\n"
    report = await loaded(client, "labs", body, atomic=False)
    assert (report["created"], report["rejected"]) == (3, 1)
    [error] = report["errors"]
    assert (error["line"], error["column"], error["value"]) == (4, "latitude", "91")
    assert await total(client, "/api/v1/labs") == 3


async def test_a_second_load_updates_what_changed_and_only_that(client: httpx2.AsyncClient) -> None:
    await loaded(client, "labs", LABS)
    before = (await client.get("/api/v1/labs/lab-occitanie")).json()
    changed = LABS.replace("Lab Occitanie,Occitanie,Toulouse", "Lab Occitanie,Occitanie,Montpellier")
    report = await loaded(client, "labs", changed)
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 1)
    after = (await client.get("/api/v1/labs/lab-occitanie")).json()
    assert (after["city"], after["version"], after["id"]) == ("Montpellier", before["version"] + 1, before["id"])
    assert (await client.get("/api/v1/labs/lab-bretagne")).json()["version"] == 1


async def test_empty_cells_keep_stored_values_and_json_null_clears_them(client: httpx2.AsyncClient) -> None:
    await loaded(client, "labs", LABS)
    report = await loaded(client, "labs", "external_id,name,city\r\nlab-bzh,Lab'Bretagne,\r\n")
    assert report["unchanged"] == 1
    assert (await client.get("/api/v1/labs/lab-bretagne")).json()["city"] == "Rennes"
    report = await loaded(client, "labs", '{"external_id": "lab-bzh", "city": null}\n', media_type=JSONL)
    assert report["updated"] == 1
    assert (await client.get("/api/v1/labs/lab-bretagne")).json()["city"] is None


async def test_rows_without_external_id_match_by_slug_or_by_name(client: httpx2.AsyncClient) -> None:
    organization = await create_organization(client, name="Ville de Brest", kind="collectivite")
    body = "name,kind,region\r\nVille de Brest,collectivite,53\r\nVille de Quimper,collectivite,53\r\n"
    report = await loaded(client, "organizations", body)
    assert (report["created"], report["updated"]) == (1, 1)
    stored = (await client.get(f"/api/v1/organizations/{organization['id']}")).json()
    assert stored["region_code"] == "53"
    again = await loaded(client, "organizations", body)
    assert again["unchanged"] == 2


async def test_a_new_row_whose_slug_is_taken_gets_the_next_one(client: httpx2.AsyncClient) -> None:
    await create_organization(client, name="Mairie", kind="collectivite")
    body = "external_id,name,kind\r\nm-1,Mairie,collectivite\r\nm-2,Mairie,collectivite\r\n"
    assert (await loaded(client, "organizations", body))["created"] == 2
    assert (await client.get("/api/v1/organizations/mairie-2")).json()["external_id"] == "m-1"
    assert (await client.get("/api/v1/organizations/mairie-3")).json()["external_id"] == "m-2"


async def test_events_need_an_external_id_to_be_found_again(client: httpx2.AsyncClient) -> None:
    body = (
        "title,theme,format,attendance_mode,audience,starts_at,ends_at,organizer\r\n"
        "Atelier,design,atelier,online,all,2020-11-17T10:00:00Z,2020-11-17T11:00:00Z,org\r\n"
    )
    await create_organization(client, slug="org")
    problem = assert_problem(await load(client, "events", body), 422)
    assert problem["errors"][0]["column"] == "external_id"
    assert "loading the file again" in problem["errors"][0]["message"]


async def test_a_value_another_row_holds_is_refused(client: httpx2.AsyncClient) -> None:
    await loaded(client, "labs", LABS)
    lab = (await client.get("/api/v1/labs/lab-bretagne")).json()
    problem = assert_problem(await load(client, "labs", f"id,external_id\r\n{lab['id']},lab-occ\r\n"), 422)
    assert problem["errors"][0]["column"] == "external_id"
    assert "already belongs to another lab" in problem["errors"][0]["message"]


async def test_an_export_loads_back_unchanged(client: httpx2.AsyncClient) -> None:
    for n in range(3):
        await create_event(client, external_id=f"evt-{n}", tags=["design", "usager"], participants_count=n)
    exported = await client.get("/api/v1/events", params={"output": "csv", "separator": "semicolon"})
    report = await loaded(client, "events", exported.content)
    assert (report["read"], report["unchanged"]) == (3, 3)


async def test_created_and_updated_rows_are_audited_and_in_the_change_feed(
    client: httpx2.AsyncClient, make_key: KeyMaker
) -> None:
    await loaded(client, "labs", LABS)
    await loaded(client, "labs", LABS.replace("Rennes", "Brest"))
    changes: list[dict[str, Any]] = (await client.get("/api/v1/changes")).json()["items"]
    assert [(c["entity_type"], c["action"], c["version"]) for c in changes] == [
        ("lab", "create", 1),
        ("lab", "create", 1),
        ("lab", "update", 2),
    ]
    assert [c["seq"] for c in changes] == sorted(c["seq"] for c in changes)
    assert changes[2]["data"]["city"] == "Brest"
    admin = {"Authorization": f"Bearer {await make_key('admin')}"}
    audit = (await client.get("/api/v1/audit", params={"entity_type": "lab"}, headers=admin)).json()["items"]
    update = next(entry for entry in audit if entry["action"] == "update")
    assert update["changes"] == {"city": ["Rennes", "Brest"]}
    prefix = client.headers["authorization"].removeprefix("Bearer ")[:11]
    assert update["actor"] == f"integrating app ({prefix})"


@pytest.mark.parametrize(
    ("resource", "path"),
    [
        ("organizations", "/api/v1/organizations"),
        ("labs", "/api/v1/labs"),
        ("funding-streams", "/api/v1/funding-streams"),
        ("allocations", "/api/v1/allocations"),
        ("projects", "/api/v1/projects"),
        ("campaigns", "/api/v1/campaigns"),
    ],
)
async def test_every_list_exported_loads_back_unchanged(client: httpx2.AsyncClient, resource: str, path: str) -> None:
    allocation = await create_allocation(client, external_id="alloc-1", purpose="=SUM(A1)")
    await create_disbursement(client, allocation["id"], external_id="d-1")
    project = await create_project(client, secondary_themes=["design"], starts_on="2021-01-04")
    await create_partner(client, project["id"], external_id="pp-1")
    await create_campaign(client)
    exported = await client.get(path, params={"output": "csv"})
    report = await loaded(client, resource, exported.content)
    assert report["read"] == report["unchanged"] > 0, report


async def test_nested_lists_exported_load_back_unchanged(client: httpx2.AsyncClient) -> None:
    allocation = await create_allocation(client)
    await create_disbursement(client, allocation["id"], external_id="d-1")
    project = await create_project(client)
    await create_partner(client, project["id"])
    disbursements = await client.get(f"/api/v1/allocations/{allocation['id']}/disbursements", params={"output": "csv"})
    assert (await loaded(client, "disbursements", disbursements.content))["unchanged"] == 1
    partners = await client.get(f"/api/v1/projects/{project['id']}/partners", params={"output": "jsonl"})
    assert (await loaded(client, "project-partners", partners.content, media_type=JSONL))["unchanged"] == 1
