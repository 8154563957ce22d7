"""The ASGI middleware around the app: the request context (request id, metrics, one access log line), strict
URLs, body-size limits and security headers."""

import logging
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl
from weakref import WeakKeyDictionary

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import (
    AppError,
    FieldError,
    app_error_response,
    as_app_error,
    problem_response,
    unexpected_error,
)
from app.core.security import redact_keys
from app.core.urls import HEAD
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
        except Exception as exc:
            known = as_app_error(exc)
            if answered:
                raise
            if known is not None:
                await app_error_response(Request(scope), known)(scope, receive, send_with_id)
                return
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


class HeadAsGet:
    """HEAD is answered wherever GET is (RFC 9110 §9.3.2): as the GET, without its body. The request's state says
    so (`HEAD`), so that an export sends its headers without reading the list."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})[HEAD] = True

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {**message, "body": b""}
            await send(message)

        # A copy: the server keeps its own scope, where the method is still HEAD.
        await self.app({**scope, "method": "GET"}, receive, headers_only)


_NUL_MESSAGE = "text may not contain NUL characters"
_REPEATED_MESSAGE = "given more than once: each query parameter takes one value"


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"


class StrictUrl:
    """Refuse with 422, before any route reads them, the URLs no route can take as sent.

    A NUL in the path or the query: PostgreSQL text cannot hold it, so an id, slug, search or filter carrying one
    made the driver fail (a 500) instead of matching nothing; no valid value has one. A query parameter given
    twice: every parameter of the API takes one value, and FastAPI would silently keep the last
    (`?limit=1&limit=500`). Bodies are checked by the Input schemas, which name the field.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            errors = _url_errors(scope)
            if errors:
                detail = "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors)
                response = problem_response(Request(scope), 422, detail, slug="validation-error", errors=errors)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _url_errors(scope: Scope) -> list[FieldError]:
    """What is wrong with the path and each query parameter (named as Starlette decodes them)."""
    errors = []
    if "\x00" in scope["path"]:
        errors.append(FieldError(loc=["path"], msg=_NUL_MESSAGE, type="value_error"))
    seen: set[str] = set()
    for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            errors.append(FieldError(loc=["query", name], msg=_NUL_MESSAGE, type="value_error"))
        elif name in seen:
            errors.append(FieldError(loc=["query", name], msg=_REPEATED_MESSAGE, type="value_error"))
        seen.add(name)
    return errors


class BodySizeLimit:
    """Refuse bodies over the limit with 413, by Content-Length when announced, else while streaming.

    Paths under a prefix of `limits_by_prefix` (imports) get that prefix's larger limit.
    """

    def __init__(self, app: ASGIApp, *, limit: int, limits_by_prefix: Mapping[str, int]) -> None:
        self.app = app
        self.limit = limit
        self.limits_by_prefix = dict(limits_by_prefix)

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self.limits_by_prefix.items():
            if path.startswith(prefix):
                return limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        detail = f"The request body exceeds the limit of {limit} bytes."
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await problem_response(Request(scope), 413, detail, slug=PayloadTooLarge.slug)(scope, receive, send)
            return
        received = 0
        exceeded = answered = False

        async def too_large(scope: Scope, receive: Receive, send: Send) -> None:
            await problem_response(Request(scope), 413, detail, slug=PayloadTooLarge.slug)(scope, receive, send)

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise PayloadTooLarge(detail)
            return message

        async def guarded_send(message: Message) -> None:
            # Frameworks turn an error raised while reading the body into their own 400; answer 413 instead.
            nonlocal answered
            if not exceeded:
                await send(message)
            elif message["type"] == "http.response.start" and not answered:
                answered = True
                await too_large(scope, receive, send)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except PayloadTooLarge:
            if not answered:
                await too_large(scope, receive, send)


_API_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
    b"strict-transport-security": b"max-age=63072000; includeSubDomains",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
}
# JSON needs no script, style or frame; the docs pages need their own (local) scripts and styles only.
_API_CSP = b"default-src 'none'; frame-ancestors 'none'"
_DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Headers suitable for a JSON API and its documentation pages, added to every response."""

    def __init__(self, app: ASGIApp, *, docs_paths: tuple[str, ...]) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = _DOCS_CSP if scope["path"].startswith(self.docs_paths) else _API_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message["headers"]}
                extra = [(k, v) for k, v in _API_HEADERS.items() if k not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", csp))
                message["headers"] = [*message["headers"], *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
