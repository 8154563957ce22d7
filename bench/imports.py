"""Benchmark of the bulk import endpoint against the engine's own bulk load of the same CSV file.

    .venv/bin/python -m bench.imports --engine sqlite|postgresql [--events 1000000] [--reuse-file] [--profile]

Writes a realistic events file once, streamed to /tmp/lab-registry-bench-events-<N>.csv and deterministic
(seeded): Excel's CSV as a French data team sends it (UTF-8 with a BOM, `;` separated, CRLF), accented titles,
skewed themes given by code or French label, formats by code or label, the 18 regions by INSEE code or name,
six years of dates (a third French `dd/mm/yyyy HH:MM`, the others RFC 3339 with or without an offset), the
demo's labs by slug and its organizations by external_id, a tenth of the rows in the 2020 campaign, and quoted
cells holding `;`, quotes or a line break.

Builds a scratch database (SQLite: /tmp/imports.db; PostgreSQL: `lr_bench_imports` on the server that
BENCH_DATABASE_URL names, default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres), migrates it and
loads the demo dataset so that the file's references resolve. Then, in the same run:

- `baseline`: the same file loaded raw into a bare table of text columns named after its header (no index, no
  constraint). PostgreSQL: `COPY … FROM STDIN (FORMAT csv, HEADER, DELIMITER ';')` through asyncpg, the BOM
  left out; SQLite: the csv module feeding one `executemany` in one transaction through sqlite3, with the
  server's pragmas. A CHECKPOINT before and after keeps its writes from being paid by the import.
- `import`: `lab-registry serve` (one worker, so the server is one process) on the scratch database, warmed up
  with a dry-run import of 200 rows; its idle RSS is the median of ten VmRSS readings of /proc after that. The
  file is then streamed to `POST /api/v1/imports/events?atomic=true` by httpx2 while a thread reads the
  server's VmRSS every 100 ms; VmHWM, reset after the warm-up, catches a peak between two readings.

Rows/s is rows over the wall time of the load; for the import, of the whole request (parsing, references,
checks, writes, audit trail, commit). Goals: import ≥ 0.5 x baseline rows/s; on PostgreSQL, peak RSS ≤ idle
RSS + 100 MB (MB: 10⁶ bytes). The CPU time the server (and on PostgreSQL its backends) spent during the
import is recorded too: on a shared machine it tells the work done from the waiting. Writes
bench/results/imports-<engine>[-<tag>].json. `--events 20000` runs in about half a minute, as a smoke test.

`--profile` instead imports the file in-process, through `import_body` in one session (`session_scope`, as
the CLI writes), under cProfile: it prints the hotspots and writes bench/results/imports-<engine>.prof. On
SQLite the driver's own work runs in aiosqlite's thread, which cProfile does not see: it shows as waiting.
"""

import argparse
import asyncio
import cProfile
import csv
import io
import json
import logging
import os
import platform
import pstats
import random
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx2
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import session_scope
from app.demo.catalog import (
    CAMPAIGN_TOPICS,
    DEMO_NOTE,
    FORMAT_PREFIXES,
    LABS,
    LESSONS,
    REGIONAL_ORGANIZATIONS,
    TRAINING_COURSES,
    UNCOVERED_ORGANIZERS,
)
from app.demo.dataset import CAMPAIGN_SLUG, org_id
from app.demo.seed import seed
from app.imports.reading import BOM
from app.imports.schemas import ImportResource
from app.imports.service import import_body
from app.reference.data import EVENT_FORMATS, REGIONS, THEMES, timezone_for_region
from bench.common import (
    RESULTS,
    Server,
    fresh_postgresql,
    fresh_sqlite,
    megabytes,
    memory_kb,
    pg_dsn,
    reset_peak,
    results_file,
    running,
    say,
)
from tests.servers import LAB_REGISTRY, READY_PATH, ROOT, create_api_key

SQLITE_PATH = Path("/tmp/imports.db")
PG_DATABASE = "lr_bench_imports"
SEED = 2020
BARE_TABLE = "bench_bare_events"
CHUNK_BYTES = 64 * 1024
WARM_UP_ROWS = 200
SAMPLE_SECONDS = 0.1
RATIO_GOAL = 0.5
MEMORY_GOAL_MB = 100.0
HOTSPOTS = 30
STDLIB = os.path.dirname(os.__file__) + "/"
NOT_HOTSPOTS = ("asyncio/", "selectors.py", "<method 'run' of '_contextvars", "bench/", "contextlib.py")

HEADER = (
    "external_id",
    "title",
    "theme",
    "format",
    "attendance_mode",
    "audience",
    "starts_at",
    "ends_at",
    "lab",
    "organizer",
    "region",
    "city",
    "online_url",
    "campaign",
    "participants_count",
    "capacity",
    "tags",
    "description",
)
# Skewed like the demo and bench/stats.py: service-usager and innovation managériale lead; webinars lead.
THEME_WEIGHTS = (28, 10, 18, 16, 10, 9, 9)
FORMAT_WEIGHTS = (35, 25, 15, 10, 6, 2, 2, 5)
TAGS = ("innovation", "design", "usagers", "numérique", "collectivités", "agents", "données", "écologie", "ruralité")
FIRST_DAY = date(2016, 1, 1)
LAST_DAY = date(2021, 12, 31)


# The file -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Who holds an event in the file (a lab slug and/or an organization's external_id) and where it is."""

    lab: str
    organizer: str
    region_code: str
    city: str


def holders() -> tuple[list[Holder], list[Holder], list[Holder]]:
    """Labs alone, a lab with an organization of its region, organizations alone (all 18 regions)."""
    labs = [Holder(lab.key, "", lab.region_code, lab.city) for lab in LABS if lab.status == "active"]
    by_region = {lab.region_code: lab for lab in labs}
    organizations = REGIONAL_ORGANIZATIONS + UNCOVERED_ORGANIZERS
    pairs = [
        Holder(by_region[org.region_code].lab, org_id(org.key), org.region_code, org.city)
        for org in organizations
        if org.region_code in by_region
    ]
    alone = [Holder("", org_id(org.key), org.region_code, org.city) for org in organizations]
    return labs, pairs, alone


def event_rows(n: int, rng: random.Random) -> Iterator[list[str]]:
    """N events as the file's cells, in the mix the module docstring describes; a generator, for streaming."""
    themes = [code for code, _ in THEMES]
    theme_labels = dict(THEMES)
    formats = [code for code, _ in EVENT_FORMATS]
    format_labels = dict(EVENT_FORMATS)
    region_names = {code: name for code, name, _ in REGIONS}
    zones = {code: ZoneInfo(timezone_for_region(code)) for code, _, _ in REGIONS}
    subjects = {theme: CAMPAIGN_TOPICS[theme] + tuple(s for s, t in TRAINING_COURSES if t == theme) for theme in themes}
    labs, pairs, alone = holders()
    span = (LAST_DAY - FIRST_DAY).days + 1
    november = date(2020, 11, 1)
    for number in range(1, n + 1):
        roll = rng.random()
        holder = rng.choice(labs if roll < 0.65 else pairs if roll < 0.75 else alone)
        theme = rng.choices(themes, THEME_WEIGHTS)[0]
        event_format = rng.choices(formats, FORMAT_WEIGHTS)[0]
        campaign = rng.random() < 0.1
        day = november + timedelta(rng.randrange(30)) if campaign else FIRST_DAY + timedelta(rng.randrange(span))
        region = holder.region_code if rng.random() < 0.95 else rng.choice(list(zones))
        roll = rng.random()
        if region == holder.region_code and roll < 0.3:
            region_cell = ""
        else:
            region_cell = region_names[region] if roll > 0.7 else region
        # Local times between 8:00 and 23:45 the same day: never in a daylight-saving gap, which is refused.
        hour, minute = rng.randrange(8, 20), rng.choice((0, 15, 30, 45))
        start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zones[region])
        end = start + timedelta(minutes=rng.choice((60, 90, 120, 180, 240)))
        roll = rng.random()
        if roll < 0.35:
            starts, ends = start.strftime("%d/%m/%Y %H:%M"), end.strftime("%d/%m/%Y %H:%M")
        elif roll < 0.8:
            starts, ends = start.strftime("%Y-%m-%dT%H:%M:%S"), end.strftime("%Y-%m-%dT%H:%M:%S")
        else:
            starts, ends = start.isoformat(), end.isoformat()
        subject = rng.choice(subjects[theme])
        prefix = FORMAT_PREFIXES.get(event_format, "Rencontre")
        roll = rng.random()
        if roll < 0.03:
            title = f'{prefix} "{subject}"'
        elif roll < 0.06:
            title = f"{prefix} : {subject} ; retours d'expérience"
        elif roll < 0.1:
            title = f"{prefix} « {subject} »"
        else:
            title = f"{prefix} : {subject}" + (f" à {holder.city}" if roll > 0.7 else "")
        attendance = rng.choice(("online", "in-person", "hybrid"))
        participants = rng.randrange(0, 200)
        roll = rng.random()
        description = "" if roll > 0.2 else rng.choice(LESSONS) + (f"\n{DEMO_NOTE}" if roll < 0.01 else "")
        yield [
            f"bench-evt-{number:07d}",
            title,
            theme if rng.random() < 0.6 else theme_labels[theme],
            event_format if rng.random() < 0.8 else format_labels[event_format],
            attendance,
            rng.choice(("agents", "citizens", "all")),
            starts,
            ends,
            holder.lab,
            holder.organizer,
            region_cell,
            "" if attendance == "online" else holder.city,
            "" if attendance == "in-person" else "https://webinaire.example.fr/salle",
            CAMPAIGN_SLUG if campaign else "",
            "" if rng.random() < 0.1 else str(participants),
            "" if rng.random() < 0.5 else str(participants + rng.randrange(0, 100)),
            ", ".join(rng.sample(TAGS, rng.randrange(1, 4))) if rng.random() < 0.4 else "",
            description,
        ]


def write_rows(out: io.TextIOBase, rows: Iterator[list[str]]) -> None:
    """The header then the rows, as Excel saves a `;` CSV (CRLF line ends, quotes only where needed)."""
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(rows)


def events_file(n: int, reuse: bool) -> tuple[Path, float | None]:
    """The file of N events and how long writing it took (None: reused). Streamed to disk under a temporary
    name, so that an interrupted run never leaves a partial file to be reused."""
    path = Path(f"/tmp/lab-registry-bench-events-{n}.csv")
    if reuse and path.exists():
        return path, None
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8-sig", newline="", buffering=1 << 20) as out:
        write_rows(out, event_rows(n, random.Random(SEED)))
    partial.replace(path)
    return path, time.perf_counter() - started


def warm_up_body() -> bytes:
    """The file's first rows: a dry run of them loads every code path of an import before idle RSS is read."""
    out = io.StringIO(newline="")
    write_rows(out, event_rows(WARM_UP_ROWS, random.Random(SEED)))
    return BOM + out.getvalue().encode()


def file_header(path: Path) -> list[str]:
    """The columns of the file, which the bare table of the baseline takes as its own."""
    with path.open(encoding="utf-8-sig", newline="") as source:
        return next(csv.reader(source, delimiter=";"))


async def file_chunks(path: Path, skip: int = 0) -> AsyncIterator[bytes]:
    """The file a chunk at a time, as a client streams it (`skip`: bytes left out at the start)."""
    with path.open("rb") as source:
        source.seek(skip)
        while chunk := source.read(CHUNK_BYTES):
            yield chunk


# The database and the baseline ----------------------------------------------------------------------------


async def scratch_database(engine: str) -> str:
    """A fresh database migrated to head, with the demo's labs and organizations the file refers to."""
    url = await (fresh_sqlite(SQLITE_PATH) if engine == "sqlite" else fresh_postgresql(PG_DATABASE))
    await seed(Settings(database_url=url))
    return url


@dataclass(frozen=True)
class Load:
    """Rows loaded and the wall time it took."""

    method: str
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


def _bare_table(header: Sequence[str]) -> str:
    columns = ", ".join(f'"{name}" text' for name in header)
    return f"CREATE TABLE {BARE_TABLE} ({columns})"


async def baseline_postgresql(path: Path, header: Sequence[str]) -> Load:
    """The fastest load PostgreSQL has for this file: COPY in CSV mode, no index or constraint to maintain."""
    connection = await asyncpg.connect(pg_dsn(PG_DATABASE))
    try:
        await connection.execute(f"DROP TABLE IF EXISTS {BARE_TABLE}")
        await connection.execute(_bare_table(header))
        await connection.execute("CHECKPOINT")
        started = time.perf_counter()
        status = await connection.copy_to_table(
            BARE_TABLE, source=file_chunks(path, len(BOM)), format="csv", header=True, delimiter=";"
        )
        seconds = time.perf_counter() - started
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()
    method = "COPY FROM STDIN (FORMAT csv, HEADER, DELIMITER ';') via asyncpg copy_to_table into a bare text table"
    return Load(method, int(status.split()[-1]), seconds)


def baseline_sqlite(path: Path, header: Sequence[str]) -> Load:
    """SQLite's fast path from Python: C csv parsing into one `executemany` in one transaction."""
    connection = sqlite3.connect(SQLITE_PATH)
    try:
        # The pragmas the server's connections get (app.core.db), for the same durability.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"DROP TABLE IF EXISTS {BARE_TABLE}")
        connection.execute(_bare_table(header))
        insert = f"INSERT INTO {BARE_TABLE} VALUES ({', '.join('?' * len(header))})"
        started = time.perf_counter()
        with path.open(encoding="utf-8-sig", newline="") as source, connection:
            rows = csv.reader(source, delimiter=";")
            next(rows)
            cursor = connection.executemany(insert, rows)
        seconds = time.perf_counter() - started
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    method = "csv.reader into sqlite3 executemany, one transaction, into a bare text table"
    return Load(method, cursor.rowcount, seconds)


async def engine_version(engine: str) -> str:
    """Recorded with the results: the figures depend on the engine's version as much as on the code."""
    if engine == "sqlite":
        return sqlite3.sqlite_version
    connection = await asyncpg.connect(pg_dsn(PG_DATABASE))
    try:
        version: str = await connection.fetchval("SHOW server_version")
        return version
    finally:
        await connection.close()


async def backend_cpu() -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend on the scratch database but this one's: the server's connections.

    Read from /proc, so only when PostgreSQL runs on this machine (a backend gone meanwhile is skipped).
    """
    connection = await asyncpg.connect(pg_dsn(PG_DATABASE))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", PG_DATABASE
        )
    finally:
        await connection.close()
    found = {}
    for row in rows:
        with suppress(OSError):
            found[row["pid"]] = cpu_seconds(row["pid"])
    return found


# The server and its memory --------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process: on a shared machine it tells the work done from the waiting."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler(threading.Thread):
    """The server's VmRSS every SAMPLE_SECONDS, from a thread: the client's own work would delay an asyncio task.

    Keeps the highest reading and one reading per second (the timeline shows growth that a leak would give).
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.timeline: list[tuple[float, float]] = []
        self._done = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while True:
            rss = memory_kb(self.pid, "VmRSS")
            self.peak_kb = max(self.peak_kb, rss)
            elapsed = time.monotonic() - started
            if elapsed >= len(self.timeline):
                self.timeline.append((round(elapsed, 1), megabytes(rss)))
            if self._done.wait(SAMPLE_SECONDS):
                return

    def finish(self) -> None:
        self._done.set()
        self.join()


async def post_import(server: Server, key: str, body: bytes | AsyncIterator[bytes], dry_run: bool) -> httpx2.Response:
    """One atomic import of events, as a client sends a file; no timeout, since a million rows take minutes."""
    async with httpx2.AsyncClient(
        base_url=server.base_url, timeout=None, headers={"Authorization": f"Bearer {key}"}
    ) as http:
        return await http.post(
            f"/api/v1/imports/{ImportResource.events.value}",
            content=body,
            params={"atomic": "true", "dry_run": str(dry_run).lower()},
            headers={"Content-Type": "text/csv"},
        )


class ImportFailed(RuntimeError):
    """The endpoint refused the file or did not create every row: the figures would mean nothing."""


# Run ------------------------------------------------------------------------------------------------------


async def run(engine: str, n: int, reuse_file: bool) -> dict[str, Any]:
    """File, scratch database, baseline, then the import through the server: the results as JSON data."""
    path, generated = await asyncio.to_thread(events_file, n, reuse_file)
    size = path.stat().st_size
    say(f"file {path}: {size / 1e6:.0f} MB, " + ("reused" if generated is None else f"written in {generated:.0f} s"))
    started = time.perf_counter()
    url = await scratch_database(engine)
    say(f"database migrated and seeded in {time.perf_counter() - started:.0f} s: {make_url(url).render_as_string()}")
    header = file_header(path)
    if engine == "postgresql":
        baseline = await baseline_postgresql(path, header)
    else:
        baseline = await asyncio.to_thread(baseline_sqlite, path, header)
    say(f"baseline: {baseline.rows} rows in {baseline.seconds:.1f} s")
    key = await asyncio.to_thread(create_api_key, url, name="bench", scopes="write")
    # One worker: uvicorn then serves in the very process whose memory is read.
    serve = [LAB_REGISTRY, "serve", "--workers", "1"]
    with running("serve", serve, {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"}, READY_PATH, stop_timeout=30) as server:
        warm_up = await post_import(server, key, warm_up_body(), dry_run=True)
        if warm_up.status_code != 200:
            raise ImportFailed(f"warm-up import answered {warm_up.status_code}: {warm_up.text[:2000]}")
        await asyncio.sleep(2)
        readings = []
        for _ in range(10):
            readings.append(memory_kb(server.pid, "VmRSS"))
            await asyncio.sleep(SAMPLE_SECONDS)
        idle_kb = int(statistics.median(readings))
        peak_was_reset = reset_peak(server.pid)
        sampler = RssSampler(server.pid)
        sampler.start()
        cpu_before = cpu_seconds(server.pid)
        backends_before = await backend_cpu() if engine == "postgresql" else {}
        try:
            started = time.perf_counter()
            response = await post_import(server, key, file_chunks(path), dry_run=False)
            seconds = time.perf_counter() - started
        finally:
            sampler.finish()
        server_cpu = cpu_seconds(server.pid) - cpu_before
        backends = await backend_cpu() if engine == "postgresql" else {}
        hwm_kb = memory_kb(server.pid, "VmHWM")
    # SQLite works inside the server's process: its CPU time is the server's.
    database_cpu = sum(cpu - backends_before.get(pid, 0.0) for pid, cpu in backends.items()) if backends else None
    if response.status_code != 200 or response.json()["created"] != n:
        raise ImportFailed(f"the import answered {response.status_code} after {seconds:.0f} s: {response.text[:2000]}")
    imported = Load("POST /api/v1/imports/events?atomic=true, streamed by httpx2", n, seconds)
    peak_kb = max(sampler.peak_kb, hwm_kb) if peak_was_reset else sampler.peak_kb
    growth = megabytes(peak_kb) - megabytes(idle_kb)
    ratio = imported.rows_per_second / baseline.rows_per_second
    memory_applies = engine == "postgresql"
    return {
        "engine": engine,
        "events": n,
        "goals": {
            "ratio": f"import rows/s >= {RATIO_GOAL} x baseline rows/s",
            "memory": f"peak RSS <= idle RSS + {MEMORY_GOAL_MB:.0f} MB (PostgreSQL; MB = 10^6 bytes)",
        },
        "file": {"path": str(path), "bytes": size, "seed": SEED, "written_s": generated},
        "import": {
            **asdict(imported),
            "rows_per_s": round(imported.rows_per_second),
            "server_cpu_s": round(server_cpu, 1),
            "server_cpu_us_per_row": round(server_cpu / n * 1e6),
            "database_cpu_s": None if database_cpu is None else round(database_cpu, 1),
            "report": response.json(),
        },
        "baseline": {**asdict(baseline), "rows_per_s": round(baseline.rows_per_second)},
        "ratio": round(ratio, 3),
        "meets_ratio_goal": ratio >= RATIO_GOAL,
        "memory_mb": {
            "idle_rss": megabytes(idle_kb),
            "peak_rss": megabytes(peak_kb),
            "peak_sampled": megabytes(sampler.peak_kb),
            "vm_hwm": megabytes(hwm_kb) if peak_was_reset else None,
            "growth": round(growth, 1),
            "goal_growth": MEMORY_GOAL_MB if memory_applies else None,
            "meets_goal": growth <= MEMORY_GOAL_MB if memory_applies else None,
            "timeline_s_mb": sampler.timeline,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "database": f"{engine} {await engine_version(engine)}",
            "load_average": os.getloadavg(),
        },
        "code": code_version(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def code_version() -> str:
    """The commit measured, `-dirty` when tracked files differ from it: the import engine is still moving."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + (
        "-dirty" if git("status", "--porcelain", "--untracked-files=no") else ""
    )


def show(result: dict[str, Any]) -> None:
    """The figures the goals are about, one line under a header."""
    memory = result["memory_mb"]
    columns = ("engine", "rows", "import rows/s", "baseline rows/s", "ratio (≥ 0.5)", "idle RSS", "peak RSS")
    say("  ".join(f"{name:>15}" for name in (*columns, "peak − idle")))
    cells = (
        result["engine"],
        f"{result['events']:,}",
        f"{result['import']['rows_per_s']:,}",
        f"{result['baseline']['rows_per_s']:,}",
        f"{result['ratio']:.2f} {'ok' if result['meets_ratio_goal'] else 'MISSED'}",
        f"{memory['idle_rss']:.0f} MB",
        f"{memory['peak_rss']:.0f} MB",
        f"{memory['growth']:.0f} MB"
        + ("" if memory["meets_goal"] is None else " ok" if memory["meets_goal"] else " MISSED"),
    )
    say("  ".join(f"{cell:>15}" for cell in cells))
    imported = result["import"]
    database = "" if imported["database_cpu_s"] is None else f", PostgreSQL backends {imported['database_cpu_s']:.0f} s"
    say(
        f"CPU during the import: server {imported['server_cpu_s']:.0f} s ({imported['server_cpu_us_per_row']} µs a "
        f"row){database}, of {imported['seconds']:.0f} s wall; load average {result['machine']['load_average'][0]:.1f}"
    )


# Profile --------------------------------------------------------------------------------------------------


async def import_in_process(url: str, path: Path) -> dict[str, Any]:
    """The import without HTTP, committed as the CLI commits it, so the profile shows the engine alone."""
    settings = Settings(database_url=url, log_level="WARNING")
    async with session_scope(settings) as session:
        report = await import_body(
            session,
            ImportResource.events,
            file_chunks(path),
            jsonl=False,
            charset=None,
            dry_run=False,
            atomic=True,
            max_line_chars=settings.max_import_line_chars,
        )
    return report.model_dump(mode="json")


def _where(key: tuple[str, int, str]) -> str:
    """`path:line(function)`, the path relative to the project, site-packages or the standard library."""
    filename, line, function = key
    if filename.startswith(str(ROOT)):
        filename = str(Path(filename).relative_to(ROOT))
    elif "site-packages/" in filename:
        filename = filename.split("site-packages/", 1)[1]
    elif filename.startswith(STDLIB):
        filename = filename.removeprefix(STDLIB)
    return f"{filename}:{line}({function})" if line else function


def profile(engine: str, n: int, reuse_file: bool) -> None:
    """cProfile over the whole event loop of one in-process import: hotspots by cumulative and by own time."""
    path, _ = events_file(n, reuse_file)
    url = asyncio.run(scratch_database(engine))
    profiler = cProfile.Profile()
    started = time.perf_counter()
    report = profiler.runcall(asyncio.run, import_in_process(url, path))
    seconds = time.perf_counter() - started
    say(
        f"{report['created']} of {report['read']} rows created in {seconds:.1f} s ({n / seconds:,.0f} rows/s, profiled)"
    )
    say(f"code {code_version()}, load average {os.getloadavg()[0]:.1f}")
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"imports-{engine}.prof"
    profiler.dump_stats(target)
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    # The event loop's frames and this module's own would top the cumulative list and say nothing.
    shown = {key: row for key, row in stats.items() if not _where(key).startswith(NOT_HOTSPOTS)}
    for title, order in (("cumulative", 3), ("own time", 2)):
        say(f"\ntop {HOTSPOTS} by {title} (share of {seconds:.1f} s)")
        say(f"{'cumulative':>10} {'own':>7} {'calls':>9}  function")
        for key, (_, calls, own, cumulative, _) in sorted(shown.items(), key=lambda item: -item[1][order])[:HOTSPOTS]:
            say(f"{cumulative / seconds:10.1%} {own / seconds:7.1%} {calls:9}  {_where(key)}")
    say(f"\nprofile in {target} (python -m pstats, snakeviz…)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--events", type=int, default=1_000_000, help="rows of the file (default 1 000 000)")
    parser.add_argument("--reuse-file", action="store_true", help="keep the /tmp file of N events if it exists")
    parser.add_argument("--profile", action="store_true", help="profile the import in-process instead")
    parser.add_argument("--tag", default="", help="suffix of the results file (imports-<engine>-<tag>.json)")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)
    if args.profile:
        profile(args.engine, args.events, args.reuse_file)
        return 0
    try:
        result = asyncio.run(run(args.engine, args.events, args.reuse_file))
    except ImportFailed as exc:
        say(f"FAILED: {exc}")
        return 2
    RESULTS.mkdir(exist_ok=True)
    target = results_file("imports", args.engine, args.tag)
    target.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    show(result)
    met = result["meets_ratio_goal"] and result["memory_mb"]["meets_goal"] is not False
    say(f"{'all goals met' if met else 'goal MISSED'}; results in {target}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
