"""ASGI middleware for an API exposed to other administrations: strict URLs, body-size limits, security headers."""

from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import AppError, FieldError, problem_response

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
