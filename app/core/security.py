"""Who is acting: the caller a request resolves to, and the bearer token it presents."""

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """Anonymous, or the API key a request presents: its id, name, prefix and scopes."""

    key_id: uuid.UUID | None = None
    name: str = "anonymous"
    prefix: str | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def actor(self) -> str:
        """How histories and the audit trail name the caller."""
        return self.name

    def holds(self, scope: str) -> bool:
        return scope in self.scopes


ANONYMOUS = Caller()
CALLER_STATE = "caller"
"""The request state's attribute the resolved caller is kept under."""


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (the scheme in any case), None when the header is
    not of that form."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
