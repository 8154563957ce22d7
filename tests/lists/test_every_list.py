"""What every top-level list answers, whichever way its GET is taken (the fast path or the routes): pages,
cursors, sorts, totals and filters, each listed item as its item route shows it."""

from typing import Any

import httpx2
import pytest

from app.core.config import Settings
from tests.conftest import KeyMaker
from tests.factories import (
    create_allocation,
    create_campaign,
    create_event,
    create_lab,
    create_organization,
    create_project,
    create_stream,
)

pytestmark = [pytest.mark.anyio, pytest.mark.lists]

LISTS = [
    "/api/v1/organizations",
    "/api/v1/labs",
    "/api/v1/funding-streams",
    "/api/v1/allocations",
    "/api/v1/projects",
    "/api/v1/campaigns",
    "/api/v1/events",
    "/api/v1/sessions",
]

# Queries each list answers; `{cursor}` is the next_cursor of the list's first page of one.
QUERIES: list[dict[str, str]] = [
    {},
    {"limit": "1"},
    {"limit": "1", "cursor": "{cursor}"},
    {"limit": "2", "sort": "-created_at", "include_total": "true"},
    {"sort": "updated_at", "updated_since": "2000-01-01T00:00:00Z"},
]
EXTRA_QUERIES = {
    "/api/v1/events": [
        {"region": "53", "theme": "service-usager", "q": "usager", "sort": "-starts_at"},
        {"starts_after": "2020-11-01", "starts_before": "2020-12-01T00:00:00+01:00", "limit": "1"},
    ],
    "/api/v1/sessions": [
        {"region": "53", "theme": "service-usager", "q": "usager", "sort": "-starts_at", "status": "scheduled"},
        {"starts_after": "2020-11-01", "starts_before": "2020-12-01T00:00:00+01:00", "limit": "1"},
    ],
    "/api/v1/labs": [{"region": "53", "sort": "-name", "include_total": "true"}],
    "/api/v1/allocations": [{"status": "committed", "sort": "-created_at"}],
}


@pytest.fixture
async def rows(client: httpx2.AsyncClient) -> None:
    """Two of each listed kind, with the values whose stored form differs from their JSON: instants with a
    fraction of a second, UUIDs, JSON lists, dates, floats, decimals, booleans and nulls."""
    host = await create_organization(client, region_code="53")
    await create_organization(client, region_code="84")
    lab = await create_lab(
        client, host_organization_id=host["id"], latitude=48.1113, longitude=-1.68, founded_on="2018-03-01"
    )
    await create_lab(client)
    campaign = await create_campaign(client)
    await create_campaign(client, starts_on="2021-11-01", ends_on="2021-11-30")
    project = await create_project(client, lab_id=lab["id"], region_code="53", starts_on="2020-01-15")
    await create_project(client, lab_id=lab["id"])
    stream = await create_stream(client, starts_on="2020-01-01")
    await create_stream(client)
    await create_allocation(
        client, stream_id=stream["id"], lab_id=lab["id"], subsidy_share="0.4", decided_on="2020-02-03"
    )
    await create_allocation(client, stream_id=stream["id"], project_id=project["id"], status="proposed")
    await create_event(
        client,
        lab_id=lab["id"],
        campaign_id=campaign["id"],
        tags=["numérique", "données"],
        starts_at="2020-11-17T09:30:00",
        ends_at="2020-11-17T11:00:00",
    )
    await create_event(
        client,
        organizer_organization_id=host["id"],
        starts_at="2020-11-20T14:00:00+01:00",
        ends_at="2020-11-20T15:30:00+01:00",
        place={"name": "Hôtel de Région", "city": "Rennes", "latitude": 48.1113, "longitude": -1.68},
    )


def _filled(query: dict[str, str], cursor: str) -> dict[str, str]:
    return {name: cursor if value == "{cursor}" else value for name, value in query.items()}


@pytest.mark.usefixtures("rows")
@pytest.mark.parametrize("keyed", [False, True], ids=["public", "keyed"])
@pytest.mark.parametrize("path", LISTS)
async def test_pages_walk_and_count_alike_with_or_without_a_key(
    anonymous: httpx2.AsyncClient, client: httpx2.AsyncClient, path: str, keyed: bool
) -> None:
    http = client if keyed else anonymous
    everything = (await http.get(path)).json()["items"]
    first = await http.get(path, params={"limit": "1"})
    assert first.status_code == 200
    cursor = first.json()["next_cursor"]
    assert first.headers["link"] == f'<{path}?limit=1&cursor={cursor}>; rel="next"'
    second = (await http.get(path, params={"limit": "1", "cursor": cursor})).json()
    assert [item["id"] for item in first.json()["items"] + second["items"]] == [item["id"] for item in everything][:2]
    for query in [*QUERIES, *EXTRA_QUERIES.get(path, [])]:
        response = await http.get(path, params=_filled(query, cursor))
        assert response.status_code == 200, (query, response.text)
        assert response.headers["content-type"] == "application/json"
        body: dict[str, Any] = response.json()
        assert body["items"], query
        if query.get("include_total"):
            assert body["total"] == len(everything)


@pytest.mark.usefixtures("rows")
@pytest.mark.parametrize("path", LISTS)
async def test_each_listed_item_reads_as_the_item_itself(anonymous: httpx2.AsyncClient, path: str) -> None:
    """Rows read through the driver (app.lists.reads) against the item route's ORM object and response model:
    the same values, written alike (instants, UUIDs, dates, decimals, floats, JSON), to the byte when the list
    shows the whole item."""
    page = await anonymous.get(path, params={"sort": "-created_at"})
    items = page.json()["items"]
    assert len(items) >= 2
    for item in items:
        whole = await anonymous.get(f"{path}/{item['id']}")
        assert {name: whole.json()[name] for name in item} == item
        if item.keys() == whole.json().keys():
            assert whole.content in page.content, path


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({}, {"Authorization": "Bearer lr_anything"}, 401),
        ({"output": "xml"}, {}, 422),
        ({"limit": "0"}, {}, 422),
        ({"colour": "blue"}, {}, 422),
        ({"cursor": "forged"}, {}, 400),
        ({"sort": "-nothing"}, {}, 422),
    ],
)
async def test_refusals_are_problems(
    anonymous: httpx2.AsyncClient, params: dict[str, str], headers: dict[str, str], status: int
) -> None:
    response = await anonymous.get("/api/v1/events", params=params, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


class TestPublicReadsOff:
    @pytest.fixture
    def settings(self, database_url: str, list_way: str) -> Settings:
        return Settings(database_url=database_url, public_reads=False, fast_lists=list_way == "fast")

    async def test_a_keyless_read_is_refused_and_any_key_reads(
        self, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        response = await anonymous.get("/api/v1/events")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        anonymous.headers["Authorization"] = f"Bearer {await make_key('admin')}"
        assert (await anonymous.get("/api/v1/events")).status_code == 200
