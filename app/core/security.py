"""Who is acting: the caller a request resolves to, the bearer token it presents, and keys kept out of echoes."""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

KEY_PREFIX = "lr_"
KEY_PREFIX_LENGTH = len(KEY_PREFIX) + 8
"""A key's first characters (`lr_ab12cd34`): stored in clear to find its row, shown in lists and histories."""
ACTOR_LENGTH = 200
"""The width of the `actor` columns (audit trail, project history)."""
_KEY_LIKE = re.compile(re.escape(KEY_PREFIX) + r"[A-Za-z0-9_-]{9,}")


@dataclass(frozen=True)
class Caller:
    """Anonymous, or the API key a request presents: its id, name, prefix, scopes, expiry, and the labs it is
    bound to (None: not bound)."""

    key_id: uuid.UUID | None = None
    name: str = "anonymous"
    prefix: str | None = None
    scopes: frozenset[str] = frozenset()
    expires_at: datetime | None = None
    labs: frozenset[uuid.UUID] | None = None

    @property
    def actor(self) -> str:
        """How histories and the audit trail name the caller: a key as `name (prefix)`, e.g. `Lab Bretagne app
        (lr_ab12cd34)`, so that no key passes for another or for the CLI; a long name is cut, never the prefix."""
        if self.prefix is None:
            return self.name
        suffix = f" ({self.prefix})"
        name = self.name
        if len(name) + len(suffix) > ACTOR_LENGTH:
            name = name[: ACTOR_LENGTH - len(suffix) - 1] + "…"
        return name + suffix

    def holds(self, scope: str) -> bool:
        return scope in self.scopes


ANONYMOUS = Caller()
ROOT = Caller(name="cli", scopes=frozenset({"read", "write", "funding", "publish", "admin"}))
"""Who writes outside any request (the command line, the seed): the root of trust."""
CALLER_STATE = "caller"
"""The request state's attribute the resolved caller is kept under."""


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (the scheme in any case), None when the header is
    not of that form."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def redact_keys(text: str) -> str:
    """The text with anything shaped like an API key cut to its prefix (`lr_ab12cd34…`), for what is echoed or
    logged (paths, problem details): the prefix names the key, the rest is the secret."""
    return _KEY_LIKE.sub(lambda match: match[0][:KEY_PREFIX_LENGTH] + "…", text)
