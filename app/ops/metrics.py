"""Prometheus metrics of the service, right with one worker process or several (`serve --workers N` points
PROMETHEUS_MULTIPROC_DIR at a fresh directory, and `/metrics` merges every worker's files).
"""

import os
import re
import tempfile
from pathlib import Path
from weakref import WeakSet

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from sqlalchemy import event
from sqlalchemy.pool import ConnectionPoolEntry, Pool, PoolProxiedConnection

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
"""The route label of every request that matched no route, so scanners cannot blow up the label set."""
METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})

disable_created_metrics()  # type: ignore[no-untyped-call]

HTTP_REQUESTS = Counter(
    "lab_registry_http_requests",
    "HTTP requests answered, by route template (not the concrete path), method and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "lab_registry_http_request_duration_seconds",
    "Time from receiving a request to the end of its response, by route template and method.",
    ["method", "route"],
)
DB_POOL_IN_USE = Gauge(
    "lab_registry_db_pool_connections_in_use",
    "Database connections checked out of the pool (summed over live workers).",
    multiprocess_mode="livesum",
)
DB_CONNECTIONS_OPENED = Counter(
    "lab_registry_db_connections_opened",
    "Database connections opened; a rate that keeps rising under steady load means the pool is too small.",
)
IMPORT_ROWS = Counter(
    "lab_registry_import_rows",
    "Rows read by bulk imports, by resource and outcome (created, updated, unchanged, rejected).",
    ["resource", "outcome"],
)
WEBHOOK_DELIVERIES = Counter(
    "lab_registry_webhook_deliveries",
    "Webhook delivery attempts, by outcome (delivered, failed).",
    ["outcome"],
)

_checked_out: WeakSet[ConnectionPoolEntry] = WeakSet()


def _on_checkout(_dbapi: object, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
    _checked_out.add(record)
    DB_POOL_IN_USE.set(len(_checked_out))


def _on_checkin(_dbapi: object, record: ConnectionPoolEntry) -> None:
    # A checkout that failed (its pre-ping and reconnect too) checks the record in without a checkout event.
    _checked_out.discard(record)
    DB_POOL_IN_USE.set(len(_checked_out))


def _on_connect(_dbapi: object, _record: ConnectionPoolEntry) -> None:
    DB_CONNECTIONS_OPENED.inc()


def watch_pools() -> None:
    """Follow every connection pool of the process (listened on the Pool class, so engines made later count)."""
    for name, listener in (("checkout", _on_checkout), ("checkin", _on_checkin), ("connect", _on_connect)):
        if not event.contains(Pool, name, listener):
            event.listen(Pool, name, listener)


_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+_(\d+)\.db")


def _forget_dead_workers(directory: str) -> None:
    """A worker killed without a clean exit leaves its last gauge readings; drop them from the sums."""
    for path in Path(directory).glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.fullmatch(path.name)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]
        except PermissionError:
            continue


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus text format, merged over every worker in multiprocess mode."""
    directory = os.environ.get(MULTIPROC_DIR)
    if not directory:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    _forget_dead_workers(directory)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST


def start_multiprocess_dir() -> Path | None:
    """Before the workers start: empty PROMETHEUS_MULTIPROC_DIR of a previous run's files when it is set, else
    point it at a new temporary directory, returned so that the caller removes it at exit."""
    configured = os.environ.get(MULTIPROC_DIR)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return None
    created = Path(tempfile.mkdtemp(prefix="lab-registry-metrics-"))
    os.environ[MULTIPROC_DIR] = str(created)
    return created
