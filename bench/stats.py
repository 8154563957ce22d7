"""Benchmark of the stats endpoints against the same GROUP BY run directly on the database driver.

    .venv/bin/python -m bench.stats --engine sqlite|postgresql [--events 1000000] [--repeat 5] [--reuse]

Builds a scratch database (SQLite: /tmp/stats.db; PostgreSQL: `lr_bench_stats` on the server that
BENCH_DATABASE_URL names, default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres), migrates it, loads the
demo dataset (labs, organizations, the 2020 campaign, projects, funding), then adds N synthetic events with the
engine's bulk path (`executemany` on SQLite, `COPY` through asyncpg on PostgreSQL) and runs ANALYZE. As in the
list benchmark, 97 % of them are published, 2 % drafts and 1 % submitted: the figures count published rows only,
and the hand-written SQL says so too.

Each case then runs, in the same process and in turn, three ways:
- `raw`: a hand-written SQL GROUP BY giving the same figures, on a raw driver connection (aiosqlite or asyncpg);
- `same`: the very statement the endpoint builds, compiled once, on that raw connection;
- `http`: the endpoint, through the ASGI app in-process (httpx2's ASGI transport: middleware, routing,
  validation, access check, SQLAlchemy, serialisation — no network).
Rows are fetched every time. It reports the medians and whether the goal `http <= 1.5 x raw + 5 ms` holds,
`raw` being the faster of the two raw timings, and writes bench/results/stats-<engine>[-<tag>].json.
`--reuse` keeps a database already loaded with at least N events (migrating it to head first).
"""

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx2
from asgi_lifespan import LifespanManager
from sqlalchemy import Select
from sqlalchemy.engine import Dialect, make_url

from app.core.config import Settings
from app.core.security import ANONYMOUS
from app.demo.seed import seed
from app.events.schemas import EventFilters
from app.exports.csv import CsvOptions
from app.funding.schemas import AllocationFilters
from app.main import create_app
from app.projects.schemas import ProjectFilters
from app.reference.data import EVENT_FORMATS, REGIONS, THEMES, timezone_for_region
from app.search.analysis import stems
from app.stats import service
from app.stats.schemas import (
    EventStatsOptions,
    EventStatsParams,
    FundingStatsOptions,
    FundingStatsParams,
    ProjectStatsOptions,
    ProjectStatsParams,
    ScalingParams,
    split,
)
from bench.common import (
    RESULTS,
    fresh_postgresql,
    fresh_sqlite,
    migrated,
    pg_count,
    pg_dsn,
    pg_url,
    results_file,
    say,
    sqlite_count,
    sqlite_url,
)

SQLITE_PATH = Path("/tmp/stats.db")
PG_DATABASE = "lr_bench_stats"
CAMPAIGN = "mois-innovation-publique-2020"
BATCH = 50_000
RATIO_GOAL = 1.5
SLACK_MS = 5.0

EVENT_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "version",
    "title",
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
    "campaign_id",
    "region_code",
    "capacity",
    "participants_count",
    "search_title",
    "search_text",
    "publication",
    "places_left",
    "is_full",
    "accessibility",
    "languages",
)


# Data -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parents:
    """Rows the synthetic events point at, with ids as the driver stores them."""

    labs: list[tuple[Any, str]]
    organizations: list[tuple[Any, str | None]]
    campaign: Any


def synthetic_events(n: int, parents: Parents, sqlite_values: bool, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """N plausible events: themes, formats, regions and organizers skewed like the demo, 2017 to 2021; 3 % not
    published."""
    themes = [code for code, _ in THEMES]
    formats = [code for code, _ in EVENT_FORMATS]
    regions = [code for code, _, _ in REGIONS]
    zones = {code: ZoneInfo(timezone_for_region(code)) for code in regions}
    zones[""] = ZoneInfo("Europe/Paris")
    first = date(2017, 1, 1)
    span = (date(2021, 12, 31) - first).days
    now = datetime.now(UTC)
    november = date(2020, 11, 1)

    def instant(value: datetime) -> Any:
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite_values else value

    stamp = instant(now)
    for number in range(n):
        campaign = rng.random() < 0.1
        day = november + timedelta(days=rng.randrange(30)) if campaign else first + timedelta(days=rng.randrange(span))
        lab_id: Any = None
        organizer: Any = None
        if rng.random() < 0.6:
            lab_id, region = rng.choice(parents.labs)
        else:
            organizer, organizer_region = rng.choice(parents.organizations)
            region = organizer_region if organizer_region is not None else rng.choice(regions)
        region_code: str | None = None if rng.random() < 0.01 else region
        zone = zones[region_code or ""]
        local = datetime(day.year, day.month, day.day, rng.randrange(7, 22), rng.choice((0, 30)), tzinfo=zone)
        starts_at = local.astimezone(UTC)
        roll = rng.random()
        status = "cancelled" if roll < 0.02 else "moved-online" if roll < 0.07 else "scheduled"
        participants = None if rng.random() < 0.1 else rng.randrange(0, 200)
        title = f"Événement synthétique {number}"
        stage = rng.random()
        publication = "submitted" if stage < 0.01 else "draft" if stage < 0.03 else "published"
        yield (
            uuid.uuid4().hex if sqlite_values else uuid.uuid4(),
            stamp,
            stamp,
            1,
            title,
            rng.choices(themes, weights=(28, 10, 18, 16, 10, 9, 9))[0],
            "[]",
            rng.choices(formats, weights=(35, 25, 15, 10, 6, 2, 2, 5))[0],
            rng.choice(("online", "in-person", "hybrid")),
            rng.choice(("agents", "citizens", "all")),
            instant(starts_at),
            instant(starts_at + timedelta(hours=2)),
            zone.key,
            day.isoformat() if sqlite_values else day,
            status,
            organizer,
            lab_id,
            parents.campaign if campaign else None,
            region_code,
            200,
            participants,
            stems(title),
            "",
            publication,
            200,
            False,
            "[]",
            '["fr"]',
        )


def _placeholders(sql: str, engine: str) -> str:
    """`:name` parameters as the driver wants them: kept for sqlite3, `$1…` for asyncpg (in order)."""
    if engine == "sqlite":
        return sql
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return re.sub(r"(?<!:):([a-z_]+)", number, sql)


def _pg_args(sql: str, params: dict[str, Any]) -> list[Any]:
    names: list[str] = []
    for name in re.findall(r"(?<!:):([a-z_]+)", sql):
        if name not in names:
            names.append(name)
    return [params[name] for name in names]


async def load_sqlite(n: int, reuse: bool) -> str:
    if reuse and sqlite_count(SQLITE_PATH) >= n:
        return await migrated(sqlite_url(SQLITE_PATH))
    url = await fresh_sqlite(SQLITE_PATH)
    await seed(Settings(database_url=url))
    connection = sqlite3.connect(SQLITE_PATH)
    try:
        labs = connection.execute("SELECT id, region_code FROM labs WHERE status = 'active'").fetchall()
        organizations = connection.execute("SELECT id, region_code FROM organizations").fetchall()
        (campaign,) = connection.execute("SELECT id FROM campaigns WHERE slug = ?", (CAMPAIGN,)).fetchone()
        parents = Parents(labs, organizations, campaign)
        insert = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
        rows = synthetic_events(n, parents, True, random.Random(2020))
        with connection:
            while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
                connection.executemany(insert, batch)
        connection.execute("ANALYZE")
    finally:
        connection.close()
    return url


async def load_postgresql(n: int, reuse: bool) -> str:
    if reuse and await pg_count(PG_DATABASE) >= n:
        return await migrated(pg_url(PG_DATABASE))
    url = await fresh_postgresql(PG_DATABASE)
    await seed(Settings(database_url=url))
    connection = await asyncpg.connect(pg_dsn(PG_DATABASE))
    try:
        labs = [tuple(r) for r in await connection.fetch("SELECT id, region_code FROM labs WHERE status = 'active'")]
        organizations = [tuple(r) for r in await connection.fetch("SELECT id, region_code FROM organizations")]
        campaign = await connection.fetchval("SELECT id FROM campaigns WHERE slug = $1", CAMPAIGN)
        rows = synthetic_events(n, Parents(labs, organizations, campaign), False, random.Random(2020))
        while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
            await connection.copy_records_to_table("events", records=batch, columns=list(EVENT_COLUMNS))
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return url


# Cases ----------------------------------------------------------------------------------------------------

MEASURES = """count(*) AS n, coalesce(sum(e.participants_count), 0) AS participants,
  sum(CASE WHEN e.format = 'formation' AND e.status <> 'cancelled' THEN 1 ELSE 0 END) AS training_sessions,
  sum(CASE WHEN e.status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled"""

EXPRESSIONS = {
    "sqlite": {
        "month": "strftime('%Y-%m', {0})",
        "week": "printf('%s-W%02d', strftime('%Y', date({0}, '-3 days', 'weekday 4')), "
        "(CAST(strftime('%j', date({0}, '-3 days', 'weekday 4')) AS INTEGER) - 1) / 7 + 1)",
    },
    "postgresql": {"month": "to_char({0}, 'YYYY-MM')", "week": """to_char({0}, 'IYYY-"W"IW')"""},
}


def _events_sql(key: str, join: str = "", where: str = "", label: str | None = None) -> str:
    group = f"{key}, {label}" if label else key
    published = f"e.publication = 'published'{f' AND {where}' if where else ''}"
    return (
        f"SELECT {key} AS key{f', {label} AS label' if label else ''}, {MEASURES} FROM events e {join} "
        f"WHERE {published} GROUP BY {group} ORDER BY n DESC, key"
    )


@dataclass(frozen=True)
class Case:
    """One figure: the endpoint and its query string, the raw SQL, and what to compare between the two."""

    name: str
    path: str
    params: dict[str, str]
    sql: Callable[[str], str]
    args: Callable[[str], dict[str, Any]] = lambda _engine: {}
    compare: str = "groups"


def _grouped(key: str, join: str = "", label: str | None = None, where: str = "") -> Callable[[str], str]:
    return lambda _engine: _events_sql(key, join, where, label)


def _dated(kind: str, where: str = "") -> Callable[[str], str]:
    return lambda engine: _events_sql(EXPRESSIONS[engine][kind].format("e.local_start_date"), where=where)


def _paris_midnight(engine: str, day: date) -> Any:
    instant = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)
    return instant.strftime("%Y-%m-%d %H:%M:%S.%f") if engine == "sqlite" else instant


OVERVIEW_SQL = """
SELECT al.labs_funded, lb.labs_active, pr.projects_and_actions, ev.training_sessions, ev.events,
  pr.users_involved + pr.agents_involved + ev.participants AS people_reached, rg.regions - rg.covered AS uncovered,
  al.committed_cents, al.disbursed_cents
FROM (SELECT sum(CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END) AS events,
        sum(CASE WHEN format = 'formation' AND status <> 'cancelled' THEN 1 ELSE 0 END) AS training_sessions,
        coalesce(sum(CASE WHEN status <> 'cancelled' THEN participants_count ELSE 0 END), 0) AS participants
      FROM events WHERE publication = 'published') ev,
     (SELECT count(*) AS projects_and_actions, coalesce(sum(users_involved), 0) AS users_involved,
        coalesce(sum(agents_involved), 0) AS agents_involved FROM projects WHERE publication = 'published') pr,
     (SELECT sum(CASE WHEN status = 'active' THEN 1 ELSE 0 END) AS labs_active FROM labs) lb,
     (SELECT count(DISTINCT CASE WHEN status = 'committed' THEN lab_id END) AS labs_funded,
        sum(CASE WHEN status = 'committed' THEN amount_cents ELSE 0 END) AS committed_cents,
        (SELECT sum(amount_cents) FROM disbursements) AS disbursed_cents FROM allocations) al,
     (SELECT count(DISTINCT r.code) AS regions, count(DISTINCT l.region_code) AS covered
      FROM regions r LEFT JOIN labs l ON l.region_code = r.code AND l.status = 'active') rg
"""

PROJECTS_SQL = """
SELECT status AS key, count(*) AS n, coalesce(sum(users_involved), 0), coalesce(sum(agents_involved), 0)
FROM projects WHERE publication = 'published' GROUP BY status ORDER BY n DESC, key
"""

FUNDING_SQL = """
SELECT s.code AS key, s.name, coalesce(g.n, 0) AS n, s.envelope_cents, coalesce(g.committed, 0) AS committed,
  coalesce(g.disbursed, 0), s.envelope_cents - coalesce(g.committed, 0) AS remaining
FROM funding_streams s LEFT JOIN (
  SELECT a.stream_id, count(*) AS n, sum(CASE WHEN a.status = 'committed' THEN a.amount_cents ELSE 0 END) AS committed,
    coalesce(sum(p.amount), 0) AS disbursed
  FROM allocations a
  LEFT JOIN (SELECT allocation_id, sum(amount_cents) AS amount FROM disbursements GROUP BY allocation_id) p
    ON p.allocation_id = a.id
  GROUP BY a.stream_id) g ON g.stream_id = s.id
ORDER BY committed DESC, n DESC, key
"""

COVERAGE_SQL = """
SELECT r.code, r.name, l.slug, l.status FROM regions r
LEFT JOIN labs l ON l.region_code = r.code AND l.status IN ('active', 'planned') ORDER BY r.code, l.name
"""

SCALING_SQL = """
WITH RECURSIVE tree(root_id, id, depth) AS (
  SELECT id, id, 0 FROM projects WHERE replicates_project_id IS NULL AND publication = 'published'
  UNION ALL SELECT tree.root_id, p.id, tree.depth + 1 FROM projects p JOIN tree ON p.replicates_project_id = tree.id
  WHERE p.publication = 'published')
SELECT tree.root_id, count(*) - 1 AS replicas, count(DISTINCT p.region_code) AS territories
FROM tree JOIN projects p ON p.id = tree.id GROUP BY tree.root_id HAVING count(*) > 1
ORDER BY territories DESC, replicas DESC
"""

CASES = [
    Case(
        "events by theme",
        "/api/v1/stats/events",
        {"group_by": "theme"},
        _grouped("e.theme_code", "LEFT JOIN themes t ON t.code = e.theme_code", "t.label"),
    ),
    Case(
        "events by format",
        "/api/v1/stats/events",
        {"group_by": "format"},
        _grouped("e.format", "LEFT JOIN event_formats f ON f.code = e.format", "f.label"),
    ),
    Case(
        "events by region",
        "/api/v1/stats/events",
        {"group_by": "region"},
        _grouped("e.region_code", "LEFT JOIN regions r ON r.code = e.region_code", "r.name"),
    ),
    Case(
        "events by organizer kind",
        "/api/v1/stats/events",
        {"group_by": "organizer_kind"},
        _grouped("coalesce(o.kind, 'laboratoire')", "LEFT JOIN organizations o ON o.id = e.organizer_organization_id"),
    ),
    Case(
        "events by attendance mode",
        "/api/v1/stats/events",
        {"group_by": "attendance_mode"},
        _grouped("e.attendance_mode"),
    ),
    Case("events by audience", "/api/v1/stats/events", {"group_by": "audience"}, _grouped("e.audience")),
    Case(
        "events by lab",
        "/api/v1/stats/events",
        {"group_by": "lab"},
        _grouped("l.slug", "LEFT JOIN labs l ON l.id = e.lab_id", "l.name"),
    ),
    Case(
        "events by campaign",
        "/api/v1/stats/events",
        {"group_by": "campaign"},
        _grouped("c.slug", "LEFT JOIN campaigns c ON c.id = e.campaign_id", "c.name"),
    ),
    Case("events by month", "/api/v1/stats/events", {"group_by": "month"}, _dated("month")),
    Case("events by week", "/api/v1/stats/events", {"group_by": "week"}, _dated("week")),
    Case(
        "campaign events by theme",
        "/api/v1/stats/events",
        {"group_by": "theme", "campaign": CAMPAIGN},
        _grouped(
            "e.theme_code",
            "LEFT JOIN themes t ON t.code = e.theme_code",
            "t.label",
            "e.campaign_id = (SELECT id FROM campaigns WHERE slug = :campaign)",
        ),
        lambda _engine: {"campaign": CAMPAIGN},
    ),
    Case(
        "Bretagne events by week",
        "/api/v1/stats/events",
        {"group_by": "week", "region": "53"},
        _dated("week", "e.region_code = :region"),
        lambda _engine: {"region": "53"},
    ),
    Case(
        "2020 events by format",
        "/api/v1/stats/events",
        {"group_by": "format", "starts_after": "2020-01-01", "starts_before": "2021-01-01"},
        _grouped(
            "e.format",
            "LEFT JOIN event_formats f ON f.code = e.format",
            "f.label",
            "e.starts_at >= :after AND e.starts_at < :before",
        ),
        lambda engine: {
            "after": _paris_midnight(engine, date(2020, 1, 1)),
            "before": _paris_midnight(engine, date(2021, 1, 1)),
        },
    ),
    Case("overview", "/api/v1/stats/overview", {}, lambda _engine: OVERVIEW_SQL, compare="overview"),
    Case("projects by status", "/api/v1/stats/projects", {"group_by": "status"}, lambda _engine: PROJECTS_SQL),
    Case("funding by stream", "/api/v1/stats/funding", {"group_by": "stream"}, lambda _engine: FUNDING_SQL),
    Case("coverage", "/api/v1/stats/coverage", {}, lambda _engine: COVERAGE_SQL, compare="coverage"),
    Case("scaling", "/api/v1/stats/scaling", {}, lambda _engine: SCALING_SQL, compare="scaling"),
]


def endpoint_statement(case: Case) -> Select[Any]:
    """The statement the endpoint builds for these query parameters."""
    params = case.params
    match case.path.rsplit("/", 1)[-1]:
        case "events":
            events, event_options = split(EventStatsParams.model_validate(params), EventFilters, EventStatsOptions)
            return service.event_stats_query(events, event_options.group_by, ANONYMOUS)
        case "projects":
            projects, project_options = split(
                ProjectStatsParams.model_validate(params), ProjectFilters, ProjectStatsOptions
            )
            return service.project_stats_query(projects, project_options.group_by, ANONYMOUS)
        case "funding":
            allocations, funding_options = split(
                FundingStatsParams.model_validate(params), AllocationFilters, FundingStatsOptions
            )
            return service.funding_stats_query(allocations, funding_options.group_by, ANONYMOUS)
        case "overview":
            return service.overview_query(params.get("region"), params.get("lab"))
        case "coverage":
            return service.coverage_query(params.get("region"))
        case "scaling":
            return service.scaling_query(
                split(ScalingParams.model_validate(params), ProjectFilters, CsvOptions)[0], ANONYMOUS
            )
    raise ValueError(case.path)


def driver_sql(stmt: Select[Any], dialect: Dialect) -> tuple[str, list[Any]]:
    """SQL text and positional values, as SQLAlchemy sends them to the driver (bind processors applied)."""
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    params = []
    for name in compiled.positiontup or ():
        # A list rendered as `IN (?, ?)` names its items `<bind>_1`, `<bind>_2`…
        bind = compiled.binds[name if name in compiled.binds else name.rsplit("_", 1)[0]]
        processor = bind.type.bind_processor(dialect)
        params.append(processor(values[name]) if processor else values[name])
    return compiled.string, params


# Run ------------------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    query: str
    raw_ms: float
    same_ms: float
    http_ms: float
    ratio: float
    goal_ms: float
    meets_goal: bool
    http_min_ms: float
    raw_runs_ms: list[float] = field(default_factory=list)
    same_runs_ms: list[float] = field(default_factory=list)
    http_runs_ms: list[float] = field(default_factory=list)


def check(case: Case, body: dict[str, Any], rows: Sequence[Sequence[Any]]) -> None:
    """The endpoint and the raw SQL must agree before their times are compared."""
    if case.compare == "groups":
        endpoint = [(g["key"], g["count"]) for g in body["groups"]]
        raw = [(row[0], int(row[_count_column(row)])) for row in rows]
        assert endpoint == raw, f"{case.name}: endpoint {endpoint[:5]}… differs from raw SQL {raw[:5]}…"
    elif case.compare == "overview":
        (row,) = rows
        expected = (
            body["labs_funded"],
            body["labs_active"],
            body["projects_and_actions"],
            body["training_sessions"],
            body["events"],
            body["people_reached"],
            body["regions_uncovered"],
            body["committed_cents"],
            body["disbursed_cents"],
        )
        assert tuple(int(v or 0) for v in row) == expected, f"overview: {tuple(row)} != {expected}"
    elif case.compare == "coverage":
        assert len({row[0] for row in rows}) == len(body["regions"])
    elif case.compare == "scaling":
        assert [(int(r[1]), int(r[2])) for r in rows] == [
            (o["replica_count"], o["territories"]) for o in body["originals"]
        ]


def _count_column(row: Sequence[Any]) -> int:
    """The raw rows carry `key, [label,] n, …`: the count is the first integer after the key and label."""
    return next(i for i, value in enumerate(row) if i > 0 and isinstance(value, int) and not isinstance(value, bool))


Query = Callable[[str, Sequence[Any] | dict[str, Any]], Awaitable[Sequence[Sequence[Any]]]]


async def raw_connection(engine: str) -> tuple[Query, Callable[[], Awaitable[None]]]:
    """A driver connection outside SQLAlchemy: how to query it, how to close it."""
    if engine == "sqlite":
        import aiosqlite

        lite = await aiosqlite.connect(SQLITE_PATH)

        async def sqlite_query(sql: str, params: Sequence[Any] | dict[str, Any]) -> Sequence[Sequence[Any]]:
            async with lite.execute(sql, params) as cursor:
                return list(await cursor.fetchall())

        return sqlite_query, lite.close
    pg = await asyncpg.connect(pg_dsn(PG_DATABASE))

    async def pg_query(sql: str, params: Sequence[Any] | dict[str, Any]) -> Sequence[Sequence[Any]]:
        if isinstance(params, dict):
            sql, params = _placeholders(sql, "postgresql"), _pg_args(sql, params)
        rows: Sequence[Sequence[Any]] = await pg.fetch(sql, *params)
        return rows

    return pg_query, pg.close


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    begin = time.perf_counter()
    await call()
    return (time.perf_counter() - begin) * 1000


async def run(engine: str, n: int, repeat: int, reuse: bool) -> list[Result]:
    started = time.perf_counter()
    url = await (load_sqlite(n, reuse) if engine == "sqlite" else load_postgresql(n, reuse))
    say(f"database ready in {time.perf_counter() - started:.0f} s: {make_url(url).render_as_string()}")
    query, close = await raw_connection(engine)
    results = []
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    try:
        async with (
            LifespanManager(app),
            httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://bench") as http,
        ):
            dialect = app.state.engine.dialect
            say(f"{'':<28} {'raw SQL':>10} {'same SQL':>10} {'HTTP':>10} {'goal':>10}")
            for case in CASES:
                sql, params = case.sql(engine), case.args(engine)
                same_sql, same_params = driver_sql(endpoint_statement(case), dialect)

                async def raw(sql: str = sql, params: dict[str, Any] = params) -> Any:
                    return await query(sql, params)

                async def same(sql: str = same_sql, params: list[Any] = same_params) -> Any:
                    return await query(sql, params)

                async def endpoint(case: Case = case) -> Any:
                    response = await http.get(case.path, params=case.params)
                    response.raise_for_status()
                    return response

                body = (await endpoint()).json()
                check(case, body, await raw())
                await same()
                runs: dict[str, list[float]] = {"raw": [], "same": [], "http": []}
                for _ in range(repeat):
                    runs["raw"].append(await timed(raw))
                    runs["same"].append(await timed(same))
                    runs["http"].append(await timed(endpoint))
                raw_ms, same_ms, http_ms = (statistics.median(runs[k]) for k in ("raw", "same", "http"))
                reference = min(raw_ms, same_ms)
                goal = RATIO_GOAL * reference + SLACK_MS
                result = Result(
                    name=case.name,
                    query=str(httpx2.URL(case.path, params=case.params)),
                    raw_ms=round(raw_ms, 2),
                    same_ms=round(same_ms, 2),
                    http_ms=round(http_ms, 2),
                    ratio=round(http_ms / reference, 2),
                    goal_ms=round(goal, 2),
                    meets_goal=http_ms <= goal,
                    http_min_ms=round(min(runs["http"]), 2),
                    raw_runs_ms=[round(t, 2) for t in runs["raw"]],
                    same_runs_ms=[round(t, 2) for t in runs["same"]],
                    http_runs_ms=[round(t, 2) for t in runs["http"]],
                )
                results.append(result)
                say(
                    f"{case.name:<28} {raw_ms:8.1f}ms {same_ms:8.1f}ms {http_ms:8.1f}ms {goal:8.1f}ms "
                    f"x{result.ratio:<6} {'ok' if result.meets_goal else 'MISSED'}"
                )
    finally:
        await close()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--events", type=int, default=1_000_000, help="synthetic events to add (default 1 000 000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each query, each way (default 5)")
    parser.add_argument("--reuse", action="store_true", help="keep a scratch database already holding N events")
    parser.add_argument("--tag", default="", help="suffix of the results file (stats-<engine>-<tag>.json)")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)
    results = asyncio.run(run(args.engine, args.events, args.repeat, args.reuse))
    RESULTS.mkdir(exist_ok=True)
    report = {
        "engine": args.engine,
        "events": args.events,
        "repeat": args.repeat,
        "goal": f"http <= {RATIO_GOAL} x raw + {SLACK_MS} ms (medians)",
        "http": "ASGI in-process through httpx2.ASGITransport (no network)",
        "raw": "hand-written GROUP BY; same: the endpoint's own statement; both on a raw driver connection",
        "sqlite_version": sqlite3.sqlite_version,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "all_meet_goal": all(r.meets_goal for r in results),
        "results": [asdict(r) for r in results],
    }
    path = results_file("stats", args.engine, args.tag)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    say(f"{'all' if report['all_meet_goal'] else 'NOT all'} within the goal; results in {path}")
    return 0 if report["all_meet_goal"] else 1


if __name__ == "__main__":
    sys.exit(main())
