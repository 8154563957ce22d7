"""The fast path (app.lists.fast): which GETs it takes, and what it keeps of every answer. What it answers is
the routes' answer: the list tests (marked `lists`) run through both ways."""

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx2
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from sqlalchemy import select, update
from sqlmodel import col
from starlette.types import Receive, Scope, Send

from app.auth.dependencies import check_read, content_access, funding_access
from app.core.config import Settings
from app.events.schemas import EventFilters
from app.events.service import EVENTS
from app.labs.dependencies import LabDep
from app.lists.fast import FastLists, fast_list, fast_routes
from app.lists.query import QueryModel
from app.main import create_app
from app.models.auth import ApiKey
from app.models.base import utcnow
from tests.conftest import KeyMaker
from tests.factories import create_event, create_lab

pytestmark = pytest.mark.anyio

ACCESS = (content_access, funding_access)
FAST = {
    "/api/v1/organizations",
    "/api/v1/labs",
    "/api/v1/funding-streams",
    "/api/v1/allocations",
    "/api/v1/projects",
    "/api/v1/campaigns",
    "/api/v1/events",
    "/api/v1/sessions",
}


async def framework(scope: Scope, receive: Receive, send: Send) -> None:
    """Stands for the routes behind the fast path: answers 299, so a test sees where a request went."""
    await Response(b"framework", status_code=299)(scope, receive, send)


def client_on(asgi: Any, root_path: str = "") -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=asgi, root_path=root_path), base_url="http://test")


def fast_path(app: FastAPI) -> Any:
    """The app's fast path alone, with `framework` in the place of the routes (the app still in the scope, as
    Starlette puts it there)."""
    fast = FastLists(framework, routes=fast_routes(app, access=ACCESS), check_read=check_read)

    async def within_app(scope: Scope, receive: Receive, send: Send) -> None:
        await fast({**scope, "app": app}, receive, send)

    return within_app


async def test_every_top_level_list_takes_the_fast_path(app: FastAPI) -> None:
    assert set(fast_routes(app, access=ACCESS)) == FAST


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("HEAD", "/api/v1/events", {}),
        ("POST", "/api/v1/events", {}),
        ("GET", "/api/v1/events.ics", {}),
        ("GET", "/api/v1/events/", {}),
        ("GET", "/api/v1/labs/some-lab/events", {}),
        ("GET", "/api/v1/audit", {}),
    ],
)
async def test_what_the_fast_path_does_not_take_goes_to_the_routes(
    app: FastAPI, method: str, path: str, params: dict[str, str]
) -> None:
    async with client_on(fast_path(app)) as http:
        response = await http.request(method, path, params=params)
    assert response.status_code == 299, response.text


@pytest.mark.parametrize(
    ("params", "headers"), [({}, {}), ({"output": "csv"}, {}), ({}, {"Accept": "text/csv"}), ({"limit": "0"}, {})]
)
async def test_it_answers_pages_exports_and_refusals_itself(
    app: FastAPI, params: dict[str, str], headers: dict[str, str]
) -> None:
    async with client_on(fast_path(app)) as http:
        response = await http.get("/api/v1/events", params=params, headers=headers)
    assert response.status_code != 299


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


async def test_keyed_pages_are_read_while_the_main_pool_is_held_on_sqlite(
    database_url: str, make_key: KeyMaker
) -> None:
    """On SQLite a key is looked up on the readers, like the page it reads: keyed pages are answered while every
    connection of the main pool is held (writes, an import). On PostgreSQL both are read on the main pool."""
    settings = Settings(database_url=database_url, sqlite_readers=2, db_pool_size=2, db_pool_timeout_seconds=1)
    if not settings.is_sqlite:
        pytest.skip("on PostgreSQL the readers are the main pool")
    key = await make_key("read")
    application = create_app(settings)
    async with LifespanManager(application), client_on(application) as http:
        held = [await application.state.engine.connect() for _ in range(2)]
        try:
            reads = (http.get("/api/v1/labs", headers={"Authorization": f"Bearer {key}"}) for _ in range(8))
            answers = await asyncio.gather(*reads)
        finally:
            for connection in held:
                await connection.close()
    assert [a.status_code for a in answers] == [200] * 8


async def test_behind_a_root_path_it_still_answers(app: FastAPI, client: httpx2.AsyncClient) -> None:
    """Served under a proxy's prefix (`--root-path /registry`), the path a route matches is the rest of it."""
    for _ in range(2):
        await create_lab(client)
    async with client_on(fast_path(app), root_path="/registry") as http:
        response = await http.get("/registry/api/v1/labs", params={"limit": "1"})
    assert response.status_code == 200
    assert response.headers["link"].startswith("</registry/api/v1/labs?limit=1&cursor=")


async def test_its_answer_carries_what_every_answer_carries(
    anonymous: httpx2.AsyncClient, client: httpx2.AsyncClient
) -> None:
    """Outside the fast path the middleware still applies: request id, security headers, metrics by route."""
    for _ in range(2):
        await create_event(client)
    response = await anonymous.get("/api/v1/events", params={"limit": "1"}, headers={"X-Request-ID": "trace-42"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "trace-42"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["link"].startswith("</api/v1/events?limit=1&cursor=")
    metrics = (await client.get("/metrics")).text
    assert 'lab_registry_http_requests_total{method="GET",route="/api/v1/events",status="200"}' in metrics


async def test_a_keyed_read_names_its_key_and_stamps_its_use(
    app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker, caplog: pytest.LogCaptureFixture
) -> None:
    """The access line carries the key's id, and the key's last use is recorded."""
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
    @fast_list(EVENTS)
    async def lab_events(request: Request, lab: LabDep, params: QueryModel[EventFilters]) -> Response:
        return await EVENTS.respond(request, params, within={"lab_id": lab.id})

    with pytest.raises(TypeError, match="cannot take the fast path"):
        fast_routes(_app_with(router, content_access), access=ACCESS)


def test_a_marked_route_under_another_access_check_is_refused() -> None:
    """Only the public read's check can be stood for: an admin list marked by mistake is refused."""

    async def admins_only() -> None:
        """Stands for an access check the fast path does not know."""

    router = APIRouter()

    @router.get("/events")
    @fast_list(EVENTS)
    async def events(request: Request, params: QueryModel[EventFilters]) -> Response:
        return await EVENTS.respond(request, params)

    with pytest.raises(TypeError, match="cannot take the fast path"):
        fast_routes(_app_with(router, content_access, admins_only), access=ACCESS)
