"""Who is acting: the bearer token a request presents, and the name writes are recorded under in histories
(and later the audit trail)."""

import re
from typing import Annotated

from fastapi import Depends, Request

ANONYMOUS = "anonymous"
KEY_PREFIX = "lr_"
KEY_PREFIX_LENGTH = len(KEY_PREFIX) + 8
"""A key's first characters (`lr_ab12cd34`): stored in clear to find its row, shown in lists and histories."""
_KEY_LIKE = re.compile(re.escape(KEY_PREFIX) + r"[A-Za-z0-9_-]{9,}")


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (the scheme in any case), None when the header is
    not of that form."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def redact_keys(text: str) -> str:
    """The text with anything shaped like an API key cut to its prefix (`lr_ab12cd34…`), for what is echoed or
    logged (paths, problem details): the prefix names the key, the rest is the secret."""
    return _KEY_LIKE.sub(lambda match: match[0][:KEY_PREFIX_LENGTH] + "…", text)


async def current_actor(request: Request) -> str:
    """The caller's API key name, set by the access check that guards every router; anonymous without one."""
    return str(getattr(request.state, "actor", ANONYMOUS))


ActorDep = Annotated[str, Depends(current_actor)]
