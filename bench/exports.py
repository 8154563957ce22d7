"""Benchmark of whole-list exports: the server's memory while it streams N events as CSV, XLSX and ODS.

    .venv/bin/python -m bench.exports --engine sqlite|postgresql [--events 1000000] [--outputs csv,xlsx,ods] [--reuse]

Loads the demo plus N synthetic events (the list benchmark's dataset, in a scratch database of its own:
/tmp/exports.db or `lr_bench_exports`), starts `lab-registry serve --workers 1`, and for each format reads
`GET /api/v1/events?output=…` to the end, counting the bytes and timing it. The server's resident memory before
the export and its peak during it (VmHWM, reset before each export) give the growth the goal bounds:
≤ +150 MB (issue 23). Writes bench/results/exports-<engine>.json.
"""

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx2

from bench import lists
from bench.common import Server, megabytes, memory_kb, reset_peak, results_file, running, say
from tests.servers import LAB_REGISTRY

FORMATS = ("csv", "xlsx", "ods")
GOAL_MB = 150


def export_once(server: Server, output: str) -> dict[str, Any]:
    """One whole export read to its end: bytes, seconds, the server's memory before and at its peak."""
    before = memory_kb(server.pid, "VmRSS")
    reset_peak(server.pid)
    started = time.monotonic()
    size = 0
    url = f"{server.base_url}/api/v1/events?output={output}"
    with httpx2.stream("GET", url, timeout=3600) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
    seconds = time.monotonic() - started
    peak = memory_kb(server.pid, "VmHWM")
    growth = megabytes(peak - before)
    return {
        "output": output,
        "megabytes": round(size / 1e6, 1),
        "seconds": round(seconds, 1),
        "rss_before_mb": megabytes(before),
        "peak_rss_mb": megabytes(peak),
        "growth_mb": growth,
        "goal_mb": GOAL_MB,
        "met": growth <= GOAL_MB,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--outputs", default=",".join(FORMATS), help="Formats to export, comma-separated.")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    # The list benchmark's loaders, on a scratch database of this benchmark's own.
    lists.SQLITE_PATH = Path("/tmp/exports.db")
    lists.PG_DATABASE = "lr_bench_exports"
    loader = lists.load_sqlite if args.engine == "sqlite" else lists.load_postgresql
    say(f"loading {args.events} events ({args.engine})…")
    url = asyncio.run(loader(args.events, args.reuse))
    results = []
    with running("app", [LAB_REGISTRY, "serve", "--workers", "1"], {"DATABASE_URL": url}, "/api/v1/regions") as app:
        for output in args.outputs.split(","):
            result = export_once(app, output)
            say(json.dumps(result))
            results.append(result)
    report = {"engine": args.engine, "events": args.events, "results": results}
    path = results_file("exports", args.engine, args.tag)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(report, indent=2), "utf-8")
    return 0 if all(result["met"] for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
