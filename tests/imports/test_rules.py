"""The rules of single writes hold row by row in a file: money, lifecycle, partners, time zones."""

import httpx2
import pytest

from tests.factories import create_allocation, create_lab, create_organization, create_project, create_stream
from tests.helpers import assert_problem, total
from tests.imports.loading import load, loaded

pytestmark = pytest.mark.anyio


class TestMoney:
    async def test_a_file_cannot_commit_beyond_the_envelope(self, client: httpx2.AsyncClient) -> None:
        await create_stream(client, code="FTAP", envelope_cents=10_000)
        await create_lab(client, slug="lab-a")
        body = (
            "external_id;stream;lab;amount_cents;status\r\n"
            "a-1;ftap;lab-a;6000;committed\r\n"
            "a-2;FTAP;lab-a;5000;proposed\r\n"
            "a-3;FTAP;lab-a;4001;committed\r\n"
            "a-4;FTAP;lab-a;4000;committed\r\n"
        )
        report = await loaded(client, "allocations", body, atomic=False)
        assert (report["created"], report["rejected"]) == (3, 1)
        [error] = report["errors"]
        assert (error["line"], error["column"]) == (4, "amount_cents")
        assert "already committed 6000, requested 4001 (over by 1)" in error["message"]

    async def test_payments_need_a_committed_allocation_with_enough_left(self, client: httpx2.AsyncClient) -> None:
        committed = await create_allocation(client, external_id="alloc-c", amount_cents=1000)
        await create_allocation(client, external_id="alloc-p", amount_cents=1000, status="proposed")
        body = (
            "external_id,allocation,amount_cents,paid_on\r\n"
            "d-1,alloc-c,600,15/03/2021\r\n"
            "d-2,alloc-c,400,15/04/2021\r\n"
            "d-3,alloc-c,1,15/05/2021\r\n"
            "d-4,alloc-p,1,15/05/2021\r\n"
        )
        report = await loaded(client, "disbursements", body, atomic=False)
        assert [(e["line"], e["column"]) for e in report["errors"]] == [(4, "amount_cents"), (5, "allocation")]
        paid = (await client.get(f"/api/v1/allocations/{committed['id']}/disbursements")).json()["items"]
        assert [(d["amount_cents"], d["paid_on"]) for d in paid] == [(600, "2021-03-15"), (400, "2021-04-15")]

    async def test_an_allocation_with_payments_stays_committed(self, client: httpx2.AsyncClient) -> None:
        allocation = await create_allocation(client, external_id="alloc-1", amount_cents=1000)
        await client.post(
            f"/api/v1/allocations/{allocation['id']}/disbursements", json={"amount_cents": 700, "paid_on": "2021-01-04"}
        )
        problem = assert_problem(
            await load(client, "allocations", "external_id,status,amount_cents\r\nalloc-1,cancelled,1000\r\n"), 422
        )
        assert "700 cents were already disbursed" in problem["errors"][0]["message"]
        problem = assert_problem(await load(client, "allocations", "external_id,amount_cents\r\nalloc-1,699\r\n"), 422)
        assert "short by 1" in problem["errors"][0]["message"]

    async def test_an_envelope_goes_no_lower_than_what_is_committed(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client, code="RELANCE", envelope_cents=10_000)
        await create_allocation(client, stream_id=stream["id"], amount_cents=8000)
        problem = assert_problem(
            await load(client, "funding-streams", "code,name,envelope_cents\r\nRELANCE,France Relance,7999\r\n"), 422
        )
        assert problem["errors"][0]["column"] == "envelope_cents"
        report = await loaded(client, "funding-streams", "code,name,envelope_cents\r\nRELANCE,France Relance,8000\r\n")
        assert report["updated"] == 1


class TestProjects:
    BODY = (
        "external_id,title,kind,theme,status,lab\r\nprj-1,Accueil en préfecture,project,Service à l'usager,{},lab-p\r\n"
    )

    async def test_the_lifecycle_moves_forward_and_is_kept_in_the_history(self, client: httpx2.AsyncClient) -> None:
        await create_lab(client, slug="lab-p", region_code="76")
        await loaded(client, "projects", self.BODY.format("exploring"))
        await loaded(client, "projects", self.BODY.format("piloting"))
        project = (await client.get("/api/v1/projects/accueil-en-prefecture")).json()
        assert (project["status"], project["region_code"], project["theme_code"]) == (
            "piloting",
            "76",
            "service-usager",
        )
        history = (await client.get("/api/v1/projects/accueil-en-prefecture/history")).json()
        assert [(h["from_status"], h["to_status"]) for h in history] == [(None, "exploring"), ("exploring", "piloting")]
        problem = assert_problem(await load(client, "projects", self.BODY.format("designing")), 422)
        assert "cannot move from piloting to designing" in problem["errors"][0]["message"]

    async def test_a_project_may_replicate_one_earlier_in_the_file(self, client: httpx2.AsyncClient) -> None:
        body = (
            "external_id,title,kind,theme,replicates\r\n"
            "p-1,Original,project,design,\r\n"
            "p-2,Replica,project,design,p-1\r\n"
            "p-3,Orphan,project,design,p-9\r\n"
        )
        report = await loaded(client, "projects", body, atomic=False)
        assert (report["created"], report["rejected"]) == (2, 1)
        replica = (await client.get("/api/v1/projects/replica")).json()
        original = (await client.get("/api/v1/projects/original")).json()
        assert replica["replicates_project_id"] == original["id"]

    async def test_partners_are_found_by_project_organization_and_role(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client, slug="projet-a")
        await create_organization(client, slug="ville-a")
        body = "project,organization,role\r\nprojet-a,ville-a,pilot\r\nprojet-a,ville-a,funder\r\n"
        assert (await loaded(client, "project-partners", body))["created"] == 2
        assert (await loaded(client, "project-partners", body))["unchanged"] == 2
        assert await total(client, f"/api/v1/projects/{project['id']}/partners") == 2
        problem = assert_problem(await load(client, "project-partners", body + "projet-a,ville-a,pilot\r\n"), 422)
        assert "appears twice" in problem["errors"][0]["message"]


class TestEvents:
    HEADER = "external_id,title,theme,format,attendance_mode,audience,starts_at,ends_at,lab,region,city\r\n"

    async def test_local_times_are_read_in_the_region_zone(self, client: httpx2.AsyncClient) -> None:
        await create_lab(client, slug="lab-run", region_code="04")
        row = "e-1,Atelier,design,atelier,in-person,all,17/11/2020 10:00,17/11/2020 12:00,lab-run,,Saint-Denis\r\n"
        body = self.HEADER + row
        await loaded(client, "events", body)
        event = (await client.get("/api/v1/events", params={"lab": "lab-run"})).json()["items"][0]
        assert (event["starts_at"], event["timezone"], event["region_code"]) == (
            "2020-11-17T06:00:00Z",
            "Indian/Reunion",
            "04",
        )

    async def test_a_time_the_clocks_skip_and_an_end_before_the_start(self, client: httpx2.AsyncClient) -> None:
        await create_lab(client, slug="lab-paris", region_code="11")
        body = (
            self.HEADER
            + "e-1,Gap,design,atelier,in-person,all,29/03/2020 02:30,29/03/2020 04:00,lab-paris,,Paris\r\n"
            + "e-2,Reversed,design,atelier,in-person,all,29/03/2020 10:00,29/03/2020 09:00,lab-paris,,Paris\r\n"
        )
        problem = assert_problem(await load(client, "events", body), 422)
        assert [(e["line"], e["column"]) for e in problem["errors"]] == [(2, "starts_at"), (3, "ends_at")]
        assert "does not exist in Europe/Paris" in problem["errors"][0]["message"]
