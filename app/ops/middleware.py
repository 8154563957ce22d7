"""The outermost middleware: a request id for every request, its metrics and its one access log line."""

import logging
import re
import time
import uuid
from typing import Any
from weakref import WeakKeyDictionary

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import AppError, app_error_response, unexpected_error
from app.core.security import redact_keys
from app.ops import metrics
from app.ops.logging import REQUEST_ID

SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
"""An X-Request-ID the caller sends is kept when it matches this; anything else is replaced by a new one."""

access_log = logging.getLogger("app.ops.access")


def request_id_for(scope: Scope) -> str:
    """The caller's X-Request-ID when sane (so traces join up across services), a new uuid4 hex otherwise."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


_templates: WeakKeyDictionary[Any, tuple[int, dict[int, str]]] = WeakKeyDictionary()


def route_template(scope: Scope) -> str | None:
    """The full template of the route that answered (`/api/v1/labs/{lab}`), None when no route matched.

    FastAPI puts the route as declared in its router in `scope["route"]`, without the prefixes it was included
    under; the full templates come from `iter_route_contexts`, mapped once per app (again if routes are added).
    """
    route = scope.get("route")
    if route is None:
        return None
    app = scope.get("app")
    routes = getattr(app, "routes", None)
    if routes is not None:
        cached = _templates.get(app)
        if cached is None or cached[0] != len(routes):
            contexts = iter_route_contexts(routes)
            cached = (len(routes), {id(c.original_route): c.path_format for c in contexts if c.path_format})
            _templates[app] = cached
        if (template := cached[1].get(id(route))) is not None:
            return template
    declared = getattr(route, "path_format", None) or getattr(route, "path", None)
    return declared if isinstance(declared, str) else None


class RequestContext:
    """Sets `request.state.request_id` (and the logging context), echoes it as `X-Request-ID`, then counts and
    times the request by route template and logs one line for it, with the API key's id (never the key, not
    even one sent in the path).

    An AppError raised by a middleware, outside the routes' handlers (DatabaseUnavailable while the idempotency
    layer claims a key), is answered here as a route's would be: raised on, the server would take it for a crash
    and drop the connection. Any other exception escaping the app is answered here with the logged 500 (inside
    the security headers, which Starlette's own 500 answer would bypass), counted, and raised on for the server.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        header = (b"x-request-id", request_id.encode("ascii"))
        status = 500
        answered = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                answered = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message["headers"] = [*headers, header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except AppError as exc:
            if answered:
                raise
            await app_error_response(Request(scope), exc)(scope, receive, send_with_id)
        except Exception as exc:
            if not answered:
                await (await unexpected_error(Request(scope), exc))(scope, receive, send_with_id)
            raise
        finally:
            self._record(scope, status, time.perf_counter() - started)
            REQUEST_ID.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"] if scope["method"] in metrics.METHODS else "OTHER"
        template = route_template(scope)
        label = template or metrics.UNMATCHED
        series = self._series.get((method, label, status))
        if series is None:
            # Looking a labelled child up takes a lock and checks its labels; the set of children is bounded
            # (routes x methods x statuses), so each is looked up once.
            series = self._series[method, label, status] = (
                metrics.HTTP_REQUESTS.labels(method=method, route=label, status=str(status)),
                metrics.HTTP_DURATION.labels(method=method, route=label),
            )
        requests, duration = series
        requests.inc()
        duration.observe(seconds)
        key_id: Any = scope.get("state", {}).get("api_key_id")
        client = scope.get("client")
        duration_ms = round(seconds * 1000, 1)
        path = redact_keys(scope["path"])
        access_log.info(
            "%s %s %s %.1f ms",
            scope["method"],
            path,
            status,
            duration_ms,
            extra={
                "method": scope["method"],
                "route": template,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "api_key_id": str(key_id) if key_id is not None else None,
                "client_ip": client[0] if client else None,
            },
        )
