"""The demo dataset: the press release's figures read back through the API, and a second run that changes nothing."""

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from app.core.config import Settings
from app.demo.catalog import DEMO_NOTE
from app.demo.dataset import Dataset, Kind, Ref, build_dataset
from app.demo.seed import SeedError, seed
from app.organizations.schemas import luhn_valid
from tests.conftest import DemoData
from tests.factories import create_lab, create_stream
from tests.helpers import bearer, total

pytestmark = pytest.mark.anyio

CAMPAIGN = "mois-innovation-publique-2020"


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return build_dataset()


async def count(client: httpx2.AsyncClient, path: str, **params: Any) -> int:
    response = await client.get(path, params={"include_total": True, "limit": 1, **params})
    assert response.status_code == 200, response.text
    found: int = response.json()["total"]
    return found


class TestDataset:
    """The generated records, before any database is involved."""

    def test_same_records_on_every_build(self, dataset: Dataset) -> None:
        assert build_dataset() == dataset

    def test_external_ids_are_stable_demo_keys_and_unique(self, dataset: Dataset) -> None:
        ids = [r.external_id for records in dataset.records.values() for r in records]
        assert all(i.startswith("demo-") for i in ids)
        assert len(ids) == len(set(ids))

    def test_references_point_to_records_loaded_before(self, dataset: Dataset) -> None:
        seen: set[str] = set()
        for kind in Kind:
            for record in dataset.records[kind]:
                refs = [v.external_id for v in record.fields.values() if isinstance(v, Ref)]
                assert set(refs) <= seen, record.external_id
                assert record.parent is None or record.parent in seen
                seen.add(record.external_id)

    def test_every_description_says_the_data_is_synthetic(self, dataset: Dataset) -> None:
        texts = [
            r.fields.get("description") or r.fields.get("summary")
            for kind in (Kind.lab, Kind.stream, Kind.project, Kind.campaign, Kind.event)
            for r in dataset.records[kind]
        ]
        assert texts
        assert all(text and DEMO_NOTE in text for text in texts)

    def test_sirets_pass_luhn_and_rnas_are_well_formed(self, dataset: Dataset) -> None:
        organizations = [r.fields for r in dataset.records[Kind.organization]]
        sirets = [o["siret"] for o in organizations if "siret" in o]
        assert sirets
        assert all(len(s) == 14 and luhn_valid(s) and luhn_valid(s[:9]) for s in sirets)
        assert len(sirets) == len(set(sirets))
        rnas = [o["rna"] for o in organizations if o["kind"] == "association"]
        assert rnas
        assert all(r[0] == "W" and r[1:].isdigit() and len(r) == 10 for r in rnas)

    def test_money_stays_within_envelopes_and_allocations(self, dataset: Dataset) -> None:
        envelopes = {r.external_id: r.fields["envelope_cents"] for r in dataset.records[Kind.stream]}
        committed: Counter[str] = Counter()
        for record in dataset.records[Kind.allocation]:
            if record.fields["status"] == "committed":
                committed[record.fields["stream_id"].external_id] += record.fields["amount_cents"]
        assert set(committed) == set(envelopes)
        assert all(committed[s] <= envelopes[s] for s in envelopes)
        allocations = {r.external_id: r.fields for r in dataset.records[Kind.allocation]}
        paid: Counter[str] = Counter()
        for record in dataset.records[Kind.disbursement]:
            assert record.parent is not None
            assert allocations[record.parent]["status"] == "committed"
            assert record.fields["paid_on"] >= allocations[record.parent]["decided_on"]
            paid[record.parent] += record.fields["amount_cents"]
        assert paid
        assert all(paid[a] <= allocations[a]["amount_cents"] for a in paid)


@pytest.fixture
async def demo_client(demo_data: DemoData) -> AsyncIterator[httpx2.AsyncClient]:
    """A client with `client`'s scopes on the demo dataset, seeded once into an empty database (conftest's
    `demo_data`)."""
    transport = httpx2.ASGITransport(app=demo_data.app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test", headers=bearer(demo_data.key)) as http:
        yield http


@pytest.mark.slow
class TestSeedDemo:
    """The first three read the run's seeded demo (the seed takes seconds); the last two seed the shared test
    database, emptied after each test, over the rows they need there first."""

    async def test_reproduces_the_press_release(self, demo_data: DemoData, demo_client: httpx2.AsyncClient) -> None:
        report, client = demo_data.report, demo_client
        assert report.total_created > 0
        assert not any(report.present.values())

        assert await total(client, "/api/v1/labs") == 10
        assert await count(client, "/api/v1/labs", status="active") == 9
        planned = (await client.get("/api/v1/labs", params={"status": "planned"})).json()["items"]
        assert [lab["region_code"] for lab in planned] == ["28"]
        for region in ("75", "53", "32", "76"):
            assert await count(client, "/api/v1/labs", status="active", region=region) == 1

        assert await count(client, "/api/v1/events", campaign=CAMPAIGN) == 356
        for theme, expected in (("service-usager", 100), ("innovation-manageriale", 66), ("territorial", 57)):
            assert await count(client, "/api/v1/events", campaign=CAMPAIGN, theme=theme) == expected
        assert await count(client, "/api/v1/events", format="formation") == 500

        assert await total(client, "/api/v1/projects") == 198
        assert await count(client, "/api/v1/projects", kind="project") == 140
        assert await count(client, "/api/v1/projects", kind="action") == 58
        assert await count(client, "/api/v1/funding-streams") == 2

    async def test_two_labs_have_work_awaiting_review(self, demo_client: httpx2.AsyncClient) -> None:
        client = demo_client
        queue = await client.get("/api/v1/events", params={"publication": "submitted"})
        drafts = await client.get("/api/v1/projects", params={"publication": "draft,submitted"})

        assert [e["external_id"] for e in queue.json()["items"]] == ["demo-event-unpublished-1"]
        assert {p["publication"] for p in drafts.json()["items"]} == {"draft", "submitted"}
        assert len({p["lab_id"] for p in drafts.json()["items"]}) == 2
        assert await count(client, "/api/v1/events", publication="any") == await total(client, "/api/v1/events") + 2

    async def test_second_run_changes_nothing(self, demo_data: DemoData, demo_client: httpx2.AsyncClient) -> None:
        first, client = demo_data.report, demo_client
        samples = [
            (await client.get("/api/v1/labs/bretagne")).json(),
            (await client.get("/api/v1/events", params={"campaign": CAMPAIGN, "limit": 1})).json()["items"][0],
            (await client.get("/api/v1/projects", params={"limit": 1})).json()["items"][0],
        ]

        second = await seed(demo_data.settings)

        assert second.total_created == 0
        assert second.present == first.created
        assert await total(client, "/api/v1/labs") == 10
        assert await count(client, "/api/v1/events", publication="any") == first.created[Kind.event]
        assert await count(client, "/api/v1/projects", publication="any") == 200
        assert await total(client, "/api/v1/organizations") == first.created[Kind.organization]
        assert await total(client, "/api/v1/allocations") == first.created[Kind.allocation]
        assert (await client.get("/api/v1/labs/bretagne")).json() == samples[0]
        assert (await client.get(f"/api/v1/events/{samples[1]['id']}")).json() == samples[1]
        assert (await client.get(f"/api/v1/projects/{samples[2]['id']}")).json() == samples[2]

    async def test_existing_stream_with_the_same_code_is_used(
        self, client: httpx2.AsyncClient, settings: Settings
    ) -> None:
        stream = await create_stream(client, code="FTAP", name="FTAP", envelope_cents=70_000_000_000)

        report = await seed(settings)

        assert (report.created[Kind.stream], report.present[Kind.stream]) == (1, 1)
        assert await total(client, "/api/v1/funding-streams") == 2
        assert await count(client, "/api/v1/allocations", stream=stream["id"]) > 0
        assert (await client.get(f"/api/v1/funding-streams/{stream['id']}")).json() == stream

    async def test_a_refused_record_stops_the_run_and_writes_nothing(
        self, client: httpx2.AsyncClient, settings: Settings
    ) -> None:
        await create_lab(client, slug="bretagne")

        with pytest.raises(SeedError, match="demo-lab-bretagne"):
            await seed(settings)

        assert await total(client, "/api/v1/labs") == 1
        assert await total(client, "/api/v1/organizations") == 0
