"""Conditional requests: `ETag` on items, `If-None-Match` → 304, `If-Match` → 412 (RFC 9110 §13).

An item route loads its entity through `conditional(loader)`. On a read, a matching If-None-Match answers 304;
on a write, an If-Match that names another version answers 412 before anything is written, and the write itself
is `UPDATE … WHERE id = :id AND version = :v` (see `Entity`), so a change that lands between the check and the
write is refused too. `ItemRoute` sets the response's ETag from the entity's version as it is once the handler
has run, so a PATCH answers with the ETag of the version it wrote.
"""

from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import State

from app.core.crud import IF_MATCH_GIVEN
from app.core.db import SessionDep
from app.core.errors import AppError, PreconditionFailed
from app.models.base import Entity

_ENTITY = "conditional_entity"


class NotModified(AppError):
    """The client's copy is current: 304, no body."""

    status = 304
    slug = "not-modified"


def etag(entity: Entity) -> str:
    """A strong validator of the item's representation: its version, which every write moves."""
    return f'"{entity.version}"'


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def conditional(loader: Callable[..., Awaitable[Any]]) -> Callable[..., Coroutine[Any, Any, Any]]:
    """Wrap a load-or-404 dependency with the preconditions of the item route that uses it."""

    async def dependency(
        request: Request,
        session: SessionDep,
        entity: Annotated[Any, Depends(loader)],
        if_none_match: Annotated[
            str | None, Header(description="On reads: the ETag you hold; 304 when it is still current.")
        ] = None,
        if_match: Annotated[
            str | None, Header(description="On writes: the ETag you read; 412 when the item changed since.")
        ] = None,
    ) -> Any:
        current = etag(entity)
        if request.method in {"GET", "HEAD"}:
            if if_none_match and ("*" in _tags(if_none_match) or current in _tags(if_none_match)):
                raise NotModified("Not modified.", headers={"ETag": current})
        elif if_match is not None:
            session.info[IF_MATCH_GIVEN] = True
            if "*" not in _tags(if_match) and current not in _tags(if_match):
                raise PreconditionFailed(
                    f"The item is at version {entity.version} (ETag {current}); If-Match named {if_match.strip()}. "
                    "Read it again and retry.",
                    headers={"ETag": current},
                )
        state: State = request.state
        setattr(state, _ENTITY, entity)
        return entity

    return dependency


class ItemRoute(APIRoute):
    """A route that answers with the ETag of the entity its `conditional` dependency loaded, as written."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_etag(request: Request) -> Response:
            response = await handler(request)
            entity = getattr(request.state, _ENTITY, None)
            if entity is not None and response.status_code < 300 and response.status_code != 204:
                response.headers.setdefault("ETag", etag(entity))
            return response

        return with_etag


async def not_modified(_request: Request, exc: Exception) -> Response:
    """304 carries no body, only the validator."""
    assert isinstance(exc, NotModified)
    return Response(status_code=304, headers=exc.headers)
