"""Who is acting: the name writes are recorded under in histories (and later the audit trail)."""

from typing import Annotated

from fastapi import Depends, Request

ANONYMOUS = "anonymous"


async def current_actor(request: Request) -> str:
    """The caller's API key name, set by the access check that guards every router; anonymous without one."""
    return str(getattr(request.state, "actor", ANONYMOUS))


ActorDep = Annotated[str, Depends(current_actor)]
