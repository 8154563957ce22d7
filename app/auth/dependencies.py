"""Access checks, applied to whole routers so that no route can be added without one.

`by_method` guards the domain routers: reads are public unless PUBLIC_READS is off (then they need `read`),
every write needs `write`. `admin_only` guards key management. Both record the caller on the request so
histories and the audit trail name the key (by name and prefix).
"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.auth import service
from app.auth.schemas import Scope
from app.core import audit
from app.core.db import SessionDep
from app.core.errors import Forbidden, Unauthenticated
from app.core.security import bearer_token
from app.models.auth import ApiKey

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


async def authenticate(request: Request, session: AsyncSession) -> ApiKey | None:
    """The key the request presents, None when it presents none; 401 for anything presented but not valid."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    token = bearer_token(header)
    if token is None:
        raise Unauthenticated(
            "The Authorization header must be `Bearer <API key>`.", headers=_challenge("invalid_request")
        )
    key = await service.find_active_key(session, token)
    if key is None:
        raise Unauthenticated("The API key is unknown, expired or revoked.", headers=_challenge("invalid_token"))
    # Plain values, not the row: they outlive the session (request logs read them after it closed).
    actor = service.actor(key)
    request.state.api_key_id = key.id
    request.state.actor = actor.name
    session.info[audit.ACTOR] = actor
    return key


async def recognise_reader(request: Request, connection: AsyncConnection) -> bool:
    """For a read that writes nothing: True when the request's key is valid and its last use already recorded
    (see `service.find_key_in_use`), checked on the read's connection without a session; the request then
    carries the key as `authenticate` leaves it. False sends the request to `authenticate`, which records
    the use or refuses the key."""
    header = request.headers.get("authorization")
    token = None if header is None else bearer_token(header)
    key = None if token is None else await service.find_key_in_use(connection, token)
    if key is None:
        return False
    request.state.api_key_id = key.id
    request.state.actor = audit.Actor.of_key(key.name, key.prefix, key.id).name
    return True


async def _caller(request: Request, session: SessionDep, _credentials: BearerDep) -> ApiKey | None:
    """`authenticate`, as the dependency every route's access check takes (the scheme documents the header)."""
    return await authenticate(request, session)


CallerDep = Annotated[ApiKey | None, Depends(_caller)]


def _require(key: ApiKey | None, scope: Scope) -> None:
    if key is None:
        raise Unauthenticated(f"This operation needs an API key with the `{scope.value}` scope.", headers=_challenge())
    if scope.value not in key.scopes:
        raise Forbidden(
            f"The API key {service.actor(key).name} lacks the `{scope.value}` scope.",
            headers=_challenge("insufficient_scope", scope),
        )


async def by_method(request: Request, key: CallerDep) -> None:
    """Reads are public, or with PUBLIC_READS off need a key (any valid key reads); writes need `write`."""
    if request.method in READ_METHODS:
        if key is None and not request.app.state.settings.public_reads:
            _require(key, Scope.read)
        return
    _require(key, Scope.write)


async def admin_only(key: CallerDep) -> None:
    """Key management needs `admin`, for reads too."""
    _require(key, Scope.admin)
