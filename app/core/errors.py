"""Status-coded exceptions (`AppError` and its subclasses), rendered once as RFC 9457 problem+json carrying the
request's `request_id`; database limits (pool, lock, statement time) are 503s with Retry-After, not 500s.
"""

import logging
import sqlite3
from http import HTTPStatus
from typing import Any, ClassVar

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path

from app.core.security import redact_keys
from app.core.urls import route_path

PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
RETRY_AFTER_SECONDS = 5
LOGGED = "_lab_registry_logged"
"""Set on an exception once `unexpected_error` logged it, so the server's own report of it can be skipped."""

logger = logging.getLogger("app.errors")


class FieldError(BaseModel):
    """One reason a payload was refused, located like pydantic's errors."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None = Field(
        default=None, description="The request's X-Request-ID: quote it when reporting a problem."
    )
    errors: list[FieldError] | None = None


class AppError(Exception):
    """A business error with its HTTP status; raised by services, rendered by the handler below."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        # Extension members of the problem (RFC 9457 §3.2), such as the report of a rejected import.
        self.extensions: dict[str, Any] = {}


class BadRequest(AppError):
    status = 400
    slug = "bad-request"


class Unauthenticated(AppError):
    status = 401
    slug = "unauthenticated"


class Forbidden(AppError):
    status = 403
    slug = "forbidden"


class NotFound(AppError):
    status = 404
    slug = "not-found"


class Gone(AppError):
    status = 410
    slug = "gone"


class Conflict(AppError):
    status = 409
    slug = "conflict"


class PreconditionFailed(AppError):
    status = 412
    slug = "precondition-failed"


class DatabaseUnavailable(AppError):
    """The database refuses connections or dropped one mid-statement (down, restarting): the service is
    unavailable for now, not broken, so the caller is told when to retry and no traceback is logged."""

    status = 503
    slug = "database-unreachable"

    def __init__(self) -> None:
        super().__init__(
            "The database is unreachable; retry shortly.", headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )


class ServiceBusy(AppError):
    """The service is at a limit it keeps on purpose (exports running, the database's write lock, a statement's
    time limit): not broken, so the caller is told when to retry."""

    status = 503
    slug = "busy"

    def __init__(self, detail: str, *, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class InvalidInput(AppError):
    """A payload field broke a rule only the database can check; carries pydantic-shaped errors."""

    status = 422
    slug = "validation-error"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))
        self.errors = errors


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or getattr(cause, "orig", None)
    return chain


def as_app_error(exc: BaseException) -> AppError | None:
    """The AppError a database failure stands for, when it is a limit rather than a bug: every pooled connection
    busy, SQLite's write lock held past its busy timeout, a statement past PostgreSQL's statement_timeout."""
    if isinstance(exc, AppError):
        return exc
    chain = _causes(exc)
    if any(isinstance(cause, sa.TimeoutError) for cause in chain):
        return ServiceBusy("Every database connection is in use; retry shortly.")
    if any(isinstance(cause, sqlite3.OperationalError) and "locked" in str(cause) for cause in chain):
        return ServiceBusy("The database is busy with another write; retry shortly.")
    if any(isinstance(cause, asyncpg.QueryCanceledError) for cause in chain):
        return ServiceBusy("The request ran past the database's time limit; retry, or narrow it with filters.")
    return None


def problem_type(slug: str) -> str:
    """A stable identifier integrators can switch on."""
    return f"urn:lab-registry:problem:{slug}"


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> Response:
    """Render a problem+json response; the only place error bodies are built."""
    body: dict[str, Any] = {
        **(extensions or {}),
        "type": problem_type(slug) if slug else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": redact_keys(detail),
        "instance": redact_keys(request.url.path),
    }
    request_id: str | None = getattr(request.state, "request_id", None)
    if request_id is not None:
        body["request_id"] = request_id
        headers = {**(headers or {}), REQUEST_ID_HEADER: request_id}
    if errors is not None:
        body["errors"] = [e.model_dump() for e in errors]
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _clean_loc(loc: tuple[Any, ...] | list[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid value"))
        errors.append(FieldError(loc=_clean_loc(err.get("loc", ())), msg=msg, type=str(err.get("type", "value_error"))))
    return errors


def app_error_response(request: Request, exc: AppError) -> Response:
    """The problem an AppError is answered with, wherever it was raised (a route or a middleware)."""
    errors = exc.errors if isinstance(exc, InvalidInput) else None
    return problem_response(
        request, exc.status, exc.detail, slug=exc.slug, errors=errors, headers=exc.headers, extensions=exc.extensions
    )


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return app_error_response(request, exc)


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    detail = "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors)
    return problem_response(request, 422, detail, slug="validation-error", errors=errors)


_UNREADABLE_BODY: dict[type[BaseException], str] = {
    UnicodeDecodeError: "the body is not UTF-8",
    RecursionError: "the body is nested too deeply",
    # Python refuses to read an integer of more than 4 300 digits (sys.get_int_max_str_digits).
    ValueError: "a number in the body has more than 4300 digits",
}


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at the request's path (HEAD wherever GET is), for a 405's `Allow`."""
    methods: set[str] = set()
    path = route_path(request.scope)
    for context in iter_route_contexts(request.app.routes):
        if context.methods and context.path and compile_path(context.path)[0].match(path):
            methods.update(context.methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    cause = exc.__cause__
    reason = _UNREADABLE_BODY.get(type(cause)) if exc.status_code == 400 and cause is not None else None
    if reason is not None:
        # FastAPI's 400 for a JSON body it could not read: a 422 `json_invalid`, like its syntax errors.
        msg = f"JSON decode error: {reason}"
        error = FieldError(loc=["body"], msg=msg, type="json_invalid")
        return problem_response(request, 422, f"body: {msg}", slug="validation-error", errors=[error])
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem_response(request, exc.status_code, detail, headers=headers)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """Log the failure with its traceback and request id (once); the caller gets only the id to quote.

    The request-context middleware answers with it, so that the answer passes the security headers; Starlette
    calls it again as its own 500 handler, outside every middleware, once the request's context is gone: hence
    the explicit request id, and the exception marked as logged.
    """
    known = as_app_error(exc)
    if known is not None:
        return app_error_response(request, known)
    if not getattr(exc, LOGGED, False):
        request_id = getattr(request.state, "request_id", None)
        logger.error(
            "Unhandled %s while answering %s %s",
            type(exc).__name__,
            request.method,
            redact_keys(request.url.path),
            exc_info=exc,
            extra={"request_id": request_id},
        )
        setattr(exc, LOGGED, True)
    return problem_response(request, 500, "An unexpected error occurred; it has been logged.", slug="internal-error")


_HANDLERS: dict[type[Exception], Any] = {
    AppError: _app_error,
    RequestValidationError: _request_validation,
    StarletteHTTPException: _http_error,
    Exception: unexpected_error,
}


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as problem+json, 500s without a traceback or SQL."""
    for kind, handler in _HANDLERS.items():
        app.add_exception_handler(kind, handler)


async def error_response(request: Request, exc: Exception) -> Response:
    """The answer the app's handlers give `exc`, for code that runs before the app's own error layer."""
    handler = next(_HANDLERS[kind] for kind in type(exc).__mro__ if kind in _HANDLERS)
    response: Response = await handler(request, exc)
    return response


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry of a route, so openapi.yaml documents its problem+json errors."""
    return {
        status: {"model": Problem, "description": HTTPStatus(status).phrase, "content": {PROBLEM_JSON: {}}}
        for status in statuses
    }
