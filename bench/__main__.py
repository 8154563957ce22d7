"""Every benchmark of the service in one run, each beside its raw baseline, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench [--engine sqlite|postgresql|both] [--events 1000000] [--only lists,stats,imports]
                              [--reuse] [--tag TAG]

Runs, for each engine, `python -m bench.lists` (list endpoint under wrk against a bare Starlette + driver +
orjson endpoint and the tutorial-style SQLModel one; keyset page 10 000 against page 1), `python -m bench.stats`
(the stats endpoints against their GROUP BY on the driver) and `python -m bench.imports` (the bulk import
against the engine's own bulk load), each in its own process with its own scratch database, so that one
benchmark's memory and caches do not weigh on the next. Their output is shown as it comes; then one table of
the ratios against their goals, with the servers' peak memory, is printed and written to
bench/results/summary[-TAG].json (each benchmark also writes its own results file there). `--reuse` keeps
scratch databases and files already holding N events. Exits 1 when a goal is missed, 2 when a benchmark failed.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bench.common import RESULTS, results_file, say

BENCHMARKS = ("lists", "stats", "imports")
REUSE_FLAG = {"lists": "--reuse", "stats": "--reuse", "imports": "--reuse-file"}


def rows_for(name: str, engine: str, report: dict[str, Any]) -> list[dict[str, Any]]:
    """Summary lines of one benchmark's results file: measure, value, goal, met, server peak memory."""
    if name == "lists":
        goals, results = report["goals"], report["results"]
        deep = list(results)[-1]
        return [
            {
                "measure": f"list req/s vs bare (app {results['list']['requests_per_second']:.0f}, "
                f"bare {results['bare']['requests_per_second']:.0f}, "
                f"tutorial {results['tutorial']['requests_per_second']:.0f})",
                "value": goals["list_vs_bare"]["ratio"],
                "goal": goals["list_vs_bare"]["goal"],
                "met": goals["list_vs_bare"]["met"],
                "peak_rss_mb": results["list"]["peak_rss_mb"],
            },
            {
                "measure": "list req/s vs tutorial (the multiple)",
                "value": goals["list_vs_tutorial"]["ratio"],
                "goal": "",
                "met": None,
                "peak_rss_mb": results["tutorial"]["peak_rss_mb"],
            },
            {
                "measure": f"list with an API key req/s vs bare ({results['list, keyed']['requests_per_second']:.0f})",
                "value": goals["keyed_vs_bare"]["ratio"],
                "goal": goals["keyed_vs_bare"]["goal"],
                "met": goals["keyed_vs_bare"]["met"],
                "peak_rss_mb": results["list, keyed"]["peak_rss_mb"],
            },
            {
                "measure": f"{deep} p50 vs page 1 p50",
                "value": goals["deep_vs_page_1_p50"]["ratio"],
                "goal": goals["deep_vs_page_1_p50"]["goal"],
                "met": goals["deep_vs_page_1_p50"]["met"],
                "peak_rss_mb": results[deep]["peak_rss_mb"],
            },
        ]
    if name == "stats":
        cases = report["results"]
        worst = max(cases, key=lambda case: case["http_ms"] / case["goal_ms"])
        return [
            {
                "measure": f"stats HTTP vs raw SQL, {len(cases)} cases (worst: {worst['name']}, "
                f"{worst['http_ms']} ms for a goal of {worst['goal_ms']} ms)",
                "value": worst["ratio"],
                "goal": report["goal"],
                "met": report["all_meet_goal"],
                "peak_rss_mb": None,
            }
        ]
    memory = report["memory_mb"]
    return [
        {
            "measure": f"import rows/s vs bulk load ({report['import']['rows_per_s']} vs "
            f"{report['baseline']['rows_per_s']})",
            "value": report["ratio"],
            "goal": report["goals"]["ratio"],
            "met": report["meets_ratio_goal"],
            "peak_rss_mb": memory["peak_rss"],
        },
        {
            "measure": f"import memory growth (idle {memory['idle_rss']} MB)",
            "value": memory["growth"],
            "goal": report["goals"]["memory"] if memory["meets_goal"] is not None else "",
            "met": memory["meets_goal"],
            "peak_rss_mb": memory["peak_rss"],
        },
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, default=1_000_000, help="events of each dataset (default 1 000 000)")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated benchmarks (default: all)")
    parser.add_argument("--reuse", action="store_true", help="keep scratch databases and files holding N events")
    parser.add_argument("--tag", default="", help="suffix of every results file")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark {', '.join(sorted(unknown))}; choose among {', '.join(BENCHMARKS)}")
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    summary: list[dict[str, Any]] = []
    failed: list[str] = []
    load_before = os.getloadavg()
    for engine in engines:
        for name in names:
            command = [sys.executable, "-m", f"bench.{name}", "--engine", engine, "--events", str(args.events)]
            command += [REUSE_FLAG[name]] if args.reuse else []
            command += ["--tag", args.tag] if args.tag else []
            say(f"\n=== {name} on {engine}: {' '.join(command[1:])}")
            started = time.time()
            code = subprocess.run(command, check=False).returncode
            target = results_file(name, engine, args.tag)
            # 0: goals met, 1: a goal missed (its results written all the same); anything else is a failure.
            if code not in (0, 1) or not target.exists() or target.stat().st_mtime < started:
                failed.append(f"{name} on {engine} (exit {code})")
                continue
            report = json.loads(target.read_text(encoding="utf-8"))
            summary += [{"engine": engine, "benchmark": name, **row} for row in rows_for(name, engine, report)]
    show(summary, failed)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"summary{f'-{args.tag}' if args.tag else ''}.json"
    document = {
        "events": args.events,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "failed": failed,
        "rows": summary,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    say(f"summary in {path}")
    if failed:
        return 2
    return 0 if all(row["met"] is not False for row in summary) else 1


def show(summary: Sequence[dict[str, Any]], failed: Sequence[str]) -> None:
    say(f"\n{'engine':<11} {'benchmark':<8} {'ratio':>7} {'goal':<52} {'met':<4} {'peak MB':>7}  measure")
    for row in summary:
        met = "" if row["met"] is None else "yes" if row["met"] else "NO"
        peak = "" if row["peak_rss_mb"] is None else f"{row['peak_rss_mb']:.0f}"
        say(
            f"{row['engine']:<11} {row['benchmark']:<8} {row['value']:>7} {row['goal']:<52} {met:<4} {peak:>7}  "
            f"{row['measure']}"
        )
    for name in failed:
        say(f"FAILED: {name}")


if __name__ == "__main__":
    sys.exit(main())
