"""The fast path: GETs of top-level lists answered past FastAPI's routing and dependency injection.

It calls what the list's route calls — the access check, the query model's parser, `Listing.respond` — and
answers errors with the app's own handlers, so both ways give the same answers (the list tests run through
both). It lends one reader connection to the check and the page, where the route's open one each. Routing and
dependency injection cost about a third of a list page (docs/architecture.md).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.db import reading
from app.core.errors import error_response
from app.core.urls import route_path
from app.lists.listing import Listing
from app.lists.query import parse_query, query_model

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_MARK = "__fast_list__"


def fast_list(listing: Listing) -> Callable[[Endpoint], Endpoint]:
    """Mark a list route whose endpoint is `return await listing.respond(request, params)`."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _MARK, listing)
        return endpoint

    return mark


@dataclass(frozen=True)
class FastRoute:
    route: APIRoute
    listing: Listing


def fast_routes(api: FastAPI, access: tuple[Callable[..., Any], ...]) -> dict[str, FastRoute]:
    """The marked routes by full path. A marked route that takes more than the request, its query model and one
    of the routers' access checks (`access`, which the fast path's `check_read` stands for on reads) is refused:
    TypeError."""
    routes: dict[str, FastRoute] = {}
    for context in iter_route_contexts(api.routes):
        route = context.original_route
        listing = getattr(getattr(route, "endpoint", None), _MARK, None)
        if listing is None or not isinstance(route, APIRoute):
            continue
        dependant, path = context.dependant, context.path_format or ""
        query = query_model(dependant)
        others = [d for d in dependant.dependencies if d.call not in access and query_model(d) is None]
        own = (dependant.path_params, dependant.query_params, dependant.header_params, dependant.body_params)
        if route.methods != {"GET"} or "{" in path or query is not listing.params or others or any(own):
            raise TypeError(f"{path} cannot take the fast path: it takes more than its query model")
        routes[path] = FastRoute(route, listing)
    return routes


class FastLists:
    """The ASGI layer of the fast path (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: dict[str, FastRoute],
        check_read: Callable[[Request, AsyncConnection], Awaitable[Any]],
    ) -> None:
        self.app = app
        self.routes = routes
        self.check_read = check_read

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast = self._route_for(scope)
        if fast is None:
            await self.app(scope, receive, send)
            return
        scope.update(route=fast.route, endpoint=fast.route.endpoint, path_params={})
        request = Request(scope, receive)
        try:
            async with reading(request.app.state.reader) as connection:
                await self.check_read(request, connection)
                params = parse_query(fast.listing.params, request)
                response = await fast.listing.respond(request, params, connection=connection)
        except Exception as exc:
            response = await error_response(request, exc)
        await response(scope, receive, send)

    def _route_for(self, scope: Scope) -> FastRoute | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        return self.routes.get(route_path(scope))
