"""Who the caller is, and what it may do: checks applied to whole routers, so no route can go without one.

`resolve_caller` turns a request into a caller once (kept on the request's state for every later step: the
idempotency layer, the access check, the fast path, histories and the access log). `by_method` guards the
domain routers: reads are public unless PUBLIC_READS is off (then any valid key reads), writes need `write`, or
`funding` on the money. `admin_only` guards key management, the audit trail and webhooks.
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth import service
from app.auth.schemas import Scope
from app.core.db import reading
from app.core.errors import Forbidden, Unauthenticated
from app.core.security import ANONYMOUS, CALLER_STATE, Caller, bearer_token

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key, sent as `Authorization: Bearer lr_…`. Create the first one with "
    "`lab-registry create-api-key --name NAME --scopes write,admin`.",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _challenge(error: str | None = None, scope: Scope | None = None) -> dict[str, str]:
    parts = ['Bearer realm="lab-registry"']
    if error:
        parts.append(f'error="{error}"')
    if scope:
        parts.append(f'scope="{scope.value}"')
    return {"WWW-Authenticate": ", ".join(parts)}


async def resolve_caller(request: Request, connection: AsyncConnection | None = None) -> Caller:
    """Anonymous without an Authorization header; else the valid key it presents (401 for anything presented
    but not valid), looked up before any write lock is taken, on a connection of the readers' engine: the one
    lent (the fast path lends its page's), else one of its own (docs/architecture.md, "The key of a keyed read")."""
    known: Caller | None = getattr(request.state, CALLER_STATE, None)
    if known is not None:
        return known
    header = request.headers.get("authorization")
    caller = ANONYMOUS
    if header is not None:
        token = bearer_token(header)
        if token is None:
            raise Unauthenticated(
                "The Authorization header must be `Bearer <API key>`.", headers=_challenge("invalid_request")
            )
        async with reading(request.app.state.reader, connection) as reader:
            found = await service.find_caller(reader, token)
        if found is None:
            raise Unauthenticated("The API key is unknown, expired or revoked.", headers=_challenge("invalid_token"))
        caller = found
        request.state.api_key_id = caller.key_id
    setattr(request.state, CALLER_STATE, caller)
    return caller


def require(caller: Caller, scope: Scope) -> None:
    """401 without a key, 403 when the key lacks the scope."""
    if caller.key_id is None:
        raise Unauthenticated(f"This operation needs an API key with the `{scope.value}` scope.", headers=_challenge())
    if not caller.holds(scope.value):
        raise Forbidden(
            f"The API key {caller.actor} lacks the `{scope.value}` scope.",
            headers=_challenge("insufficient_scope", scope),
        )


async def check_read(request: Request, connection: AsyncConnection | None = None) -> Caller:
    """A read: public, or with PUBLIC_READS off any valid key (looked up on `connection` if one is lent)."""
    caller = await resolve_caller(request, connection)
    if caller.key_id is None and not request.app.state.settings.public_reads:
        require(caller, Scope.read)
    return caller


def by_method(write: Scope | None) -> Callable[..., Coroutine[Any, Any, None]]:
    """A router's access check: reads as `check_read` says, writes need `write` (None: a key, whose scope the
    route checks itself); the scheme documents the header."""

    async def check(request: Request, _credentials: BearerDep) -> None:
        caller = await check_read(request) if request.method in READ_METHODS else await resolve_caller(request)
        if request.method not in READ_METHODS:
            if caller.key_id is None:
                raise Unauthenticated("This operation needs an API key.", headers=_challenge())
            if write is not None:
                require(caller, write)

    return check


content_access = by_method(Scope.write)
"""Organizations, labs, projects, campaigns, events, stats, the feed."""
funding_access = by_method(Scope.funding)
"""Funding streams, allocations, disbursements: the money is written with the `funding` scope only."""
import_access = by_method(None)
"""Imports: each resource's own scope (`write`, or `funding` for the money), checked by the route."""


async def admin_only(request: Request, _credentials: BearerDep) -> None:
    """Key management, the audit trail and webhooks need `admin`, for reads too."""
    require(await resolve_caller(request), Scope.admin)


async def current_caller(request: Request) -> Caller:
    """The caller the router's access check resolved."""
    return await resolve_caller(request)


CallerDep = Annotated[Caller, Depends(current_caller)]
