"""Every list as a whole-list export: CSV (BOM, `,` or `;`) and JSON Lines, with the list's filters and sort."""

import csv
import io
from typing import Any

import httpx2
import orjson
import pytest

from tests.factories import (
    create_allocation,
    create_campaign,
    create_disbursement,
    create_event,
    create_lab,
    create_organization,
    create_project,
)
from tests.helpers import assert_problem

pytestmark = [pytest.mark.anyio, pytest.mark.lists]

BOM = "\ufeff"


def read_csv(response: httpx2.Response, delimiter: str = ",") -> list[dict[str, str]]:
    text = response.content.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM)), delimiter=delimiter))


def read_jsonl(response: httpx2.Response) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in response.content.splitlines() if line]


class TestCsv:
    async def test_output_csv_answers_the_whole_list_beyond_one_page(self, client: httpx2.AsyncClient) -> None:
        for n in range(120):
            await create_organization(client, name=f"Organisation {n:03d}")
        response = await client.get("/api/v1/organizations", params={"output": "csv", "sort": "name"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv; charset=utf-8")
        rows = read_csv(response)
        assert [row["name"] for row in rows] == [f"Organisation {n:03d}" for n in range(120)]

    async def test_limit_and_cursor_do_not_cut_an_export(self, client: httpx2.AsyncClient) -> None:
        for _ in range(3):
            await create_organization(client)
        response = await client.get("/api/v1/organizations", params={"output": "csv", "limit": 1})
        assert len(read_csv(response)) == 3

    async def test_columns_are_the_json_field_names(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        page = (await client.get("/api/v1/labs")).json()["items"][0]
        rows = read_csv(await client.get("/api/v1/labs", params={"output": "csv"}))
        assert list(rows[0]) == list(page)
        assert rows[0]["id"] == lab["id"]
        assert rows[0]["created_at"] == page["created_at"]

    async def test_semicolon_on_request(self, client: httpx2.AsyncClient) -> None:
        await create_lab(client, name="Lab; virgule, et accents é")
        response = await client.get("/api/v1/labs", params={"output": "csv", "separator": "semicolon"})
        first_line = response.content.decode("utf-8").splitlines()[0]
        assert first_line.startswith(f"{BOM}id;")
        assert read_csv(response, ";")[0]["name"] == "Lab; virgule, et accents é"

    async def test_accept_text_csv_asks_for_csv(self, client: httpx2.AsyncClient) -> None:
        await create_lab(client)
        response = await client.get("/api/v1/labs", headers={"Accept": "text/csv"})
        assert response.headers["content-type"].startswith("text/csv")
        assert len(read_csv(response)) == 1

    async def test_format_csv_is_the_same_switch_also_where_format_is_a_filter(
        self, client: httpx2.AsyncClient
    ) -> None:
        await create_event(client, format="atelier")
        labs = await client.get("/api/v1/labs", params={"format": "csv"})
        assert len(read_csv(labs)) == 1
        events = await client.get("/api/v1/events", params={"format": "csv"})
        assert [row["format"] for row in read_csv(events)] == ["atelier"]
        filtered = (await client.get("/api/v1/events", params={"format": "atelier"})).json()["items"]
        assert len(filtered) == 1

    async def test_lists_are_json_text_in_a_cell(self, client: httpx2.AsyncClient) -> None:
        await create_event(client, tags=["climat", "usagers"])
        rows = read_csv(await client.get("/api/v1/events", params={"output": "csv"}))
        assert orjson.loads(rows[0]["tags"]) == ["climat", "usagers"]

    async def test_filters_and_sort_apply(self, client: httpx2.AsyncClient) -> None:
        await create_lab(client, name="B Bretagne", region_code="53")
        await create_lab(client, name="A Bretagne", region_code="53")
        await create_lab(client, name="Lab Occitanie", region_code="76")
        rows = read_csv(await client.get("/api/v1/labs", params={"output": "csv", "region": "53", "sort": "-name"}))
        assert [row["name"] for row in rows] == ["B Bretagne", "A Bretagne"]

    async def test_nested_list_narrows_to_its_parent(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        other = await create_lab(client)
        mine = await create_project(client, lab_id=lab["id"])
        await create_project(client, lab_id=other["id"])
        rows = read_csv(await client.get(f"/api/v1/labs/{lab['slug']}/projects", params={"output": "csv"}))
        assert [row["id"] for row in rows] == [mine["id"]]

    async def test_disbursements_of_one_allocation(self, client: httpx2.AsyncClient) -> None:
        allocation = await create_allocation(client)
        await create_disbursement(client, allocation["id"], amount_cents=1_234, paid_on="2021-04-01")
        await create_disbursement(client, (await create_allocation(client))["id"])
        path = f"/api/v1/allocations/{allocation['id']}/disbursements"
        rows = read_csv(await client.get(path, params={"output": "csv"}))
        assert [(row["amount_cents"], row["paid_on"]) for row in rows] == [("1234", "2021-04-01")]

    async def test_header_alone_when_nothing_matches(self, client: httpx2.AsyncClient) -> None:
        response = await client.get("/api/v1/labs", params={"output": "csv"})
        assert response.status_code == 200
        assert read_csv(response) == []
        assert response.content.decode("utf-8").startswith(f"{BOM}id,")

    async def test_unknown_output_is_refused(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/labs", params={"output": "xml"}), 422, "output")
        assert_problem(await client.get("/api/v1/labs", params={"output": "csv", "separator": "tab"}), 422, "separator")

    async def test_json_stays_the_default(self, client: httpx2.AsyncClient) -> None:
        await create_lab(client)
        response = await client.get("/api/v1/labs")
        assert response.headers["content-type"] == "application/json"
        assert len(response.json()["items"]) == 1
        explicit = await client.get("/api/v1/labs", params={"output": "json"})
        assert explicit.json()["items"] == response.json()["items"]


class TestJsonLines:
    async def test_each_line_is_a_list_item(self, client: httpx2.AsyncClient) -> None:
        for _ in range(60):
            await create_organization(client)
        page = (await client.get("/api/v1/organizations", params={"limit": 500})).json()["items"]
        response = await client.get("/api/v1/organizations", params={"output": "jsonl"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-ndjson"
        assert read_jsonl(response) == page

    async def test_accept_ndjson_asks_for_json_lines(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client)
        response = await client.get("/api/v1/events", headers={"Accept": "application/x-ndjson"})
        items = read_jsonl(response)
        assert [item["id"] for item in items] == [event["id"]]
        assert items[0]["starts_at"] == event["starts_at"]

    async def test_filters_apply(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        kept = await create_event(client, lab_id=lab["id"])
        await create_event(client)
        items = read_jsonl(await client.get("/api/v1/events", params={"output": "jsonl", "lab": lab["slug"]}))
        assert [item["id"] for item in items] == [kept["id"]]
        nested = read_jsonl(await client.get(f"/api/v1/labs/{lab['id']}/events", params={"output": "jsonl"}))
        assert [item["id"] for item in nested] == [kept["id"]]

    async def test_a_campaigns_events(self, client: httpx2.AsyncClient) -> None:
        campaign = await create_campaign(client)
        kept = await create_event(client, campaign_id=campaign["id"])
        await create_event(client)
        path = f"/api/v1/campaigns/{campaign['slug']}/events"
        assert [item["id"] for item in read_jsonl(await client.get(path, params={"output": "jsonl"}))] == [kept["id"]]
