"""Issuing, listing, revoking and checking API keys.

A key is `lr_` + 43 URL-safe characters (256 random bits). Only its SHA-256 is stored: a slow password hash
adds nothing for secrets of that entropy, and a fast one keeps every request cheap. The row is found by the
key's prefix and the hashes compared in constant time.
"""

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from app.audit import trail
from app.auth.schemas import Scope
from app.core.errors import NotFound
from app.core.security import Caller
from app.lists.reads import fetch_bound
from app.models.auth import ApiKey
from app.models.base import utcnow

KEY_PREFIX = "lr_"
_PREFIX_LENGTH = len(KEY_PREFIX) + 8
_KEY_LENGTH = len(KEY_PREFIX) + 43
# last_used_at is written at most this often per key, so reads do not turn into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_key(token: str) -> bool:
    """Shape check before any query: the prefix, the length, URL-safe base64 characters."""
    body = token[len(KEY_PREFIX) :]
    return (
        token.startswith(KEY_PREFIX)
        and len(token) == _KEY_LENGTH
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in body)
    )


def _audit(session: AsyncSession, action: str, row: ApiKey, before: dict[str, Any], after: dict[str, Any]) -> None:
    trail.record(
        session, action=action, entity_type="api_key", entity_id=row.id, version=None, before=before, after=after
    )


async def create_key(
    session: AsyncSession, *, name: str, scopes: Sequence[Scope], expires_at: datetime | None
) -> tuple[ApiKey, str]:
    """A new key row and the key itself, which the caller shows once."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        prefix=key[:_PREFIX_LENGTH],
        key_hash=_hash(key),
        scopes=sorted({Scope(s).value for s in scopes}),
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    _audit(session, "create", row, {}, trail.state(row))
    return row, key


async def list_keys(session: AsyncSession) -> Sequence[ApiKey]:
    return (await session.execute(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id)))).scalars().all()


async def get_key(session: AsyncSession, ident: str) -> ApiKey:
    """A key by id or by its prefix (as printed by `list-api-keys`)."""
    try:
        clause = col(ApiKey.id) == uuid.UUID(ident)
    except ValueError:
        clause = col(ApiKey.prefix) == ident
    row = (await session.execute(select(ApiKey).where(clause))).scalars().first()
    if row is None:
        raise NotFound(f"No API key '{ident}'.")
    return row


async def revoke_key(session: AsyncSession, row: ApiKey) -> ApiKey:
    """Revoking is final and keeps the row, so the audit trail can still name the key."""
    if row.revoked_at is None:
        before = trail.state(row)
        row.revoked_at = utcnow()
        await session.flush()
        _audit(session, "update", row, before, trail.state(row))
    return row


def _active(revoked_at: datetime | None, expires_at: datetime | None, now: datetime) -> bool:
    """Neither revoked nor expired."""
    return revoked_at is None and (expires_at is None or expires_at > now)


def _stamped(last_used_at: datetime | None, now: datetime) -> bool:
    """Its last use is recent enough not to be written again."""
    return last_used_at is not None and now - last_used_at < LAST_USED_RESOLUTION


_KEYS_BY_PREFIX = "api keys by prefix"


def _keys_by_prefix() -> Select[Any]:
    table = ApiKey.__table__  # type: ignore[attr-defined]
    columns = (
        table.c.id,
        table.c.name,
        table.c.prefix,
        table.c.scopes,
        table.c.key_hash,
        table.c.revoked_at,
        table.c.expires_at,
        table.c.last_used_at,
    )
    return select(*columns).where(table.c.prefix == bindparam("prefix"))


async def find_caller(connection: AsyncConnection, token: str) -> Caller | None:
    """The unrevoked, unexpired key a token is, as a caller, or None; its use is stamped at most once a minute,
    and committed: `connection` is one of the caller's own, outside any request's transaction."""
    if not looks_like_key(token):
        return None
    prefix = {"prefix": token[:_PREFIX_LENGTH]}
    candidates = await fetch_bound(connection, _KEYS_BY_PREFIX, _keys_by_prefix, prefix, typed=True)
    digest = _hash(token)
    now = utcnow()
    for row in candidates:
        if not hmac.compare_digest(row["key_hash"], digest):
            continue
        if not _active(row["revoked_at"], row["expires_at"], now):
            return None
        if not _stamped(row["last_used_at"], now):
            await _stamp(connection, row["id"], now)
        return Caller(row["id"], row["name"], row["prefix"], frozenset(row["scopes"]))
    return None


async def _stamp(connection: AsyncConnection, key_id: uuid.UUID, now: datetime) -> None:
    """Record the key's use, in a statement of its own. On SQLite, a write lock held elsewhere (an import)
    skips the stamp rather than making a read wait for it: the stamp only says roughly when a key was used."""
    table = ApiKey.__table__  # type: ignore[attr-defined]
    stamp = update(table).where(table.c.id == key_id).values(last_used_at=now)
    if connection.dialect.name != "sqlite":
        await connection.execute(stamp)
        await connection.commit()
        return
    waits = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
    await connection.exec_driver_sql("PRAGMA busy_timeout = 0")
    try:
        await connection.execute(stamp)
        await connection.commit()
    except OperationalError:
        await connection.rollback()
    finally:
        await connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(waits)}")
