"""The ASGI application: `create_app(settings)` wires settings, database, error handlers and routers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline

from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_sessionmaker
from app.core.errors import PROBLEM_JSON, install_error_handlers
from app.routers import API_PREFIX, ROUTERS, TAGS

DESCRIPTION = """\
System of record for France's territorial public-innovation labs: the labs, the money that funds them
(Fonds pour la transformation de l'action publique, France Relance), the transformation projects they run
with local authorities and social-economy partners, and the events they hold (the Mois de l'innovation publique).

Conventions: JSON fields in `snake_case`, dates `YYYY-MM-DD`, datetimes RFC 3339 with offset, money in integer
cents. Lists are keyset-paginated (`limit`, `cursor` → `next_cursor` and a `Link: rel="next"` header).
Every error is `application/problem+json` (RFC 9457).
"""


def _problem_media_types(schema: dict[str, Any]) -> dict[str, Any]:
    """Document every error body as the Problem it is, under the media type it is actually sent with.

    FastAPI's own 422 entry names its `{"detail": [...]}` shape, which this app never sends.
    """
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    del content["application/json"]
                    content[PROBLEM_JSON] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for unused in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(unused, None)
    return schema


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for the given settings (tests pass their own; production reads the environment)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        try:
            yield
        finally:
            await engine.dispose()

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
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            app.openapi_schema = _problem_media_types(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


app = create_app()
