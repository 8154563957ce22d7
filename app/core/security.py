"""Who is acting: the actor recorded in histories (and, with API keys, the audit trail)."""

from typing import Annotated

from fastapi import Depends

ANONYMOUS = "anonymous"


async def current_actor() -> str:
    """The name writes are recorded under; anonymous until API keys identify the caller."""
    return ANONYMOUS


ActorDep = Annotated[str, Depends(current_actor)]
