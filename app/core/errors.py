"""Status-coded exceptions, rendered once as RFC 9457 problem+json.

AppError is the root; each subclass fixes a status: NotFound 404, Conflict 409, PreconditionFailed 412,
Unauthenticated 401, Forbidden 403, BadRequest 400, InvalidInput 422 (a rule on a payload field that
pydantic cannot check alone, such as a reference that does not exist) and DatabaseUnavailable 503 (raised by
the engine, see app.core.db, wherever the database cannot be reached).

Every problem carries the request's `request_id` (the `X-Request-ID` the request-context middleware put on
`request.state`), so a caller can quote it and operators find the matching log lines.
"""

import logging
from http import HTTPStatus
from typing import Any, ClassVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.core.security import redact_keys

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


class InvalidInput(AppError):
    """A payload field broke a rule only the database can check; carries pydantic-shaped errors."""

    status = 422
    slug = "validation-error"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))
        self.errors = errors


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
}


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
    return problem_response(request, exc.status_code, detail, headers=dict(exc.headers or {}))


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """Log the failure with its traceback and request id (once); the caller gets only the id to quote.

    The request-context middleware answers with it, so that the answer passes the security headers; Starlette
    calls it again as its own 500 handler, outside every middleware, once the request's context is gone: hence
    the explicit request id, and the exception marked as logged.
    """
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


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as problem+json, 500s without a traceback or SQL."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, unexpected_error)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry of a route, so openapi.yaml documents its problem+json errors."""
    return {
        status: {"model": Problem, "description": HTTPStatus(status).phrase, "content": {PROBLEM_JSON: {}}}
        for status in statuses
    }
