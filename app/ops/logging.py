"""Logs: one JSON object per line in production, readable lines in development, each with its request's id.

Everything goes through one handler on the root logger: the app's loggers, uvicorn's (their own handlers are
removed, so nothing is printed twice or unformatted) and the access line `RequestContext` writes per request.
The request id comes from a context variable the middleware sets for the duration of the request.
"""

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

from app.core.config import Settings
from app.core.errors import LOGGED

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "request_id",
    "color_message",
}


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, pid, request_id, the record's extra fields,
    and the traceback as a string (so an exception stays on one line)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update((key, value) for key, value in record.__dict__.items() if key not in _RECORD_ATTRIBUTES)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class ConsoleFormatter(logging.Formatter):
    """`12:00:01.234 INFO    app.ops.access  GET /api/v1/labs 200 4.1 ms  [request id]`, traceback below."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).astimezone().strftime("%H:%M:%S.%f")[:-3]
        line = f"{moment} {record.levelname:<7} {record.name}  {record.getMessage()}"
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            line += f"  [{request_id}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _with_request_id(record: logging.LogRecord) -> bool:
    if getattr(record, "request_id", None) is None:
        record.request_id = REQUEST_ID.get()
    return True


def _not_logged_twice(record: logging.LogRecord) -> bool:
    """uvicorn reports every exception that leaves the app; the app's 500 handler already logged it, with its id."""
    exception = record.exc_info[1] if record.exc_info else None
    return not (record.name.startswith("uvicorn") and getattr(exception, LOGGED, False))


class _Handler(logging.StreamHandler[TextIO]):
    """Writes to the current sys.stderr, looked up at each record (test runners and daemons swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(settings: Settings) -> None:
    """Install the one handler (replacing a previous one of ours, not other handlers) at the configured level."""
    root = logging.getLogger()
    for previous in [handler for handler in root.handlers if isinstance(handler, _Handler)]:
        root.removeHandler(previous)
    handler = _Handler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else ConsoleFormatter())
    handler.addFilter(_with_request_id)
    handler.addFilter(_not_logged_twice)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # RequestContext writes the access line, with more than uvicorn's own would say; /ready opens a migration
    # context on every probe, which alembic would announce each time.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
