"""Who is acting: the bearer token a request presents, and the name writes are recorded under in histories
(and later the audit trail)."""

from typing import Annotated

from fastapi import Depends, Request

ANONYMOUS = "anonymous"


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (the scheme in any case), None when the header is
    not of that form."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def current_actor(request: Request) -> str:
    """The caller's API key name, set by the access check that guards every router; anonymous without one."""
    return str(getattr(request.state, "actor", ANONYMOUS))


ActorDep = Annotated[str, Depends(current_actor)]
