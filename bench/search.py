"""French full-text search on N synthetic events (bench.lists' loader): `q` pages and `/search` against the plain
`region=` page in the same run, and what the text index costs (build time, size).

    .venv/bin/python -m bench.search --engine sqlite|postgresql [--events 1000000] [--requests 40] [--reuse]

Requests go to the app in this process (httpx's ASGI transport, one at a time: one worker, no HTTP server), so the
figures are the app's own time per request; the ratio to the `region=` page is what to compare (bench/README.md).
"""

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx2
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from app.core.config import Settings
from app.core.db import create_engine
from app.main import create_app
from app.search import schema
from bench.common import say
from bench.lists import load_postgresql, load_sqlite

SQLITE_PATH = Path("/tmp/search.db")
PG_DATABASE = "lr_bench_search"
"""Their own: another benchmark may be loading bench.lists' database meanwhile."""

CASES: dict[str, str] = {
    "region page": "/api/v1/events?region=53&limit=50",
    "q one common word (relevance)": "/api/v1/events?q=atelier&limit=50",
    "q two words (relevance)": "/api/v1/events?q=atelier+numerique&limit=50",
    "q phrase (relevance)": "/api/v1/events?q=%22service+public%22&limit=50",
    "q one rare word": "/api/v1/events?q=zygomatique&limit=50",
    "q one common word, by date": "/api/v1/events?q=atelier&sort=starts_at&limit=50",
    "q two words, by date": "/api/v1/events?q=atelier+numerique&sort=starts_at&limit=50",
    "q phrase, by date": "/api/v1/events?q=%22service+public%22&sort=starts_at&limit=50",
    "/search one common word (relevance)": "/api/v1/search?q=atelier&limit=50",
}
GOALS = {
    "q one common word (relevance)": 2.0,
    "q two words (relevance)": 2.0,
    "q phrase (relevance)": 2.0,
    "/search one common word (relevance)": 3.0,
    "q one common word, by date": 2.0,
    "q two words, by date": 2.0,
    "q phrase, by date": 2.0,
}


async def _timed(http: httpx2.AsyncClient, path: str, requests: int) -> tuple[float, float, int]:
    """p50 and p99 in ms, and the page's item count."""
    response = await http.get(path)
    assert response.status_code == 200, response.text
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        await http.get(path)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))], len(response.json()["items"])


async def _index_cost(url: str) -> tuple[float, float]:
    """Seconds to build the events' text index again from the stored rows, and its size in MB."""
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.begin() as connection:
            start = time.perf_counter()
            if connection.dialect.name == "postgresql":
                # The app's statement timeout is for requests: a million rows take minutes.
                await connection.execute(text("SET LOCAL statement_timeout = 0"))
                await connection.run_sync(lambda c: schema.drop_postgresql(c, "events"))
                # As migration 0013 declares the events' searched columns.
                body = {"description": False, "city": False, "tags": True, "place.name": True, "place.address": True}
                await connection.run_sync(lambda c: schema.install_postgresql(c, "events", "title", body))
                size = (
                    await connection.execute(
                        text(
                            "SELECT pg_relation_size('ix_events_search_vector') "
                            "+ (SELECT sum(pg_column_size(search_vector)) FROM events)"
                        )
                    )
                ).scalar_one()
            else:
                await connection.run_sync(lambda c: schema.install_sqlite(c, "events"))
                size = (
                    await connection.execute(text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'events_fts%'"))
                ).scalar_one()
            built = time.perf_counter() - start
    finally:
        await engine.dispose()
    return built, int(size or 0) / 1e6


async def run(engine: str, n: int, requests: int, reuse: bool, skip: Sequence[str]) -> dict[str, Any]:
    say(f"{engine}: loading {n} events")
    start = time.perf_counter()
    url = await (
        load_postgresql(n, reuse, PG_DATABASE) if engine == "postgresql" else load_sqlite(n, reuse, SQLITE_PATH)
    )
    loaded = time.perf_counter() - start
    say(f"{engine}: loaded in {loaded:.0f} s; building the text index again")
    built, size = await _index_cost(url)
    say(f"{engine}: index built in {built:.1f} s, {size:.0f} MB")
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    figures: dict[str, tuple[float, float, int]] = {}
    async with LifespanManager(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://bench") as http:
            for name, path in CASES.items():
                if any(word in name for word in skip):
                    continue
                figures[name] = await _timed(http, path, requests)
                say(f"{engine}: {name}: p50 {figures[name][0]:.1f} ms")
    return {
        "engine": engine,
        "events": n,
        "load_s": loaded,
        "index_build_s": built,
        "index_mb": size,
        "figures": figures,
    }


def show(report: dict[str, Any]) -> bool:
    base = report["figures"]["region page"][0]
    say(
        f"\n{report['engine']}, {report['events']} events: loaded in {report['load_s']:.0f} s; "
        f"text index rebuilt in {report['index_build_s']:.1f} s, {report['index_mb']:.0f} MB\n"
    )
    say("| request | items | p50 ms | p99 ms | × region p50 | goal |")
    say("|---|---|---|---|---|---|")
    met = True
    for name, (p50, p99, items) in report["figures"].items():
        goal = GOALS.get(name)
        ratio = p50 / base
        met = met and (goal is None or ratio <= goal)
        say(f"| {name} | {items} | {p50:.1f} | {p99:.1f} | {ratio:.2f} | {'' if goal is None else f'≤ {goal:g}'} |")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument(
        "--skip", action="append", default=[], help="leave out the cases whose name holds this text (repeatable)"
    )
    args = parser.parse_args(argv)
    report = asyncio.run(run(args.engine, args.events, args.requests, args.reuse, args.skip))
    return 0 if show(report) else 1


if __name__ == "__main__":
    sys.exit(main())
