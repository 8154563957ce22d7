"""The direct way to a list page, past FastAPI's routing and dependency injection.

Reading a page of a list is the API's most frequent request, and most of its time went to the framework around
the read (profiled under load: route matching, dependencies, the ORM session opened and committed for one
SELECT). A GET of a top-level list marked `@direct_list` — `/api/v1/events`, `/api/v1/labs`, … — is answered
here by what its route itself calls: the same query model validates the query string, the same service reads
the page, the same `page_answer` writes it (what `page_response` answers for a page). A public read (no key,
reads public) is read on a pooled connection without a session (on SQLite one of a few kept for these reads,
see `db.create_reader`); so is a read with a key whose use was recorded within the minute (the key read on the
same connection), and any other keyed read in a session where the key is checked as the routes check it.
Everything else — HEAD, an export, a key that is not valid, a query string the model refuses, a forged cursor,
a keyless read while reads need a key — goes on to FastAPI, which answers it as always, so errors read the
same whichever way a request came.

A route is only taken if every dependency it has is one this way stands for (the access check of a read, the
session, the query model); any other (a parent to load, an admin check) is refused when the app starts.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.crud import PageResult
from app.core.db import get_session, read_connection, reading
from app.core.errors import AppError
from app.core.listing import export_requested, page_answer
from app.core.query import query_model

PageReader = Callable[[AsyncConnection, Any], Awaitable[PageResult]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

_MARK = "__direct_list__"


@dataclass(frozen=True)
class DirectList:
    """What a list route answers: `read(connection, params)`'s page, written as `read_model`."""

    read_model: type[BaseModel]
    read: PageReader


@dataclass(frozen=True)
class DirectWay:
    """A route the direct way answers: its query model and its page."""

    route: APIRoute
    query: type[BaseModel]
    page: DirectList


def direct_list(read_model: type[BaseModel], read: PageReader) -> Callable[[Endpoint], Endpoint]:
    """Mark a list route whose endpoint answers `page_response(request, read_model, await read(connection,
    params))`, so that its reads can take the direct way."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _MARK, DirectList(read_model, read))
        return endpoint

    return mark


def direct_ways(api: FastAPI, read_access: Callable[..., Any]) -> dict[str, DirectWay]:
    """The marked GET routes by full path, read once the routers are included; a marked route with a
    dependency this way would skip is refused (TypeError), so the app does not start.

    `read_access` is the routers' access check (`by_method`), which this way stands for on reads: without a key
    while reads are public, else with a key `DirectLists` checks.
    """
    ways: dict[str, DirectWay] = {}
    standing_for = {read_access, get_session}
    for context in iter_route_contexts(api.routes):
        route = context.original_route
        page = getattr(getattr(route, "endpoint", None), _MARK, None)
        if page is None or not isinstance(route, APIRoute):
            continue
        path = context.path_format
        dependant = context.dependant
        query = query_model(dependant)
        others = [d for d in dependant.dependencies if d.call not in standing_for and query_model(d) is None]
        own = (
            dependant.path_params,
            dependant.query_params,
            dependant.header_params,
            dependant.cookie_params,
            dependant.body_params,
        )
        if route.methods != {"GET"} or not path or "{" in path or query is None or others or any(own):
            raise TypeError(f"{path} cannot be a direct list: it takes more than a query model and a session")
        ways[path] = DirectWay(route, query, page)
    return ways


Authenticate = Callable[[Request, AsyncSession], Awaitable[Any]]
Recognise = Callable[[Request, AsyncConnection], Awaitable[bool]]


class DirectLists:
    """The ASGI layer that answers the reads of marked list routes (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        api: FastAPI,
        ways: Mapping[str, DirectWay],
        authenticate: Authenticate,
        recognise: Recognise,
    ) -> None:
        self.app = app
        self.api = api
        self.ways = dict(ways)
        self.authenticate = authenticate
        self.recognise = recognise

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        way = self._way_for(scope)
        if way is not None:
            request = Request(scope, receive)
            page = await self._page(way, request)
            if page is not None:
                scope.update(route=way.route, endpoint=way.route.endpoint, path_params={})
                await page_answer(request, way.page.read_model, page)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _page(self, way: DirectWay, request: Request) -> PageResult | None:
        """The page, or None for a request FastAPI answers: an export, or one it answers with an error."""
        keyed = "authorization" in request.headers
        if not keyed and not self.api.state.settings.public_reads:
            return None
        try:
            if export_requested(request) is not None:
                return None
            params = way.query.model_validate(dict(request.query_params))
            if keyed:
                return await self._keyed_page(way, request, params)
            async with reading(self.api.state.reader) as connection:
                return await way.page.read(connection, params)
        except (AppError, ValidationError):
            return None

    async def _keyed_page(self, way: DirectWay, request: Request, params: BaseModel) -> PageResult:
        """A read with a key (any valid key reads). Most often the key's use was recorded less than a minute
        ago: key and page are then read on one pooled connection, as a public read is. Otherwise the key is
        checked as the routes check it, in a session whose commit records its use; a key not valid raises, for
        the routes' 401."""
        async with reading(self.api.state.reader) as connection:
            if await self.recognise(request, connection):
                return await way.page.read(connection, params)
        async with self.api.state.sessionmaker() as session:
            await self.authenticate(request, session)
            page = await way.page.read(await read_connection(session), params)
            await session.commit()
        return page

    def _way_for(self, scope: Scope) -> DirectWay | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        path, root = scope["path"], scope.get("root_path", "")
        return self.ways.get(path[len(root) :] if root and path.startswith(root) else path)
