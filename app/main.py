"""The ASGI application: `create_app(settings)` wires settings, database, error handlers and routers."""

import copy
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware

from app.auth.dependencies import admin_only, check_read, content_access, funding_access, import_access
from app.auth.schemas import Scope
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_reader, create_sessionmaker
from app.core.errors import PROBLEM_JSON, install_error_handlers
from app.crud.conditional import NotModified, not_modified
from app.exports import outputs
from app.idempotency import middleware as idempotency
from app.lists import query
from app.lists.export import ExportSlots
from app.lists.fast import FastLists, fast_routes
from app.ops.logging import configure_logging
from app.ops.metrics import watch_pools
from app.ops.middleware import BodySizeLimit, HeadAsGet, RequestContext, SecurityHeaders, StrictUrl
from app.ops.router import router as ops_router
from app.routers import ADMIN_ROUTERS, API_PREFIX, ROUTERS, TAGS
from app.webhooks.dispatcher import run_dispatcher

DESCRIPTION = """\
System of record for France's territorial public-innovation labs: the labs, the money that funds them
(Fonds pour la transformation de l'action publique, France Relance), the transformation projects they run
with local authorities and social-economy partners, and the events they hold (the Mois de l'innovation publique).

Conventions: JSON fields in `snake_case`, dates `YYYY-MM-DD`, datetimes RFC 3339 with offset, money in integer
cents. Lists are keyset-paginated (`limit`, `cursor` → `next_cursor` and a `Link: rel="next"` header).
Every error is `application/problem+json` (RFC 9457).
"""


_PROBLEM = {"schema": {"$ref": "#/components/schemas/Problem"}}
_ACCESS_ERRORS = {
    "401": "Missing, malformed, unknown, expired or revoked API key",
    "403": "The API key lacks the scope this operation needs",
    "413": "The request body is over the size limit",
    "503": "The database is unreachable or busy, or every export slot is taken: retry after Retry-After seconds",
}
LICENSE = {"name": "Licence Ouverte 2.0 (Etalab)", "identifier": "etalab-2.0"}
"""The data's licence, the one French public data is published under."""
SERVERS = [{"url": "/", "description": "This instance: the paths are relative to where this document is served"}]

_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "The item's version (a strong validator): send it in If-Match to change the item, in "
        "If-None-Match to read it again only if it changed.",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": 'The next page, `<URL>; rel="next"` (RFC 8288), while there is one.',
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "The URL of the item created.",
        "schema": {"type": "string", "format": "uri-reference"},
    },
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}},
}
"""Response headers, declared once under components/headers and referenced where they are sent."""


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _document_headers(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare the response headers each operation sends: ETag with an item (read, written, created, or Not
    Modified), Link with a keyset page, Location with a 201, Retry-After with a 503 or an Idempotency-Key's 409."""
    schema.setdefault("components", {})["headers"] = copy.deepcopy(_HEADERS)
    for path_name, path in schema.get("paths", {}).items():
        for operation in path.values():
            parameters = {p["name"].lower() for p in operation.get("parameters", [])}
            conditional = "if-none-match" in parameters or "if-match" in parameters
            for status, response in operation.get("responses", {}).items():
                headers: dict[str, Any] = {}
                if status in {"200", "304"} and conditional:
                    headers["ETag"] = _header("ETag")
                if status == "200" and "cursor" in parameters and "application/json" in response.get("content", {}):
                    headers["Link"] = _header("Link")
                if status == "201":
                    headers["Location"] = _header("Location")
                    if not path_name.startswith(NOT_IDEMPOTENT):
                        headers["ETag"] = _header("ETag")
                if status == "503" or (status == "409" and "idempotency-key" in parameters):
                    headers["Retry-After"] = _header("Retry-After")
                if headers:
                    response["headers"] = {**headers, **response.get("headers", {})}
    return schema


# FastAPI's own 422 entry names HTTPValidationError; both it and Problem are documented as the Problem.
_GENERIC_ERRORS = [_PROBLEM["schema"], {"$ref": "#/components/schemas/HTTPValidationError"}]


def _either(own: dict[str, Any]) -> dict[str, Any]:
    """A route's own problem model (an import's report) or the plain Problem: its status also comes from the
    framework's checks (a query parameter refused with 422), which know nothing of the route's model."""
    return {"schema": {"anyOf": [own, _PROBLEM["schema"]]}}


ADMIN_PATHS = tuple(f"{API_PREFIX}{router.prefix}" for router in ADMIN_ROUTERS)


def _document_access(schema: dict[str, Any], *, public_reads: bool) -> dict[str, Any]:
    """Document every error body as the Problem it is (or the route's own extension of it, such as an import's
    report), under the media type it is actually sent with, and each operation's access as it is.

    FastAPI's own 422 entry names its `{"detail": [...]}` shape, which this app never sends. The access check
    guards whole routers, so its answers are added here: 401 anywhere under the API (a bad key is refused
    even on a public read), 403 and 413 on the operations that carry a body or change something. With public
    reads, a read outside the admin routers needs no key: its security is optional (`[{}, {"ApiKey": []}]`).
    """
    for path_name, path in schema.get("paths", {}).items():
        for method, operation in path.items():
            responses = operation.setdefault("responses", {})
            if method == "get" and public_reads and path_name.startswith(API_PREFIX):
                if not path_name.startswith(ADMIN_PATHS):
                    operation["security"] = [{}, {"ApiKey": []}]
            if path_name.startswith(API_PREFIX):
                statuses = ["401"] if method == "get" else ["401", "403"]
                if method in {"post", "put", "patch"}:
                    statuses.append("413")
                statuses.append("503")
                for status in statuses:
                    responses.setdefault(status, {"description": _ACCESS_ERRORS[status]})
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            if "if-none-match" in headers and method == "get":
                responses.setdefault("304", {"description": "Not Modified: the If-None-Match ETag is current"})
            if "if-match" in headers and method != "get":
                responses.setdefault("412", {"description": "Precondition Failed: the item changed since If-Match"})
            for status, response in responses.items():
                if status[0] in "45":
                    content = response.setdefault("content", {})
                    own = content.pop("application/json", {}).get("schema", _PROBLEM["schema"])
                    for media_type in [m for m in content if m != PROBLEM_JSON]:
                        del content[media_type]  # a route's own media type (GeoJSON) is not its errors'
                    content[PROBLEM_JSON] = _PROBLEM if own in _GENERIC_ERRORS else _either(own)
    for unused in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(unused, None)
    return schema


# POSTs that answer with a secret in clear (a new API key, a webhook's signing secret): storing that answer for
# replays would keep the secret in the database; they refuse the Idempotency-Key header instead.
NOT_IDEMPOTENT = (f"{API_PREFIX}/api-keys", f"{API_PREFIX}/webhooks")


def _freeze_startup_objects() -> None:
    """Keep what importing and building the app created out of every later garbage collection.

    Those objects (modules, models, routes, validators: about 100 MB) live as long as the process, yet each
    full collection would scan them again; frozen once, collections only look at what requests create. Measured
    on a bulk import, where allocations trigger many collections: about 25 % more rows per second. Done once
    per process (tests build many apps), after a collection so that no garbage is frozen with them.
    """
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Inside out: the fast path to list pages (see app.lists.fast), idempotency (on bodies already limited),
    HEAD answered as GET, strict URLs (no NUL, no repeated parameter), body limits, CORS (if configured), the
    request context (request id, metrics, access log), which answers the unexpected errors itself, then the
    security headers outermost, so that every answer carries them, a 500 too."""
    if settings.fast_lists:
        routes = fast_routes(app, access=(content_access, funding_access, import_access))
        app.add_middleware(FastLists, routes=routes, check_read=check_read)
    app.add_middleware(
        idempotency.Idempotency,
        prefix=API_PREFIX,
        ttl=timedelta(hours=settings.idempotency_ttl_hours),
        abandoned=timedelta(seconds=settings.idempotency_abandoned_seconds),
        excluded=NOT_IDEMPOTENT,
    )
    app.add_middleware(HeadAsGet)
    app.add_middleware(StrictUrl)
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        limits_by_prefix={f"{API_PREFIX}/imports": settings.max_import_bytes},
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
                "X-Request-ID",
            ],
            expose_headers=["ETag", "Link", "Location", "X-Request-ID", "Idempotent-Replayed", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestContext)
    app.add_middleware(SecurityHeaders, docs_paths=("/docs", "/redoc", "/static-offline-docs"))


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for the given settings (tests pass their own; production reads the environment)."""
    settings = settings or get_settings()
    configure_logging(settings)
    watch_pools()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _freeze_startup_objects()
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.reader = create_reader(settings, engine)
        app.state.exports = ExportSlots(
            create_engine(settings, pool_size=settings.export_pool_size), settings.max_concurrent_exports
        )
        app.state.sessionmaker = create_sessionmaker(engine)
        async with run_dispatcher(app.state.sessionmaker, settings, enabled=settings.webhooks_in_serve):
            try:
                yield
            finally:
                await engine.dispose()
                await app.state.exports.engine.dispose()
                if app.state.reader is not engine:
                    await app.state.reader.dispose()

    app = FastAPIOffline(
        title="Lab Registry",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None, "displayRequestDuration": True},
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_exception_handler(NotModified, not_modified)
    guards = {Scope.write: content_access, Scope.funding: funding_access, None: import_access}
    for router, write_scope in ROUTERS:
        app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(guards[write_scope])])
    for router in ADMIN_ROUTERS:
        app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(admin_only)])
    app.include_router(ops_router)
    _add_middleware(app, settings)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=SERVERS,
                license_info=LICENSE,
            )
            schema = outputs.document(query.document(schema, app.routes))
            schema = _document_access(
                idempotency.document(schema, prefix=API_PREFIX, excluded=NOT_IDEMPOTENT),
                public_reads=settings.public_reads,
            )
            app.openapi_schema = _document_headers(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


app = create_app()
