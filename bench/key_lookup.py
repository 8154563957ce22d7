"""Where the CPU of one API key lookup goes, in process: the app's lookup and its parts against the raw driver query
the bare endpoint of bench.lists sends (bench/README.md, "The read with a key").

    .venv/bin/python -m bench.key_lookup --engine sqlite|postgresql [--calls 3000] [--rounds 5]

On a scratch database (SQLite: /tmp/key_lookup.db; PostgreSQL: `lr_bench_keys`) holding one read key, each case
runs `--calls` times in a round, the cases in turn, for `--rounds` rounds; it prints the median CPU time of the
process per call (every thread: the event loop's, and the driver's on SQLite), in microseconds.
"""

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import aiosqlite
import asyncpg

from app.auth import service
from app.auth.schemas import Scope
from app.core.config import Settings
from app.core.db import create_engine, create_reader, create_sessionmaker, reading
from app.core.security import KEY_PREFIX_LENGTH
from bench.common import fresh_postgresql, fresh_sqlite, key_accepted, key_sql, pg_dsn, say

SQLITE_PATH = Path("/tmp/key_lookup.db")
PG_DATABASE = "lr_bench_keys"


async def run(engine_name: str, calls: int, rounds: int) -> dict[str, float]:
    sqlite = engine_name == "sqlite"
    url = await (fresh_sqlite(SQLITE_PATH) if sqlite else fresh_postgresql(PG_DATABASE))
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    reader = create_reader(settings, engine)
    async with create_sessionmaker(engine)() as session, session.begin():
        _, key = await service.create_key(session, name="bench key", scopes=[Scope.read], expires_at=None)
    prefix = key[:KEY_PREFIX_LENGTH]
    raw_sqlite = await aiosqlite.connect(SQLITE_PATH) if sqlite else None
    raw_pg = None if sqlite else await asyncpg.connect(pg_dsn(PG_DATABASE))
    held = await reader.connect()
    try:

        async def raw_query() -> None:
            """What the bare endpoint does: one query on a connection of its own, the least check."""
            if raw_sqlite is not None:
                rows = list(await raw_sqlite.execute_fetchall(key_sql(sqlite), (prefix,)))
            else:
                assert raw_pg is not None
                rows = await raw_pg.fetch(key_sql(sqlite), prefix)
            assert key_accepted(key, rows, sqlite)

        async def checkout() -> None:
            async with reading(reader):
                pass

        async def find_on_held() -> None:
            assert await service.find_caller(held, key) is not None

        async def app() -> None:
            async with reading(reader) as connection:
                assert await service.find_caller(connection, key) is not None

        cases: dict[str, Callable[[], Awaitable[None]]] = {
            "raw driver query (the bare endpoint's)": raw_query,
            "pooled connection, checked out and back": checkout,
            "find_caller on a connection held": find_on_held,
            "the app's lookup: both": app,
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, case in cases.items():
                for _ in range(calls // 10):
                    await case()
                started = time.process_time()
                for _ in range(calls):
                    await case()
                times[name].append((time.process_time() - started) / calls * 1e6)
        return {name: statistics.median(values) for name, values in times.items()}
    finally:
        await held.close()
        if reader is not engine:
            await reader.dispose()
        await engine.dispose()
        if raw_sqlite is not None:
            await raw_sqlite.close()
        if raw_pg is not None:
            await raw_pg.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.key_lookup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--calls", type=int, default=3000, help="lookups a case makes in a round (default 3000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, the cases in turn (default 5)")
    args = parser.parse_args(argv)
    medians = asyncio.run(run(args.engine, args.calls, args.rounds))
    say(f"CPU per key lookup on {args.engine}, median of {args.rounds} rounds of {args.calls} calls (µs):")
    for name, value in medians.items():
        say(f"  {name:42} {value:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
