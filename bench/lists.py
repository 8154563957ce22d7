"""Benchmark of the list path against raw baselines served beside it, under a load generator.

    .venv/bin/python -m bench.lists --engine sqlite|postgresql [--events 1000000] [--seconds 12] [--rounds 3]

Builds a scratch database (SQLite: /tmp/lists.db; PostgreSQL: `lr_bench_lists` on the server that
BENCH_DATABASE_URL names, default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres), migrates it, loads
the demo (labs, organizations, projects, funding, the 2020 campaign) and N events with the engine's bulk path
(COPY through asyncpg; one `executemany` transaction through sqlite3): accented French titles from the demo's
subjects, themes and formats skewed like the demo, the 18 regions, six years of dates (2016–2021), 97 % of them
published, 2 % drafts and 1 % submitted for review (the moderation queue), then ANALYZE.

Three servers then run side by side, each one uvicorn process with one worker, uvloop and httptools:
- `app`: `lab-registry serve --workers 1`, as in production (JSON access log, to /tmp/lab-registry-bench-*.log);
- `bare`: a Starlette route per list read (the public list, the moderation queue), each running the very SQL and
  values the app sends for it (caught on their way to the driver as the list reads them for its caller, and
  checked to answer the same page) on a raw driver pool — asyncpg on PostgreSQL; on SQLite as many aiosqlite
  connections (each its own thread) as the app reads list pages on (SQLITE_READERS) — and writes the page with
  orjson, JSON columns passed through; a request with an API key has it checked first as the least check would
  (one query by its prefix on the same pool, its SHA-256 compared, neither revoked nor expired), or 401;
- `tutorial`: the FastAPI + SQLModel tutorial style: a sync `Session` per request (psycopg2 on PostgreSQL, the
  sqlite3 module on SQLite), `select(Event)` of the published events, ORM objects, `response_model=list[EventRead]`,
  a `def` endpoint.

Each scenario is driven by wrk (`-t1 -c32 --latency`): 32 connections kept open, one wrk thread, which at these
rates uses a few percent of a core — wrk, the server under test and the database share the machine's cores,
so the baselines pay the same. A warm-up precedes each timed run, rounds alternate the servers (so a
neighbour's load hits all of them alike) and the median round is kept. CPU per request is the server process's
(every thread, from /proc) over the run divided by the requests answered: it moves far less with the machine's
load than the rate does. Peak memory is the server's VmHWM, reset before each run; on PostgreSQL the connections
opened during a run come from pg_stat_database.sessions.

Scenarios and goals (issue 19: 0.7 on PostgreSQL, 0.6 on SQLite): `GET /api/v1/events?region=53&limit=50` ≥ the
goal x the bare endpoint's req/s (the tutorial is shown for the multiple); the same list read with an API key, as
an integrating app reads (a read key issued in the scratch database), ≥ the goal x the bare endpoint, shown beside
the bare endpoint read with that key too; the moderation queue,
`GET /api/v1/events?publication=submitted&limit=50` read with a key holding `publish`, ≥ the goal x its bare twin;
keyset page 10 000 (a cursor after row 499 950 of the published events by start) p50 ≤ 1.5 x page 1's;
`near=48.11,-1.68&radius_km=30` (the events placed around Rennes, by start) p50 ≤ 2 x the region page's
(issue 21). Writes
bench/results/lists-<engine>[-<tag>].json.
"""

import argparse
import asyncio
import importlib.util
import json
import logging
import math
import os
import platform
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from unittest import mock
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import aiosqlite
import asyncpg
import httpx2
import orjson
from fastapi import Depends, FastAPI
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlmodel import Session, col
from sqlmodel import create_engine as create_sync_engine
from sqlmodel import select as select_models
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.auth import service as auth_service
from app.auth.schemas import Scope
from app.core.config import Settings
from app.core.db import create_engine, session_scope
from app.core.security import ANONYMOUS, KEY_PREFIX_LENGTH
from app.demo.catalog import CAMPAIGN_TOPICS, COMMUNES, FORMAT_PREFIXES, LESSONS, TRAINING_COURSES
from app.demo.dataset import CAMPAIGN_SLUG
from app.demo.seed import seed
from app.events.rules import PLACE_KEYS
from app.events.schemas import EventRead
from app.events.service import EVENTS
from app.lists import reads
from app.lists.filters import EARTH_RADIUS_KM
from app.lists.pagination import encode_cursor
from app.lists.query import parse_query
from app.models import Event
from app.publication.rules import Publication
from app.reference.data import EVENT_FORMATS, REGIONS, THEMES, department_of, timezone_for_region
from app.search.analysis import stems
from bench.common import (
    RESULTS,
    Server,
    cpu_seconds,
    fresh_postgresql,
    fresh_sqlite,
    key_accepted,
    key_sql,
    megabytes,
    memory_kb,
    migrated,
    pg_count,
    pg_dsn,
    pg_url,
    reset_peak,
    results_file,
    running,
    say,
    sqlite_count,
    sqlite_url,
)
from tests.servers import LAB_REGISTRY

SQLITE_PATH = Path("/tmp/lists.db")
PG_DATABASE = "lr_bench_lists"
SEED = 2020
BATCH = 50_000
REGION = "53"
LIMIT = 50
LIST_QUERY = f"region={REGION}&limit={LIMIT}"
QUEUE_QUERY = f"publication={Publication.submitted}&limit={LIMIT}"
DEEP_PAGE = 10_000
CONNECTIONS = 32
WARM_UP_SECONDS = 3
RATIO_GOALS = {"postgresql": 0.7, "sqlite": 0.6}
"""Of the app's req/s to the bare endpoint's, public, with a key and the moderation queue (issue 19)."""
DEEP_GOAL = 1.5
THEME_WEIGHTS = (28, 10, 18, 16, 10, 9, 9)
FORMAT_WEIGHTS = (35, 25, 15, 10, 6, 2, 2, 5)
TAGS = ("innovation", "design", "usagers", "numérique", "collectivités", "agents", "données", "écologie", "ruralité")
FIRST_DAY = date(2016, 1, 1)
LAST_DAY = date(2021, 12, 31)

COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "version",
    "title",
    "description",
    "theme_code",
    "tags",
    "format",
    "attendance_mode",
    "audience",
    "starts_at",
    "ends_at",
    "timezone",
    "local_start_date",
    "status",
    "organizer_organization_id",
    "lab_id",
    "project_id",
    "campaign_id",
    "region_code",
    "city",
    "online_url",
    "capacity",
    "participants_count",
    "publication",
    "search_title",
    "search_text",
    "place",
    "latitude",
    "longitude",
    "commune_code",
    "department_code",
    "places_left",
    "is_full",
    "accessibility",
    "languages",
)
JSON_COLUMNS = ("tags", "place", "accessibility", "languages")
NEAR = "48.11,-1.68"
RADIUS_KM = 30
NEAR_GOAL = 2.0


# Data -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Who holds the synthetic events (a lab or an organization), where, and the lab's projects."""

    lab_id: Any
    organization_id: Any
    region_code: str | None
    city: str | None
    projects: tuple[Any, ...]


def synthetic_events(n: int, holders: Sequence[Holder], campaign: Any, for_sqlite: bool) -> Iterator[tuple[Any, ...]]:
    """N events in COLUMNS order: the demo's subjects as titles, skewed themes and formats, 2016 to 2021."""
    rng = random.Random(SEED)
    themes = [code for code, _ in THEMES]
    formats = [code for code, _ in EVENT_FORMATS]
    regions = [code for code, _, _ in REGIONS]
    zones = {code: ZoneInfo(timezone_for_region(code)) for code in regions}
    subjects = {theme: CAMPAIGN_TOPICS[theme] + tuple(s for s, t in TRAINING_COURSES if t == theme) for theme in themes}
    span = (LAST_DAY - FIRST_DAY).days + 1
    november = date(2020, 11, 1)
    weights = [6 if holder.lab_id is not None else 1 for holder in holders]

    def instant(value: datetime) -> Any:
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if for_sqlite else value

    def key(value: Any) -> Any:
        return value.hex if for_sqlite and isinstance(value, uuid.UUID) else value

    for _ in range(n):
        holder = rng.choices(holders, weights)[0]
        theme = rng.choices(themes, THEME_WEIGHTS)[0]
        event_format = rng.choices(formats, FORMAT_WEIGHTS)[0]
        in_campaign = rng.random() < 0.1
        day = november + timedelta(rng.randrange(30)) if in_campaign else FIRST_DAY + timedelta(rng.randrange(span))
        region = holder.region_code if holder.region_code and rng.random() < 0.95 else rng.choice(regions)
        zone = zones[region]
        start = datetime(day.year, day.month, day.day, rng.randrange(8, 20), rng.choice((0, 15, 30, 45)), tzinfo=zone)
        starts_at = start.astimezone(UTC)
        ends_at = starts_at + timedelta(minutes=rng.choice((60, 90, 120, 180)))
        created_at = starts_at - timedelta(days=rng.randrange(7, 120), seconds=rng.randrange(86_400))
        roll = rng.random()
        status = "cancelled" if roll < 0.02 else "moved-online" if roll < 0.07 else "scheduled"
        attendance = rng.choice(("online", "in-person", "hybrid"))
        city = None if attendance == "online" else holder.city
        prefix = FORMAT_PREFIXES.get(event_format, "Rencontre")
        title = f"{prefix} : {rng.choice(subjects[theme])}" + (f" à {city}" if city and rng.random() < 0.3 else "")
        description = rng.choice(LESSONS) if rng.random() < 0.2 else None
        tags = rng.sample(TAGS, rng.randrange(1, 4)) if rng.random() < 0.4 else []
        participants = None if rng.random() < 0.1 else rng.randrange(0, 200)
        project = rng.choice(holder.projects) if holder.projects and rng.random() < 0.3 else None
        roll = rng.random()
        publication = "submitted" if roll < 0.01 else "draft" if roll < 0.03 else "published"
        capacity = None if rng.random() < 0.5 else 200
        place, latitude, longitude, commune = None, None, None, None
        if city in COMMUNES:
            # Placed around the holder's town, within some 20 km, in its commune (the filters read the columns).
            commune, postcode, centre_lat, centre_lon = COMMUNES[city]
            latitude = round(centre_lat + rng.uniform(-0.18, 0.18), 5)
            longitude = round(centre_lon + rng.uniform(-0.25, 0.25), 5)
            place = {
                "name": None,
                "address": None,
                "postal_code": postcode,
                "city": city,
                "commune_code": commune,
                "latitude": latitude,
                "longitude": longitude,
            }
        elif city is not None:
            place = {**dict.fromkeys(PLACE_KEYS), "city": city}
        yield (
            key(uuid.uuid4()),
            instant(created_at),
            instant(created_at),
            1,
            title,
            description,
            theme,
            orjson.dumps(tags).decode(),
            event_format,
            attendance,
            rng.choice(("agents", "citizens", "all")),
            instant(starts_at),
            instant(ends_at),
            zone.key,
            start.date().isoformat() if for_sqlite else start.date(),
            status,
            key(holder.organization_id),
            key(holder.lab_id),
            key(project),
            key(campaign) if in_campaign else None,
            None if rng.random() < 0.01 else region,
            city,
            "https://webinaire.example.fr/salle" if attendance != "in-person" else None,
            capacity,
            participants,
            publication,
            stems(title),
            stems(description, city, " ".join(tags)),
            None if place is None else orjson.dumps(place).decode(),
            latitude,
            longitude,
            commune,
            None if commune is None else department_of(commune),
            capacity,
            False,
            "[]",
            '["fr"]',
        )


def _holders(
    labs: Sequence[Sequence[Any]], organizations: Sequence[Sequence[Any]], projects: Sequence[Any]
) -> list[Holder]:
    by_lab: dict[Any, list[Any]] = {}
    for project_id, lab_id in projects:
        by_lab.setdefault(lab_id, []).append(project_id)
    return [Holder(lab, None, region, city, tuple(by_lab.get(lab, ()))) for lab, region, city in labs] + [
        Holder(None, organization, region, city, ()) for organization, region, city in organizations
    ]


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


HOLDER_QUERIES = (
    "SELECT id, region_code, city FROM labs WHERE status = 'active'",
    # Organizations keep no city: their events happen in the city of their region's first lab, if any.
    "SELECT o.id, o.region_code, (SELECT min(l.city) FROM labs l WHERE l.region_code = o.region_code) "
    "FROM organizations o",
    "SELECT id, lab_id FROM projects WHERE lab_id IS NOT NULL",
)


async def load_sqlite(n: int, reuse: bool, path: Path = SQLITE_PATH) -> str:
    """The demo plus N events in a SQLite file (another benchmark gives its own `path`)."""
    if reuse and sqlite_count(path) >= n:
        return await migrated(sqlite_url(path))
    url = await fresh_sqlite(path)
    await seed(Settings(database_url=url, log_level="WARNING"))
    connection = sqlite3.connect(path)
    try:
        labs, organizations, projects = (connection.execute(sql).fetchall() for sql in HOLDER_QUERIES)
        (campaign,) = connection.execute("SELECT id FROM campaigns WHERE slug = ?", (CAMPAIGN_SLUG,)).fetchone()
        holders = _holders(
            [(_as_uuid(i), r, c) for i, r, c in labs],
            [(_as_uuid(i), r, c) for i, r, c in organizations],
            [(_as_uuid(p), _as_uuid(lab)) for p, lab in projects],
        )
        insert = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        rows = synthetic_events(n, holders, _as_uuid(campaign), True)
        with connection:
            while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
                connection.executemany(insert, batch)
        connection.execute("ANALYZE")
    finally:
        connection.close()
    return url


async def load_postgresql(n: int, reuse: bool, database: str = PG_DATABASE) -> str:
    """The demo plus N events in a PostgreSQL database (another benchmark gives its own `database`)."""
    if reuse and await pg_count(database) >= n:
        return await migrated(pg_url(database))
    url = await fresh_postgresql(database)
    await seed(Settings(database_url=url, log_level="WARNING"))
    connection = await asyncpg.connect(pg_dsn(database))
    try:
        labs, organizations, projects = [[tuple(r) for r in await connection.fetch(sql)] for sql in HOLDER_QUERIES]
        campaign = await connection.fetchval("SELECT id FROM campaigns WHERE slug = $1", CAMPAIGN_SLUG)
        rows = synthetic_events(n, _holders(labs, organizations, projects), campaign, False)
        while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
            await connection.copy_records_to_table("events", records=batch, columns=list(COLUMNS))
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return url


# The baselines (each served by its own uvicorn process) --------------------------------------------------

ENV_URL = "BENCH_LISTS_DATABASE_URL"
ENV_ROUTES = "BENCH_LISTS_ROUTES"


@dataclass(frozen=True)
class Captured:
    """A list read as the app sends it to the driver: its SQL, its values, and where among them stand the values
    of its query string (`limit` as limit + 1: the extra row tells whether another page follows)."""

    sql: str
    values: list[Any]
    query: dict[str, int]


def _sqlite_uuid(value: str | None) -> str | None:
    return None if value is None else str(uuid.UUID(value))


def _sqlite_instant(value: str) -> str:
    return value.replace(" ", "T") + "Z"


def _json_passed(row: dict[str, Any]) -> dict[str, Any]:
    """JSON columns written as stored."""
    for name in JSON_COLUMNS:
        if row.get(name) is not None:
            row[name] = orjson.Fragment(row[name])
    return row


def bare_app() -> Any:
    """Starlette, a raw driver pool, orjson: the app's list SQL with nothing else (`uvicorn --factory`), one route
    per captured read (ENV_ROUTES: path → Captured), the request's query values bound where the app binds them.

    It answers the same page as the app: the same items with the same values (JSON columns passed through as
    stored, SQLite's hex UUIDs and naive UTC timestamps written as the API writes them) and a next cursor.
    """
    url = make_url(os.environ[ENV_URL])
    captured = {path: Captured(**read) for path, read in orjson.loads(os.environ[ENV_ROUTES]).items()}
    sqlite = url.get_backend_name() == "sqlite"
    pool: dict[str, Any] = {}

    def cursor_of(row: dict[str, Any]) -> str:
        starts_at = row["starts_at"]
        if isinstance(starts_at, str):
            starts_at = datetime.fromisoformat(starts_at)
        return encode_cursor("starts_at", [starts_at, str(row["id"])])

    async def fetch_pg(sql: str, values: list[Any]) -> list[dict[str, Any]]:
        rows = await pool["pg"].fetch(sql, *values)
        return [_json_passed(dict(row)) for row in rows]

    async def fetch_sqlite(sql: str, values: list[Any]) -> list[dict[str, Any]]:
        connection = await pool["lite"].get()
        try:
            async with connection.execute(sql, values) as cursor:
                names = [d[0] for d in cursor.description]
                raw = await cursor.fetchall()
        finally:
            pool["lite"].put_nowait(connection)
        rows = []
        for stored in raw:
            row = dict(zip(names, stored, strict=True))
            for name in ("id", "organizer_organization_id", "lab_id", "project_id", "campaign_id"):
                row[name] = _sqlite_uuid(row[name])
            for name in ("created_at", "updated_at", "starts_at", "ends_at"):
                row[name] = _sqlite_instant(row[name])
            row["is_full"] = bool(row["is_full"])
            rows.append(_json_passed(row))
        return rows

    key_query = key_sql(sqlite)

    async def key_rows(prefix: str) -> Sequence[Any]:
        if not sqlite:
            return list(await pool["pg"].fetch(key_query, prefix))
        connection = await pool["lite"].get()
        try:
            return list(await connection.execute_fetchall(key_query, (prefix,)))
        finally:
            pool["lite"].put_nowait(connection)

    async def checked(request: Request) -> bool:
        """No key, or one the least check accepts, read on the pages' pool."""
        header = request.headers.get("authorization")
        if header is None:
            return True
        token = header.removeprefix("Bearer ")
        return key_accepted(token, await key_rows(token[:KEY_PREFIX_LENGTH]), sqlite)

    def endpoint(read: Captured) -> Callable[[Request], Awaitable[Response]]:
        async def events(request: Request) -> Response:
            if not await checked(request):
                return Response(status_code=401)
            values = list(read.values)
            limit = LIMIT
            for name, index in read.query.items():
                if name == "limit":
                    limit = int(request.query_params[name])
                    values[index] = limit + 1
                else:
                    values[index] = request.query_params[name]
            rows = await (fetch_sqlite if sqlite else fetch_pg)(read.sql, values)
            following = cursor_of(rows[limit - 1]) if len(rows) > limit else None
            # asyncpg's own UUID type is no uuid.UUID for orjson: `default=str` writes it.
            body = orjson.dumps({"items": rows[:limit], "next_cursor": following}, default=str)
            return Response(body, media_type="application/json")

        return events

    async def ready(_request: Request) -> Response:
        return Response(b"{}", media_type="application/json")

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        if sqlite:
            queue: asyncio.Queue[Any] = asyncio.Queue()
            pool["lite"] = queue
            for _ in range(Settings().sqlite_readers):
                queue.put_nowait(await aiosqlite.connect(url.database or ""))
            yield
            while not queue.empty():
                await queue.get_nowait().close()
        else:
            dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
            pool["pg"] = await asyncpg.create_pool(dsn, min_size=CONNECTIONS, max_size=CONNECTIONS)
            yield
            await pool["pg"].close()

    routes = [Route(path, endpoint(read)) for path, read in captured.items()]
    return Starlette(routes=[*routes, Route("/ready", ready)], lifespan=lifespan)


def tutorial_app() -> Any:
    """The FastAPI + SQLModel tutorial's way: sync engine and Session, ORM objects, response_model; the published
    events only, as a tutorial's author adding publication would write it."""
    url = make_url(os.environ[ENV_URL])
    if url.get_backend_name() == "sqlite":
        engine = create_sync_engine(url.set(drivername="sqlite"), connect_args={"check_same_thread": False})
    else:
        engine = create_sync_engine(url.set(drivername="postgresql+psycopg2"))

    def get_session() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app = FastAPI()

    @app.get("/events", response_model=list[EventRead])
    def list_events(
        session: Annotated[Session, Depends(get_session)], region: str | None = None, limit: int = LIMIT
    ) -> Sequence[Event]:
        statement = select_models(Event).where(col(Event.publication) == Publication.published)
        if region:
            statement = statement.where(Event.region_code == region)
        return session.exec(statement.order_by(col(Event.starts_at), col(Event.id)).limit(limit)).all()

    @app.get("/ready")
    def ready() -> dict[str, str]:
        return {}

    return app


# Servers and load ----------------------------------------------------------------------------------------


def uvicorn_command(factory: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


@dataclass
class Run:
    """One wrk run: throughput, latency percentiles, the server's CPU per request (every thread), its peak memory
    and the connections it opened."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    peak_rss_mb: float
    connections_opened: int | None
    errors: int


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS_MS[unit]


def wrk(url: str, seconds: int, key: str | None = None) -> dict[str, float]:
    """Requests, req/s, p50 and p99 from `wrk --latency`, each request with the key if one is given (wrk sets
    headers from a Lua script); non-2xx answers and socket errors are counted as errors."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "10s", url]
    if key is not None:
        script = Path(tempfile.gettempdir()) / "lab-registry-bench-key.lua"
        script.write_text(f'wrk.headers["Authorization"] = "Bearer {key}"\n')
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    errors = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|connect|read|write|timeout):? (\d+)", output))
    return {
        "requests": float(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        # Anchored: "+/- Stdev" columns such as "71.50%" end in "50%" too.
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1)),  # type: ignore[union-attr]
        "errors": errors,
    }


async def pg_sessions() -> int | None:
    """Connections ever opened to the scratch database (this reading connects to another database)."""
    connection = await asyncpg.connect(pg_dsn("postgres"))
    try:
        sessions: int = await connection.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = $1", PG_DATABASE
        )
        return sessions
    finally:
        await connection.close()


async def measure(server: Server, url: str, seconds: int, postgresql: bool, key: str | None) -> Run:
    await asyncio.to_thread(wrk, url, WARM_UP_SECONDS, key)
    # Backends report their statistics at most once a second: a pause lets them settle before each reading.
    await asyncio.sleep(1.5)
    before = await pg_sessions() if postgresql else None
    reset_peak(server.pid)
    cpu = cpu_seconds(server.pid)
    result = await asyncio.to_thread(wrk, url, seconds, key)
    cpu_ms = (cpu_seconds(server.pid) - cpu) / result["requests"] * 1000
    peak = memory_kb(server.pid, "VmHWM")
    await asyncio.sleep(1.5)
    after = await pg_sessions() if postgresql else None
    opened = None if before is None or after is None else after - before
    return Run(
        result["rps"], result["p50"], result["p99"], round(cpu_ms, 3), megabytes(peak), opened, int(result["errors"])
    )


# Checks ----------------------------------------------------------------------------------------------------


async def captured_list_sql(url: str, query: str, key: str | None) -> Captured:
    """The SQL and values the app sends the driver for the event list read with `query` by anonymous, or by the
    caller `key` is: read through the list's own path (`Listing.page`, with what that caller may see), caught on
    its way to the driver."""
    engine = create_engine(Settings(database_url=url))
    sent: list[tuple[str, tuple[Any, ...]]] = []
    to_driver = reads._fetch

    async def caught(connection: Any, sql: str, values: tuple[Any, ...]) -> Sequence[Any]:
        sent.append((sql, values))
        return await to_driver(connection, sql, values)

    try:
        async with engine.connect() as connection:
            caller = ANONYMOUS if key is None else await auth_service.find_caller(connection, key)
            assert caller is not None, "the key is unknown"
            params = parse_query(EVENTS.params, Request({"type": "http", "query_string": query.encode()}))
            with mock.patch.object(reads, "_fetch", caught):
                await EVENTS.page(connection, params, caller)
    finally:
        await engine.dispose()
    assert len(sent) == 1, "the list's statement is executed by SQLAlchemy, not sent as driver SQL"
    sql, values = sent[0]
    positions: dict[str, int] = {}
    for name, text in parse_qsl(query):
        bound = int(text) + 1 if name == "limit" else text
        found = [index for index, value in enumerate(values) if value == bound]
        assert len(found) == 1, f"`{name}={text}` is not bound once among {values}"
        positions[name] = found[0]
    # The other values are the statement's constants (the `published` of the visibility condition, SQLite's
    # `OFFSET 0`): the bare endpoint sends them as they are, through its environment.
    assert orjson.loads(orjson.dumps(values)) == list(values), values
    return Captured(sql, list(values), positions)


async def issue_key(url: str, name: str, scopes: Sequence[Scope]) -> str:
    """A key issued in the scratch database: what an integrating app (`read`) or a moderation app (`publish`)
    sends."""
    async with session_scope(Settings(database_url=url)) as session:
        _, key = await auth_service.create_key(session, name=name, scopes=scopes, expires_at=None)
    return key


async def deep_cursor(url: str, page: int) -> tuple[str, str]:
    """The cursor of that page of the public list by start (the published events), and the id of the page's
    first event."""
    engine = create_engine(Settings(database_url=url))
    offset = (page - 1) * LIMIT
    try:
        async with engine.connect() as connection:
            order = (Event.starts_at, Event.id)
            public = select(*order).where(col(Event.publication) == Publication.published)  # type: ignore[call-overload]
            rows = (await connection.execute(public.order_by(*order).offset(offset - 1).limit(2))).all()
    finally:
        await engine.dispose()
    (last_starts_at, last_id), (_, first_id) = rows
    return encode_cursor("starts_at", [last_starts_at, last_id]), str(first_id)


def same_page(app_body: dict[str, Any], other: dict[str, Any] | list[Any]) -> bool:
    """The baselines must answer the same events, with the same fields and values, before times are compared."""
    items = other["items"] if isinstance(other, dict) else other
    if [i["id"] for i in app_body["items"]] != [i["id"] for i in items]:
        return False
    first, theirs = app_body["items"][0], items[0]
    return all(_same(first[name], theirs.get(name)) for name in first)


def _same(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, str) and isinstance(theirs, str) and re.match(r"\d{4}-\d\d-\d\dT", ours):
        return datetime.fromisoformat(ours) == datetime.fromisoformat(theirs)
    return bool(ours == theirs)


# Run ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A timed read: its name, the server it reads and the path; `key` names the key it sends (KEYS), if any."""

    name: str
    server: str
    path: str
    key: str | None = None


KEYS = {"read": [Scope.read], "publish": [Scope.read, Scope.publish]}
"""The keys the scenarios send, issued in the scratch database: an integrating app's, a moderation app's."""
BARE_READS = {"/events": (LIST_QUERY, None), "/queue": (QUEUE_QUERY, "publish")}
"""The bare endpoint's routes: the app's read of that query by that key's caller (anonymous when None)."""


def scenarios(cursor: str, deep_page: int) -> list[Scenario]:
    """The timed reads; the deep page comes last."""
    return [
        Scenario("list", "app", f"/api/v1/events?{LIST_QUERY}"),
        Scenario("list, keyed", "app", f"/api/v1/events?{LIST_QUERY}", key="read"),
        Scenario("bare", "bare", f"/events?{LIST_QUERY}"),
        Scenario("bare, keyed", "bare", f"/events?{LIST_QUERY}", key="read"),
        Scenario("tutorial", "tutorial", f"/events?{LIST_QUERY}"),
        Scenario("queue", "app", f"/api/v1/events?{QUEUE_QUERY}", key="publish"),
        Scenario("bare queue", "bare", f"/queue?{QUEUE_QUERY}"),
        Scenario("near", "app", f"/api/v1/events?near={NEAR}&radius_km={RADIUS_KM}&limit={LIMIT}"),
        Scenario("page 1", "app", f"/api/v1/events?limit={LIMIT}"),
        Scenario(f"page {deep_page:,}".replace(",", " "), "app", f"/api/v1/events?limit={LIMIT}&cursor={cursor}"),
    ]


def check_answers(
    servers: dict[str, Server], cases: Sequence[Scenario], deep_first_id: str, keys: dict[str, str]
) -> None:
    """Every server answers the same page, with a key or without; the queue is full and holds only submitted
    events, the public list only published ones; the deep page starts where an offset would."""
    bodies = {
        case.name: httpx2.get(
            servers[case.server].base_url + case.path,
            headers={} if case.key is None else {"Authorization": f"Bearer {keys[case.key]}"},
            timeout=30,
        ).json()
        for case in cases
    }
    queue = bodies["queue"]["items"]
    assert len(queue) == LIMIT, "no moderation queue: a database loaded before publication? Load it again (no --reuse)"
    assert {item["publication"] for item in queue} == {Publication.submitted}, "the queue holds other events"
    assert {item["publication"] for item in bodies["list"]["items"]} == {Publication.published}, "drafts are listed"
    assert bodies["list, keyed"] == bodies["list"], "a keyed read answers another page than a public one"
    assert same_page(bodies["list"], bodies["bare"]), "the bare endpoint answers another page than the app"
    assert bodies["bare, keyed"] == bodies["bare"], "the bare endpoint answers another page with a key"
    forged = {"Authorization": f"Bearer {keys['read'][:-4]}AAAA"}
    refused = httpx2.get(servers["bare"].base_url + cases[0].path.removeprefix("/api/v1"), headers=forged, timeout=30)
    assert refused.status_code == 401, "the bare endpoint does not check its key"
    assert same_page(bodies["list"], bodies["tutorial"]), "the tutorial endpoint answers other events than the app"
    assert bodies["list"]["next_cursor"] == bodies["bare"]["next_cursor"], "the cursors differ"
    assert same_page(bodies["queue"], bodies["bare queue"]), "the bare queue answers another page than the app"
    assert bodies["queue"]["next_cursor"] == bodies["bare queue"]["next_cursor"], "the queue's cursors differ"
    assert bodies[cases[-1].name]["items"][0]["id"] == deep_first_id, "the deep page does not start at its offset"
    near = bodies["near"]["items"]
    assert len(near) == LIMIT, "the near page is not full"
    assert all(_km(item["place"]) <= RADIUS_KM for item in near), "the near page holds an event out of the radius"


def _km(place: dict[str, Any]) -> float:
    """The great-circle distance from NEAR, computed here as a check of the SQL's."""
    latitude, longitude = (math.radians(float(part)) for part in NEAR.split(","))
    lat, lon = math.radians(place["latitude"]), math.radians(place["longitude"])
    chord = (
        math.sin((lat - latitude) / 2) ** 2 + math.cos(latitude) * math.cos(lat) * math.sin((lon - longitude) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(chord))


def median_run(runs: Sequence[Run]) -> Run:
    """The round of median throughput (its own latencies with it); the highest peak memory of all rounds."""
    ordered = sorted(runs, key=lambda r: r.requests_per_second)
    chosen = ordered[(len(ordered) - 1) // 2]
    return Run(**{**asdict(chosen), "peak_rss_mb": max(r.peak_rss_mb for r in runs)})


async def run(engine: str, n: int, seconds: int, rounds: int, reuse: bool) -> dict[str, Any]:
    if engine == "postgresql" and importlib.util.find_spec("psycopg2") is None:
        raise SystemExit("The tutorial baseline on PostgreSQL needs a sync driver: pip install psycopg2-binary")
    started = time.perf_counter()
    url = await (load_sqlite(n, reuse) if engine == "sqlite" else load_postgresql(n, reuse))
    say(f"database ready in {time.perf_counter() - started:.0f} s: {make_url(url).render_as_string()}")
    # Named afresh each run: a reused database keeps the keys of earlier runs, and live keys' names are unique.
    keys = {
        name: await issue_key(url, f"bench.lists {name} {uuid.uuid4().hex[:8]}", scopes)
        for name, scopes in KEYS.items()
    }
    captured = {
        path: await captured_list_sql(url, query, None if key is None else keys[key])
        for path, (query, key) in BARE_READS.items()
    }
    # Pages of the public list: about 97 % of the events are published.
    deep_page = min(DEEP_PAGE, n * 95 // 100 // LIMIT)
    cursor, deep_first_id = await deep_cursor(url, deep_page)
    cases = scenarios(cursor, deep_page)
    routes = {path: asdict(read) for path, read in captured.items()}
    baseline_env = {ENV_URL: url, ENV_ROUTES: orjson.dumps(routes).decode()}
    postgresql = engine == "postgresql"
    load_before = os.getloadavg()
    with (
        running("app", [LAB_REGISTRY, "serve", "--workers", "1"], {"DATABASE_URL": url}, "/api/v1/regions") as app,
        running("bare", uvicorn_command("bench.lists:bare_app"), baseline_env, "/ready") as bare,
        running("tutorial", uvicorn_command("bench.lists:tutorial_app"), baseline_env, "/ready") as tutorial,
    ):
        servers = {"app": app, "bare": bare, "tutorial": tutorial}
        check_answers(servers, cases, deep_first_id, keys)
        idle = {name: megabytes(memory_kb(s.pid, "VmRSS")) for name, s in servers.items()}
        runs: dict[str, list[Run]] = {case.name: [] for case in cases}
        for round_number in range(1, rounds + 1):
            for case in cases:
                server = servers[case.server]
                key = None if case.key is None else keys[case.key]
                result = await measure(server, server.base_url + case.path, seconds, postgresql, key)
                runs[case.name].append(result)
                say(
                    f"round {round_number} {case.name:<12} {result.requests_per_second:8.0f} req/s  "
                    f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms  CPU {result.cpu_ms:5.2f} ms/req  "
                    f"{result.peak_rss_mb:6.1f} MB  "
                    f"load {os.getloadavg()[0]:.2f}"
                )
    kept = {name: median_run(found) for name, found in runs.items()}
    deep_name = cases[-1].name
    ratio_goal = RATIO_GOALS[engine]
    list_ratio = kept["list"].requests_per_second / kept["bare"].requests_per_second
    keyed_ratio = kept["list, keyed"].requests_per_second / kept["bare"].requests_per_second
    queue_ratio = kept["queue"].requests_per_second / kept["bare queue"].requests_per_second
    deep_ratio = kept[deep_name].p50_ms / kept["page 1"].p50_ms
    near_ratio = kept["near"].p50_ms / kept["list"].p50_ms
    errors = sum(r.errors for found in runs.values() for r in found)
    return {
        "engine": engine,
        "events": n,
        "load": f"wrk -t1 -c{CONNECTIONS} -d{seconds}s --latency after {WARM_UP_SECONDS} s of warm-up; "
        f"median of {rounds} rounds by req/s",
        "machine": machine(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sql": {path: read.sql for path, read in captured.items()},
        "idle_rss_mb": idle,
        "scenarios": {case.name: {"server": case.server, "path": case.path.split("cursor=")[0]} for case in cases},
        "results": {name: asdict(found) for name, found in kept.items()},
        "rounds": {name: [asdict(r) for r in found] for name, found in runs.items()},
        "goals": {
            "list_vs_bare": {
                "ratio": round(list_ratio, 2),
                "goal": f">= {ratio_goal}",
                "met": list_ratio >= ratio_goal,
            },
            "list_vs_tutorial": {
                "ratio": round(kept["list"].requests_per_second / kept["tutorial"].requests_per_second, 2)
            },
            "keyed_vs_bare": {
                "ratio": round(keyed_ratio, 2),
                "goal": f">= {ratio_goal}",
                "met": keyed_ratio >= ratio_goal,
            },
            "keyed_vs_bare_keyed": {
                "ratio": round(kept["list, keyed"].requests_per_second / kept["bare, keyed"].requests_per_second, 2)
            },
            "bare_keyed_vs_bare": {
                "ratio": round(kept["bare, keyed"].requests_per_second / kept["bare"].requests_per_second, 2)
            },
            "queue_vs_bare_queue": {
                "ratio": round(queue_ratio, 2),
                "goal": f">= {ratio_goal}",
                "met": queue_ratio >= ratio_goal,
            },
            "deep_vs_page_1_p50": {
                "ratio": round(deep_ratio, 2),
                "goal": f"<= {DEEP_GOAL}",
                "met": deep_ratio <= DEEP_GOAL,
            },
            "near_vs_region_p50": {
                "ratio": round(near_ratio, 2),
                "goal": f"<= {NEAR_GOAL}",
                "met": near_ratio <= NEAR_GOAL,
            },
            "no_errors": {"errors": errors, "met": errors == 0},
        },
    }


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": round(int(memory) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
    }


def show(report: dict[str, Any]) -> None:
    results, goals = report["results"], report["goals"]
    say(f"\nlists on {report['engine']}, {report['events']:,} events; {report['load']}".replace(",", " "))
    say(f"{'scenario':<14} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms':>7} {'peak MB':>8} {'conns':>6}  ratio")
    notes = {
        "list": f"x{goals['list_vs_bare']['ratio']} of bare (goal {goals['list_vs_bare']['goal']}), "
        f"x{goals['list_vs_tutorial']['ratio']} of tutorial",
        "list, keyed": f"x{goals['keyed_vs_bare']['ratio']} of bare (goal {goals['keyed_vs_bare']['goal']}), "
        f"x{goals['keyed_vs_bare_keyed']['ratio']} of bare, keyed",
        "bare, keyed": f"x{goals['bare_keyed_vs_bare']['ratio']} of bare: what a key's check costs",
        "queue": f"x{goals['queue_vs_bare_queue']['ratio']} of bare queue "
        f"(goal {goals['queue_vs_bare_queue']['goal']})",
    }
    deep = list(results)[-1]
    notes[deep] = f"p50 x{goals['deep_vs_page_1_p50']['ratio']} of page 1 (goal {goals['deep_vs_page_1_p50']['goal']})"
    near = goals["near_vs_region_p50"]
    notes["near"] = f"p50 x{near['ratio']} of the region page (goal {near['goal']})"
    for name, r in results.items():
        opened = "-" if r["connections_opened"] is None else str(r["connections_opened"])
        say(
            f"{name:<14} {r['requests_per_second']:8.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['cpu_ms']:7.2f} "
            f"{r['peak_rss_mb']:8.1f} {opened:>6}  {notes.get(name, '')}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lists", description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--events", type=int, default=1_000_000, help="synthetic events (default 1 000 000)")
    parser.add_argument("--seconds", type=int, default=12, help="length of each timed wrk run (default 12)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all scenarios (default 3)")
    parser.add_argument("--reuse", action="store_true", help="keep a scratch database already holding N events")
    parser.add_argument("--tag", default="", help="suffix of the results file (lists-<engine>-<tag>.json)")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)
    report = asyncio.run(run(args.engine, args.events, args.seconds, args.rounds, args.reuse))
    RESULTS.mkdir(exist_ok=True)
    path = results_file("lists", args.engine, args.tag)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    show(report)
    met = all(goal.get("met", True) for goal in report["goals"].values())
    say(f"{'all goals met' if met else 'goal MISSED'}; results in {path}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
