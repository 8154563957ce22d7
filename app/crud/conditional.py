"""Conditional requests (RFC 9110 §13): `ETag` on items, `If-None-Match` → 304, `If-Match` → 412 before anything
is written; the write itself is `UPDATE … WHERE version = :read` (see `Entity`), so a change landing in between
is refused too.
"""

from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import State

from app.core.db import SessionDep
from app.core.errors import AppError, PreconditionFailed
from app.core.urls import url_for
from app.crud import IF_MATCH_GIVEN
from app.models.base import Entity

_ENTITY = "conditional_entity"


class NotModified(AppError):
    """The client's copy is current: 304, no body."""

    status = 304
    slug = "not-modified"


def etag(entity: Entity) -> str:
    """A strong validator of the item's representation: its version, which every write moves."""
    return f'"{entity.version}"'


STRONG_TAGS = r'^\s*(\*|"\d+"(\s*,\s*"\d+")*)\s*$'
"""What If-Match takes: `*`, or strong entity tags (`"3"`); writes compare strongly (RFC 9110 §13.1.1)."""


def _tags(header: str, *, weak: bool) -> set[str]:
    """The entity tags a header lists; `weak`: a weak tag counts as its strong twin (If-None-Match)."""
    return {tag.strip().removeprefix("W/") if weak else tag.strip() for tag in header.split(",") if tag.strip()}


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
            str | None,
            Header(
                pattern=STRONG_TAGS,
                description='On writes: the ETag you read (`"3"`) or `*`; 412 when the item changed since. A weak '
                'tag (`W/"3"`) is refused (422): writes compare entity tags strongly.',
            ),
        ] = None,
    ) -> Any:
        current = etag(entity)
        if request.method in {"GET", "HEAD"}:
            tags = _tags(if_none_match, weak=True) if if_none_match else set()
            if "*" in tags or current in tags:
                raise NotModified("Not modified.", headers={"ETag": current})
        elif if_match is not None:
            session.info[IF_MATCH_GIVEN] = True
            tags = _tags(if_match, weak=False)
            if "*" not in tags and current not in tags:
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


def created(request: Request, response: Response, entity: Entity, route: str, **path_params: str) -> None:
    """A 201's headers: where the new item is (its route `route`), and its ETag."""
    response.headers["Location"] = url_for(request, route, **path_params)
    response.headers["ETag"] = etag(entity)


async def not_modified(_request: Request, exc: Exception) -> Response:
    """304 carries no body, only the validator."""
    assert isinstance(exc, NotModified)
    return Response(status_code=304, headers=exc.headers)
