"""Statements per list request: a page is one SELECT, whatever its size and its filters; `include_total` adds the
COUNT; a list nested under an entity adds the SELECT that loads (or 404s) that entity; an API key adds the
SELECT that looks it up.

Pages are read through the driver itself (app.lists.reads), past SQLAlchemy's execution and its events, so the
statements are counted where the driver runs them: on SQLite by the connection's trace callback, which sees every
statement; on PostgreSQL by asyncpg's query logger, which sees the queries run directly, and SQLAlchemy's
`before_cursor_execute` for those it runs itself (as prepared statements, which the logger does not see).
Transaction control (BEGIN, COMMIT…) and SQLite's PRAGMAs are not counted. The pages hold several rows each, so
a query per row (N+1) — or any new lookup on the list path — makes the counts here fail.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.util import await_only

from tests.conftest import BuiltOnce, KeyMaker
from tests.factories import (
    create_allocation,
    create_campaign,
    create_disbursement,
    create_event,
    create_lab,
    create_organization,
    create_partner,
    create_project,
)

pytestmark = [pytest.mark.anyio, pytest.mark.lists]

ROWS = 3
NOT_COUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "--")
"""Also not counted: what SQLite runs inside a statement (traced as `-- …`), and FTS5 reading its own config."""
FTS5_OWN = "_fts_config'"


@asynccontextmanager
async def counted(app: FastAPI) -> AsyncIterator[list[str]]:
    """The SQL statements the app sends while the block runs."""
    statements: list[str] = []
    traced: list[Any] = []

    def keep(statement: str) -> None:
        if not statement.lstrip().upper().startswith(NOT_COUNTED) and FTS5_OWN not in statement:
            statements.append(statement)

    def logged(query: Any) -> None:
        keep(query.query)

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        keep(statement)

    def checked_out(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = dbapi_connection.driver_connection
        if isinstance(driver, asyncpg.Connection):
            driver.add_query_logger(logged)
        else:
            await_only(driver.set_trace_callback(keep))
        traced.append(driver)

    # The main engine, and the one public list pages are read on (the same on PostgreSQL).
    engines = {app.state.engine.sync_engine, app.state.reader.sync_engine}
    postgresql = app.state.engine.dialect.name == "postgresql"
    for engine in engines:
        event.listen(engine, "checkout", checked_out)
        if postgresql:
            event.listen(engine, "before_cursor_execute", executed)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "checkout", checked_out)
            if postgresql:
                event.remove(engine, "before_cursor_execute", executed)
        for driver in traced:
            if isinstance(driver, asyncpg.Connection):
                driver.remove_query_logger(logged)
            else:
                await driver.set_trace_callback(None)


@pytest.fixture
async def public(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """A client that sends no key (reads are public), beside the keyed `client` that builds the data."""
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test") as http:
        yield http


@pytest.fixture
async def ids(client: httpx2.AsyncClient, built_once: BuiltOnce) -> dict[str, str]:
    """Built through the API once per run (per worker), put back as rows for each later test."""
    return await built_once(lambda: _ids(client))


async def _ids(client: httpx2.AsyncClient) -> dict[str, str]:
    """ROWS of each listed kind, linked so that every filter below matches all of them."""
    host = await create_organization(client, region_code="53")
    campaign = await create_campaign(client)
    lab = await create_lab(client, host_organization_id=host["id"])
    for _ in range(ROWS - 1):
        await create_lab(client, host_organization_id=host["id"])
        await create_organization(client, region_code="53")
        await create_campaign(client)
    project = await create_project(client, lab_id=lab["id"], region_code="53")
    allocation = await create_allocation(client, lab_id=lab["id"])
    for _ in range(ROWS):
        await create_event(client, lab_id=lab["id"], campaign_id=campaign["id"], region_code="53")
        await create_partner(client, project["id"])
        await create_disbursement(client, allocation["id"], amount_cents=1000)
    for _ in range(ROWS - 1):
        await create_project(client, lab_id=lab["id"], region_code="53")
        await create_allocation(client, lab_id=lab["id"])
    return {
        "lab": lab["slug"],
        "host": host["slug"],
        "project": project["slug"],
        "campaign": campaign["slug"],
        "allocation": allocation["id"],
    }


# (path, query, statements without a key): {name} in either is replaced by the fixture's ids.
CASES = [
    ("/events", {}, 1),
    ("/events", {"limit": "2"}, 1),
    ("/events", {"include_total": "true"}, 2),
    (
        "/events",
        {"region": "53", "lab": "{lab}", "campaign": "{campaign}", "theme": "service-usager", "q": "usager"},
        1,
    ),
    ("/events", {"starts_after": "2020-01-01", "sort": "-starts_at", "include_total": "true"}, 2),
    ("/labs/{lab}/events", {}, 2),
    ("/campaigns/{campaign}/events", {"include_total": "true"}, 3),
    ("/labs", {}, 1),
    ("/labs", {"region": "53", "host": "{host}", "q": "lab", "include_total": "true"}, 2),
    ("/organizations", {"region": "53", "sort": "-name"}, 1),
    ("/projects", {"lab": "{lab}", "region": "53"}, 1),
    ("/labs/{lab}/projects", {"include_total": "true"}, 3),
    ("/projects/{project}/partners", {}, 2),
    ("/funding-streams", {}, 1),
    ("/allocations", {"lab": "{lab}", "status": "committed"}, 1),
    ("/allocations/{allocation}/disbursements", {"include_total": "true"}, 3),
    ("/campaigns", {"starts_after": "2020-01-01"}, 1),
]


def _filled(value: str, ids: dict[str, str]) -> str:
    return value.format(**ids)


@pytest.mark.parametrize(("path", "query", "expected"), CASES, ids=[f"{c[0]}?{'&'.join(c[1])}" for c in CASES])
async def test_statements_per_list_request(
    app: FastAPI, public: httpx2.AsyncClient, ids: dict[str, str], path: str, query: dict[str, str], expected: int
) -> None:
    url = "/api/v1" + _filled(path, ids)
    params = {name: _filled(value, ids) for name, value in query.items()}
    async with counted(app) as statements:
        response = await public.get(url, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["items"]) >= min(ROWS, int(params.get("limit", ROWS))), body
    assert len(statements) == expected, "\n\n".join(statements)


async def test_a_key_adds_its_lookup(app: FastAPI, client: httpx2.AsyncClient, ids: dict[str, str]) -> None:
    """A keyed read adds the key's SELECT; its first use also stamps last_used_at once, so a second read is
    counted."""
    await client.get("/api/v1/events")
    async with counted(app) as statements:
        response = await client.get("/api/v1/events", params={"lab": ids["lab"], "include_total": "true"})
    assert response.status_code == 200
    assert len(response.json()["items"]) == ROWS
    assert len(statements) == 3, "\n\n".join(statements)


async def test_admin_lists_count_the_key(app: FastAPI, make_key: KeyMaker, ids: dict[str, str]) -> None:
    """The audit trail is an admin list: the key's SELECT, then its one page."""
    key = await make_key("admin")
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as admin:
        admin.headers["Authorization"] = f"Bearer {key}"
        await admin.get("/api/v1/audit")
        async with counted(app) as statements:
            response = await admin.get("/api/v1/audit", params={"limit": "5"})
    assert response.status_code == 200
    assert len(response.json()["items"]) == 5
    assert len(statements) == 2, "\n\n".join(statements)
