"""The direct way to public list pages (app.core.direct): it answers exactly what the routes answer, byte for
byte, and leaves to them everything it does not take."""

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx2
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from sqlalchemy import select, update
from sqlmodel import col
from starlette.types import Receive, Scope, Send

from app.auth.dependencies import authenticate, by_method, recognise_reader
from app.core.config import Settings
from app.core.db import SessionDep, read_connection
from app.core.direct import DirectLists, direct_list, direct_ways
from app.core.listing import page_response
from app.core.query import QueryModel
from app.events import service as events_service
from app.events.schemas import EventFilters, EventRead
from app.labs.dependencies import LabDep
from app.main import create_app
from app.models.auth import ApiKey
from app.models.base import utcnow
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

pytestmark = pytest.mark.anyio

DIRECT = {
    "/api/v1/organizations",
    "/api/v1/labs",
    "/api/v1/funding-streams",
    "/api/v1/allocations",
    "/api/v1/projects",
    "/api/v1/campaigns",
    "/api/v1/events",
}

# Queries each list answers through both ways; `{cursor}` is the next_cursor of the list's first page of one.
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
    "/api/v1/labs": [{"region": "53", "sort": "-name", "include_total": "true"}],
    "/api/v1/allocations": [{"status": "committed", "sort": "-created_at"}],
}


async def refuse(scope: Scope, _receive: Receive, _send: Send) -> None:
    raise AssertionError(f"{scope['method']} {scope['path']} went past the direct way")


async def framework(scope: Scope, receive: Receive, send: Send) -> None:
    """Stands for the routes behind the direct way: answers 299, so a test sees where a request went."""
    await Response(b"framework", status_code=299)(scope, receive, send)


def client_on(asgi: Any) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=asgi), base_url="http://test")


def direct_way(behind: Any, app: FastAPI) -> DirectLists:
    """The app's direct way alone, with `behind` in the place of the routes."""
    return DirectLists(
        behind, api=app, ways=direct_ways(app, by_method), authenticate=authenticate, recognise=recognise_reader
    )


@pytest.fixture
async def direct(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """A client on the direct way alone, in front of nothing: whatever it does not answer fails the test."""
    async with client_on(direct_way(refuse, app)) as http:
        yield http


@pytest.fixture(scope="module")
async def routes_app(default_settings: Settings) -> AsyncIterator[FastAPI]:
    """The same app without the direct way, for the module's tests: every request answered by FastAPI's routes."""
    application = create_app(default_settings)
    # Compared as Any: Starlette types `cls` as a factory, which a class never is to mypy.
    application.user_middleware = [m for m in application.user_middleware if getattr(m, "cls", None) is not DirectLists]
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def routes(routes_app: FastAPI, make_key: KeyMaker) -> AsyncIterator[httpx2.AsyncClient]:
    """A keyed client on the app without the direct way."""
    async with client_on(routes_app) as http:
        http.headers["Authorization"] = f"Bearer {await make_key('read', name='through the routes')}"
        yield http


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
    )


def _filled(query: dict[str, str], cursor: str | None) -> dict[str, str]:
    return {name: cursor if value == "{cursor}" and cursor else value for name, value in query.items()}


async def test_every_top_level_list_takes_the_direct_way(app: FastAPI) -> None:
    assert set(direct_ways(app, by_method)) == DIRECT


@pytest.mark.usefixtures("rows")
@pytest.mark.parametrize("keyed", [False, True], ids=["public", "keyed"])
@pytest.mark.parametrize("path", sorted(DIRECT))
async def test_the_direct_answer_is_the_routes_answer(
    direct: httpx2.AsyncClient, routes: httpx2.AsyncClient, make_key: KeyMaker, path: str, keyed: bool
) -> None:
    """The same page, body and headers, whether the direct way or the route answers it, with a key or not."""
    if keyed:
        direct.headers["Authorization"] = f"Bearer {await make_key('write')}"
    first = (await routes.get(path, params={"limit": "1"})).json()
    assert first["next_cursor"], first
    for query in [*QUERIES, *EXTRA_QUERIES.get(path, [])]:
        params = _filled(query, first["next_cursor"])
        ours, theirs = await direct.get(path, params=params), await routes.get(path, params=params)
        assert theirs.status_code == 200, theirs.text
        assert ours.status_code == 200, (params, ours.text)
        assert ours.content == theirs.content, params
        assert ours.json()["items"], params
        assert ours.headers.get("link") == theirs.headers.get("link"), params
        assert ours.headers["content-type"] == theirs.headers["content-type"]


@pytest.mark.usefixtures("rows")
@pytest.mark.parametrize("path", sorted(DIRECT))
async def test_each_listed_item_reads_as_the_item_itself(
    direct: httpx2.AsyncClient, routes: httpx2.AsyncClient, path: str
) -> None:
    """Rows read through the driver (app.core.reads) against the item route's ORM object and response model:
    the same values, written alike (instants, UUIDs, dates, decimals, JSON)."""
    items = (await direct.get(path, params={"sort": "-created_at"})).json()["items"]
    assert len(items) >= 2
    for item in items:
        whole = (await routes.get(f"{path}/{item['id']}")).json()
        assert {name: whole[name] for name in item} == item


async def test_many_concurrent_reads_share_a_few_readers_on_sqlite(database_url: str) -> None:
    """On SQLite each connection is a thread: 24 concurrent pages are read on SQLITE_READERS connections, apart
    from the main pool; on PostgreSQL on the main pool."""
    settings = Settings(database_url=database_url, sqlite_readers=2, db_pool_size=3)
    application = create_app(settings)
    async with LifespanManager(application), client_on(application) as http:
        answers = await asyncio.gather(*(http.get("/api/v1/labs", params={"limit": "5"}) for _ in range(24)))
        reader = application.state.reader
        sqlite = settings.is_sqlite
        assert [a.status_code for a in answers] == [200] * 24
        assert (reader is application.state.engine) is not sqlite
        assert reader.pool.checkedin() <= (2 if sqlite else 3)


@pytest.mark.usefixtures("rows")
async def test_behind_a_root_path_the_direct_way_still_answers(app: FastAPI) -> None:
    """Served under a proxy's prefix (`--root-path /registry`), the path a route matches is the rest of it."""
    transport = httpx2.ASGITransport(app=direct_way(refuse, app), root_path="/registry")
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/registry/api/v1/labs", params={"limit": "1"})
    assert response.status_code == 200
    assert response.headers["link"].startswith("<http://test/registry/api/v1/labs?limit=1&cursor=")


@pytest.mark.usefixtures("rows")
async def test_a_direct_answer_carries_what_every_answer_carries(
    anonymous: httpx2.AsyncClient, client: httpx2.AsyncClient
) -> None:
    """Outside the direct way the middleware still applies: request id, security headers, metrics by route."""
    response = await anonymous.get("/api/v1/events", params={"limit": "1"}, headers={"X-Request-ID": "trace-42"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "trace-42"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["link"].startswith("<http://test/api/v1/events?limit=1&cursor=")
    metrics = (await client.get("/metrics")).text
    assert 'lab_registry_http_requests_total{method="GET",route="/api/v1/events",status="200"}' in metrics


@pytest.mark.parametrize(
    ("path", "params", "headers"),
    [
        ("/api/v1/events", {}, {"Authorization": "Bearer lr_anything"}),
        ("/api/v1/events", {"output": "csv"}, {}),
        ("/api/v1/events", {"format": "jsonl"}, {}),
        ("/api/v1/events", {}, {"Accept": "text/csv"}),
        ("/api/v1/events", {"output": "xml"}, {}),
        ("/api/v1/events", {"limit": "0"}, {}),
        ("/api/v1/events", {"colour": "blue"}, {}),
        ("/api/v1/events", {"cursor": "forged"}, {}),
        ("/api/v1/labs", {"sort": "-nothing"}, {}),
        ("/api/v1/events.ics", {}, {}),
        ("/api/v1/events/", {}, {}),
        ("/api/v1/labs/some-lab/events", {}, {}),
        ("/api/v1/audit", {}, {}),
    ],
)
async def test_what_the_direct_way_does_not_take_goes_to_the_routes(
    app: FastAPI, path: str, params: dict[str, str], headers: dict[str, str]
) -> None:
    async with client_on(direct_way(framework, app)) as http:
        response = await http.get(path, params=params, headers=headers)
    assert response.status_code == 299, response.text


async def test_head_and_writes_go_to_the_routes(app: FastAPI) -> None:
    async with client_on(direct_way(framework, app)) as http:
        assert (await http.head("/api/v1/events")).status_code == 299
        assert (await http.post("/api/v1/events", json={})).status_code == 299


async def test_with_public_reads_off_only_keyed_reads_take_the_direct_way(app: FastAPI, make_key: KeyMaker) -> None:
    """A keyless read goes to the routes (their 401); any valid key reads, whatever its scopes."""
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"public_reads": False})
    try:
        async with client_on(direct_way(framework, app)) as http:
            assert (await http.get("/api/v1/events")).status_code == 299
            http.headers["Authorization"] = f"Bearer {await make_key('admin')}"
            assert (await http.get("/api/v1/events")).status_code == 200
    finally:
        app.state.settings = settings


async def test_a_keyed_direct_read_names_its_key_and_stamps_its_use(
    app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker, caplog: pytest.LogCaptureFixture
) -> None:
    """As through the routes: the access line carries the key's id, and the key's last use is recorded."""
    key = await make_key("read", name="a reading app")
    anonymous.headers["Authorization"] = f"Bearer {key}"
    with caplog.at_level("INFO", logger="app.ops.access"):
        assert (await anonymous.get("/api/v1/labs")).status_code == 200
    (line,) = [record for record in caplog.records if record.name == "app.ops.access"]
    admin = f"Bearer {await make_key('admin')}"
    (listed,) = [
        entry
        for entry in (await anonymous.get("/api/v1/api-keys", headers={"Authorization": admin})).json()
        if entry["name"] == "a reading app"
    ]
    assert line.__dict__["api_key_id"] == listed["id"]
    assert listed["last_used_at"] is not None


async def _last_used(app: FastAPI, name: str) -> datetime | None:
    async with app.state.sessionmaker() as session:
        moment: datetime | None = (
            await session.execute(select(col(ApiKey.last_used_at)).where(col(ApiKey.name) == name))
        ).scalar_one()
    return moment


async def test_a_key_used_within_the_minute_reads_again_without_a_write(
    app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker, caplog: pytest.LogCaptureFixture
) -> None:
    """Its second read is named in the access line like the first, and its recorded use stays the first's."""
    caplog.set_level("INFO", logger="app.ops.access")
    anonymous.headers["Authorization"] = f"Bearer {await make_key('read', name='a polling app')}"
    assert (await anonymous.get("/api/v1/events")).status_code == 200
    first_use = await _last_used(app, "a polling app")
    assert (await anonymous.get("/api/v1/events", params={"limit": "1"})).status_code == 200
    first, second = [record.__dict__ for record in caplog.records if record.name == "app.ops.access"]
    assert first_use is not None
    assert await _last_used(app, "a polling app") == first_use
    assert second["api_key_id"] == first["api_key_id"] is not None


@pytest.mark.parametrize("withdrawal", ["revoked", "expired"])
async def test_a_key_withdrawn_after_its_last_use_is_refused_at_once(
    app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker, withdrawal: str
) -> None:
    """A use recorded a moment ago spares the next read a write, never the key's check: 401 problem+json."""
    key = await make_key("read", name="withdrawn")
    anonymous.headers["Authorization"] = f"Bearer {key}"
    assert (await anonymous.get("/api/v1/labs")).status_code == 200
    if withdrawal == "revoked":
        admin = {"Authorization": f"Bearer {await make_key('admin')}"}
        assert (await anonymous.delete(f"/api/v1/api-keys/{key[:11]}", headers=admin)).status_code == 204
    else:
        async with app.state.sessionmaker() as session, session.begin():
            moment = utcnow() - timedelta(seconds=1)
            await session.execute(update(ApiKey).where(col(ApiKey.name) == "withdrawn").values(expires_at=moment))
    response = await anonymous.get("/api/v1/labs")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "expired or revoked" in response.json()["detail"]


def _app_with(router: APIRouter, *guards: Any) -> FastAPI:
    api = FastAPI()
    api.include_router(router, prefix="/api/v1", dependencies=[Depends(guard) for guard in guards])
    return api


def test_a_marked_route_that_loads_more_than_its_page_is_refused() -> None:
    """Its other dependencies (here a lab to load, or 404) would be skipped: refused when the app starts."""
    router = APIRouter()

    @router.get("/labs/{lab}/events")
    @direct_list(EventRead, events_service.list_events)
    async def lab_events(
        session: SessionDep, request: Request, lab: LabDep, params: QueryModel[EventFilters]
    ) -> Response:
        return page_response(
            request, EventRead, await events_service.list_events(await read_connection(session), params, lab=lab)
        )

    with pytest.raises(TypeError, match="cannot be a direct list"):
        direct_ways(_app_with(router, by_method), by_method)


def test_a_marked_route_under_another_access_check_is_refused() -> None:
    """Only the public read's check can be stood for: an admin list marked by mistake is refused."""

    async def admins_only() -> None:
        """Stands for an access check the direct way does not know."""

    router = APIRouter()

    @router.get("/events")
    @direct_list(EventRead, events_service.list_events)
    async def events(session: SessionDep, request: Request, params: QueryModel[EventFilters]) -> Response:
        return page_response(
            request, EventRead, await events_service.list_events(await read_connection(session), params)
        )

    with pytest.raises(TypeError, match="cannot be a direct list"):
        direct_ways(_app_with(router, by_method, admins_only), by_method)
