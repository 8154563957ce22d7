"""Load test: concurrent clients doing mixed reads and writes against `lab-registry serve --workers 2` on PostgreSQL.

    .venv/bin/python -m bench.load [--clients 50] [--seconds 60] [--workers 2] [--shared 10]

Not part of CI. Builds a scratch database (`lr_bench_load` on the server BENCH_DATABASE_URL names, default
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres), migrates it, loads the demo dataset, creates a write key
and `--shared` counter projects (`users_involved` = 0), then starts the server. Each client has a connection of
its own and, until the time is up, picks one of:

- `list` (40 %): a page of labs, events of a region, projects or organizations;
- `get` (20 %): one lab by slug or one project by id;
- `create` (20 %): an organization with an Idempotency-Key, its name unique to the key. A quarter of them is
  sent again with the same key once answered (a client retrying a lost answer: 201 replayed), and another quarter
  twice at once (a retry racing the original: one creates, the other gets 409 in flight or the replay);
- `increment` (20 %): read a shared project, then PATCH `users_involved` + 1 with If-Match on its ETag; a 412
  (another client won) re-reads and tries again.

Afterwards, straight from the database: lost updates = increments answered 200 minus what the counters hold
(nonzero means an update overwrote another); duplicate creates = idempotency keys whose name is stored more than
once, and missing creates = keys answered 201 whose row is absent. Goals: 0 5xx, 0 transport errors, 0 lost
updates, 0 duplicates. Prints a table (requests, req/s, p50, p99 per kind and overall) and writes
bench/results/load.json. The load generator runs on the same machine as the server and PostgreSQL.
"""

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx2

from app.core.config import Settings
from app.demo.seed import seed
from bench.common import RESULTS, fresh_postgresql, pg_dsn, say
from tests.servers import Server, create_api_key

PG_DATABASE = "lr_bench_load"
SEED = 2020
KINDS = ("list", "get", "create", "increment")
WEIGHTS = (40, 20, 20, 20)
LISTS = (
    "/api/v1/labs?limit=20",
    "/api/v1/events?region=53&limit=20",
    "/api/v1/projects?limit=20",
    "/api/v1/organizations?limit=20",
)
MAX_INCREMENT_ATTEMPTS = 50
CREATE_PREFIX = "Charge "
ORGANIZATIONS = "/api/v1/organizations"
COUNTER = {"kind": "project", "theme_code": "service-usager", "users_involved": 0}


async def scratch_database() -> str:
    """A fresh database migrated to head, with the demo dataset for the reads to find."""
    url = await fresh_postgresql(PG_DATABASE)
    await seed(Settings(database_url=url))
    return url


@dataclass
class Tally:
    """What every client saw, merged: one latency per request, statuses by kind, and the write outcomes."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    transport_errors: Counter[str] = field(default_factory=Counter)
    increments: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0
    gave_up: int = 0
    created: set[str] = field(default_factory=set)
    replayed: int = 0
    in_flight: int = 0

    def record(self, kind: str, seconds: float, status: int) -> None:
        self.latencies[kind].append(seconds * 1000)
        self.statuses[kind][status] += 1


class Client:
    """One client: its own connection, its own random choices, writing into the shared tally."""

    def __init__(self, http: httpx2.AsyncClient, rng: random.Random, tally: Tally, world: "World") -> None:
        self.http = http
        self.rng = rng
        self.tally = tally
        self.world = world

    async def request(self, kind: str, method: str, url: str, **kwargs: Any) -> httpx2.Response | None:
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx2.TransportError as exc:
            self.tally.transport_errors[f"{kind}: {type(exc).__name__}"] += 1
            return None
        self.tally.record(kind, time.perf_counter() - started, response.status_code)
        return response

    async def run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            kind = self.rng.choices(KINDS, WEIGHTS)[0]
            if kind == "list":
                await self.request(kind, "GET", self.rng.choice(LISTS))
            elif kind == "get":
                await self.request(kind, "GET", self.rng.choice(self.world.items))
            elif kind == "create":
                await self.create()
            else:
                await self.increment(self.rng.choice(self.world.counters))

    async def create(self) -> None:
        key = uuid.uuid4().hex
        body = {"name": f"{CREATE_PREFIX}{key}", "kind": "collectivite", "region_code": "53"}
        headers = {"Idempotency-Key": key}
        retry = self.rng.random()
        if retry < 0.25:
            answers = await asyncio.gather(
                *(self.request("create", "POST", ORGANIZATIONS, json=body, headers=headers) for _ in range(2))
            )
        else:
            answers = [await self.request("create", "POST", "/api/v1/organizations", json=body, headers=headers)]
            if retry < 0.5:
                answers.append(
                    await self.request("create", "POST", "/api/v1/organizations", json=body, headers=headers)
                )
        for answer in answers:
            if answer is None:
                continue
            if answer.status_code == 201:
                self.tally.created.add(key)
                self.tally.replayed += answer.headers.get("idempotent-replayed") == "true"
            elif answer.status_code == 409:
                self.tally.in_flight += 1

    async def increment(self, path: str) -> None:
        for _ in range(MAX_INCREMENT_ATTEMPTS):
            read = await self.request("increment", "GET", path)
            if read is None or read.status_code != 200:
                return
            value = read.json()["users_involved"]
            patch = await self.request(
                "increment",
                "PATCH",
                path,
                json={"users_involved": value + 1},
                headers={"If-Match": read.headers["etag"]},
            )
            if patch is None:
                return
            if patch.status_code == 200:
                self.tally.increments[path] += 1
                return
            if patch.status_code != 412:
                return
            self.tally.conflicts += 1
        self.tally.gave_up += 1


@dataclass(frozen=True)
class World:
    """What the clients address: items to read and the shared counters."""

    items: list[str]
    counters: list[str]


async def prepare(base_url: str, key: str, shared: int) -> World:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx2.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:
        labs = (await http.get("/api/v1/labs", params={"limit": 50})).json()["items"]
        projects = (await http.get("/api/v1/projects", params={"limit": 50})).json()["items"]
        counters = []
        for number in range(shared):
            body = {
                "title": f"Compteur {number}",
                "kind": "project",
                "theme_code": "service-usager",
                "users_involved": 0,
            }
            created = await http.post("/api/v1/projects", json=body)
            if created.status_code != 201:
                raise RuntimeError(f"could not create a counter project: {created.status_code} {created.text}")
            counters.append(f"/api/v1/projects/{created.json()['id']}")
    items = [f"/api/v1/labs/{lab['slug']}" for lab in labs] + [f"/api/v1/projects/{p['id']}" for p in projects]
    return World(items, counters)


async def verify(url: str, world: World, tally: Tally) -> dict[str, Any]:
    """Lost updates, duplicate and missing creates, read from the database once the load is over."""
    connection = await asyncpg.connect(pg_dsn(PG_DATABASE))
    try:
        counters = {
            path: await connection.fetchval(
                "SELECT users_involved FROM projects WHERE id = $1", uuid.UUID(path.rsplit("/", 1)[1])
            )
            for path in world.counters
        }
        names = await connection.fetch(
            "SELECT name, count(*) AS n FROM organizations WHERE name LIKE $1 GROUP BY name", f"{CREATE_PREFIX}%"
        )
    finally:
        await connection.close()
    stored = {row["name"][len(CREATE_PREFIX) :]: row["n"] for row in names}
    lost = sum(tally.increments[path] - counters[path] for path in world.counters)
    return {
        "counters": {path: {"increments_200": tally.increments[path], "stored": counters[path]} for path in counters},
        "lost_updates": lost,
        "duplicate_creates": sum(1 for n in stored.values() if n > 1),
        "missing_creates": len(tally.created - stored.keys()),
        "stored_creates": len(stored),
    }


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summarize(tally: Tally, seconds: float) -> dict[str, Any]:
    every = [ms for values in tally.latencies.values() for ms in values]
    rows = {}
    for kind in (*KINDS, "all"):
        values = every if kind == "all" else tally.latencies[kind]
        statuses: Counter[int] = sum(tally.statuses.values(), Counter()) if kind == "all" else tally.statuses[kind]
        rows[kind] = {
            "requests": len(values),
            "per_second": round(len(values) / seconds, 1),
            "p50_ms": round(percentile(values, 0.50), 1),
            "p99_ms": round(percentile(values, 0.99), 1),
            "mean_ms": round(statistics.fmean(values), 1) if values else 0.0,
            "statuses": {str(status): count for status, count in sorted(statuses.items())},
            "5xx": sum(count for status, count in statuses.items() if status >= 500),
        }
    return rows


async def run(clients: int, seconds: float, workers: int, shared: int) -> dict[str, Any]:
    say(f"Scratch database {PG_DATABASE}: migrate and load the demo dataset")
    url = await scratch_database()
    key = await asyncio.to_thread(create_api_key, url, name="load", scopes="read,write")
    tally = Tally()
    with Server(url, workers=workers) as server:
        world = await prepare(server.base_url, key, shared)
        say(f"{clients} clients for {seconds:g} s against {workers} workers at {server.base_url}")
        headers = {"Authorization": f"Bearer {key}"}
        limits = httpx2.Limits(max_connections=2, max_keepalive_connections=2)
        https = [
            httpx2.AsyncClient(base_url=server.base_url, headers=headers, timeout=60, limits=limits)
            for _ in range(clients)
        ]
        try:
            rng = random.Random(SEED)
            load_before, cpu_before = os.getloadavg()[0], time.process_time()
            started = time.monotonic()
            deadline = started + seconds
            await asyncio.gather(
                *(Client(http, random.Random(rng.random()), tally, world).run(deadline) for http in https)
            )
            elapsed = time.monotonic() - started
            cpu, load_after = time.process_time() - cpu_before, os.getloadavg()[0]
        finally:
            await asyncio.gather(*(http.aclose() for http in https))
        log = server.log()
    checks = await verify(url, world, tally)
    rows = summarize(tally, elapsed)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "workers": workers,
        "shared_counters": shared,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1min": {"before": load_before, "after": load_after},
            "load_generator_cpu_seconds": round(cpu, 1),
        },
        "kinds": rows,
        "transport_errors": dict(tally.transport_errors),
        "increments": {
            "ok": sum(tally.increments.values()),
            "conflicts_412": tally.conflicts,
            "gave_up": tally.gave_up,
        },
        "creates": {"created_keys": len(tally.created), "replayed": tally.replayed, "in_flight_409": tally.in_flight},
        **checks,
        "server_errors_logged": sum(1 for line in log.splitlines() if '"level":"error"' in line),
        "goals_met": rows["all"]["5xx"] == 0
        and not tally.transport_errors
        and checks["lost_updates"] == 0
        and checks["duplicate_creates"] == 0
        and checks["missing_creates"] == 0,
    }


def show(result: dict[str, Any]) -> None:
    """The table of requests and latencies by kind, then the write checks the goals are about."""
    machine = result["machine"]
    say(
        f"\n{result['clients']} clients, {result['seconds']} s, {result['workers']} workers, PostgreSQL; "
        f"{machine['cpus']} CPUs, 1-min load average {machine['load_average_1min']['before']:.1f} before, "
        f"{machine['load_average_1min']['after']:.1f} after; the load generator used "
        f"{machine['load_generator_cpu_seconds']} CPU s"
    )
    say(f"{'kind':<10} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'5xx':>5}  statuses")
    for kind, row in result["kinds"].items():
        statuses = " ".join(f"{status}:{count}" for status, count in row["statuses"].items())
        say(
            f"{kind:<10} {row['requests']:>9} {row['per_second']:>8} {row['p50_ms']:>8} {row['p99_ms']:>8} "
            f"{row['5xx']:>5}  {statuses}"
        )
    increments, creates = result["increments"], result["creates"]
    say(f"transport errors: {sum(result['transport_errors'].values())} {result['transport_errors'] or ''}")
    say(
        f"increments: {increments['ok']} answered 200, {increments['conflicts_412']} refused 412 and retried, "
        f"{increments['gave_up']} given up; lost updates: {result['lost_updates']}"
    )
    say(
        f"creates: {creates['created_keys']} keys answered 201 ({creates['replayed']} replays, "
        f"{creates['in_flight_409']} answered 409 in flight); duplicate creates: {result['duplicate_creates']}, "
        f"missing: {result['missing_creates']}"
    )
    say(f"errors in the server's log: {result['server_errors_logged']}; goals met: {result['goals_met']}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shared", type=int, default=10, help="Counter projects the increments share.")
    options = parser.parse_args(argv)
    result = asyncio.run(run(options.clients, options.seconds, options.workers, options.shared))
    show(result)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
