"""Issuing, listing, revoking and checking API keys.

A key is `lr_` + 43 URL-safe characters (256 random bits). Only its SHA-256 is stored: a slow password hash
adds nothing for secrets of that entropy, and a fast one keeps every request cheap. The row is found by the
key's prefix and the hashes compared in constant time. A key creates only keys within its own rights
(`beyond_issuer`); the CLI is the root of trust.
"""

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, or_, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from app.audit import trail
from app.auth.schemas import ApiKeyRead, BoundLab, Scope
from app.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from app.core.security import KEY_PREFIX, Caller, redact_keys
from app.core.security import KEY_PREFIX_LENGTH as _PREFIX_LENGTH
from app.core.text import parse_uuid
from app.lists.reads import fetch_bound
from app.models import Lab
from app.models.auth import ApiKey, ApiKeyLab
from app.models.base import utcnow

_KEY_SHAPE = re.compile(re.escape(KEY_PREFIX) + "[A-Za-z0-9_-]{43}")
"""A key: the prefix, then 256 random bits in URL-safe base64 (`secrets.token_urlsafe(32)`)."""
# Serializes the creations that check a name is free (PostgreSQL; SQLite's write lock does it already).
_KEY_NAMES_LOCK = 0x4C52_4B45_59  # "LRKEY"
# last_used_at is written at most this often per key, so reads do not turn into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_key(token: str) -> bool:
    """Shape check before any query: the prefix, then 43 URL-safe base64 characters."""
    return _KEY_SHAPE.fullmatch(token) is not None


def _audit(session: AsyncSession, action: str, row: ApiKey, before: dict[str, Any], after: dict[str, Any]) -> None:
    trail.record(
        session, action=action, entity_type="api_key", entity_id=row.id, version=None, before=before, after=after
    )


def beyond_issuer(
    issuer: Caller, *, scopes: Collection[Scope], expires_at: datetime | None, labs: Collection[uuid.UUID] | None
) -> list[str]:
    """What a new key would hold that the key creating it does not (empty when nothing): a key hands on only
    scopes it has, no time beyond its own expiry, and, bound to labs, only those labs."""
    reasons = []
    missing = sorted({Scope(s).value for s in scopes} - set(issuer.scopes))
    if missing:
        reasons.append(f"it lacks the scope{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    if issuer.expires_at is not None and (expires_at is None or expires_at > issuer.expires_at):
        reasons.append(f"it expires at {issuer.expires_at.isoformat()}, so the new key must expire by then")
    if issuer.labs is not None and (labs is None or not set(labs) <= issuer.labs):
        reasons.append("it is bound to labs, so the new key must be bound to some of them")
    return reasons


async def lab_ids(session: AsyncSession, idents: Sequence[str]) -> list[uuid.UUID]:
    """The labs named by id or slug, in order; 422 naming those that name none."""
    table = Lab.__table__  # type: ignore[attr-defined]
    ids = [parse_uuid(ident) for ident in idents]
    rows = await session.execute(
        select(table.c.id, table.c.slug).where(
            or_(table.c.id.in_([i for i in ids if i is not None]), table.c.slug.in_(idents))
        )
    )
    found = {key: lab_id for lab_id, slug in rows.all() for key in (str(lab_id), slug)}
    unknown = [ident for ident, as_id in zip(idents, ids, strict=True) if str(as_id or ident) not in found]
    if unknown:
        raise InvalidInput(
            [FieldError(loc=["body", "labs"], msg=f"no lab '{ident}'", type="reference_not_found") for ident in unknown]
        )
    return list(dict.fromkeys(found[str(as_id or ident)] for ident, as_id in zip(idents, ids, strict=True)))


async def read_keys(session: AsyncSession, rows: Sequence[ApiKey]) -> list[ApiKeyRead]:
    """Keys as the API shows them, each with the labs it is bound to (one query for all)."""
    links = ApiKeyLab.__table__  # type: ignore[attr-defined]
    labs = Lab.__table__  # type: ignore[attr-defined]
    stmt = (
        select(links.c.api_key_id, labs.c.id, labs.c.slug, labs.c.name)
        .join(labs, labs.c.id == links.c.lab_id)
        .where(links.c.api_key_id.in_([row.id for row in rows]))
        .order_by(labs.c.slug)
    )
    bound: dict[uuid.UUID, list[BoundLab]] = {}
    for key_id, lab_id, slug, name in (await session.execute(stmt)).all():
        bound.setdefault(key_id, []).append(BoundLab(id=lab_id, slug=slug, name=name))
    fields = [name for name in ApiKeyRead.model_fields if name != "labs"]
    return [
        ApiKeyRead.model_validate({**{name: getattr(row, name) for name in fields}, "labs": bound.get(row.id)})
        for row in rows
    ]


async def _name_taken(session: AsyncSession, name: str) -> bool:
    """A live key (neither revoked nor expired) has this name, case aside; waits for any other creation."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _KEY_NAMES_LOCK})
    table = ApiKey.__table__  # type: ignore[attr-defined]
    rows = await session.execute(select(table.c.name, table.c.expires_at).where(table.c.revoked_at.is_(None)))
    now = utcnow()
    return any(row.name.casefold() == name.casefold() and _active(None, row.expires_at, now) for row in rows)


async def create_key(
    session: AsyncSession,
    *,
    name: str,
    scopes: Sequence[Scope],
    expires_at: datetime | None,
    labs: Sequence[str] | None = None,
    issuer: Caller | None = None,
) -> tuple[ApiKey, str]:
    """A new key row and the key itself, which the caller shows once; `labs` (ids or slugs) bind it.

    `issuer` is the key asking (403 beyond its rights, see `beyond_issuer`); None for the CLI. The name must
    be free among live keys (409).
    """
    bound = None if labs is None else await lab_ids(session, labs)
    if issuer is not None and (reasons := beyond_issuer(issuer, scopes=scopes, expires_at=expires_at, labs=bound)):
        raise Forbidden(f"The API key {issuer.actor} may create keys only within its own rights: {'; '.join(reasons)}.")
    if await _name_taken(session, name):
        raise Conflict(f"A live API key is already named {name!r}: choose another name, or revoke that key first.")
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
    for lab_id in bound or ():
        session.add(ApiKeyLab(api_key_id=row.id, lab_id=lab_id))
    await session.flush()
    _audit(session, "create", row, {}, {**trail.state(row), "labs": [str(lab_id) for lab_id in bound or ()]})
    return row, key


async def list_keys(session: AsyncSession) -> list[ApiKeyRead]:
    rows = (await session.execute(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id)))).scalars().all()
    return await read_keys(session, rows)


async def get_key(session: AsyncSession, ident: str) -> ApiKey:
    """A key by id, by its prefix (as printed by `list-api-keys`) or by the key itself (found by its hash)."""
    if looks_like_key(ident):
        row = await _by_token(session, ident)
        if row is None:
            raise NotFound("No API key is this key.")
        return row
    try:
        clause = col(ApiKey.id) == uuid.UUID(ident)
    except ValueError:
        clause = col(ApiKey.prefix) == ident
    row = (await session.execute(select(ApiKey).where(clause))).scalars().first()
    if row is None:
        raise NotFound(f"No API key '{redact_keys(ident)}'.")
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


async def _by_token(session: AsyncSession, token: str) -> ApiKey | None:
    """The row a well-formed key is, whatever its state: found by prefix, its hash compared in constant time."""
    candidates = (await session.execute(select(ApiKey).where(col(ApiKey.prefix) == token[:_PREFIX_LENGTH]))).scalars()
    digest = _hash(token)
    return next((row for row in candidates if hmac.compare_digest(row.key_hash, digest)), None)


_KEYS_BY_PREFIX = "api keys by prefix"


def _keys_by_prefix() -> Select[Any]:
    table = ApiKey.__table__  # type: ignore[attr-defined]
    links = ApiKeyLab.__table__  # type: ignore[attr-defined]
    columns = (
        table.c.id,
        table.c.name,
        table.c.prefix,
        table.c.scopes,
        table.c.key_hash,
        table.c.revoked_at,
        table.c.expires_at,
        table.c.last_used_at,
        links.c.lab_id,
    )
    joined = table.outerjoin(links, links.c.api_key_id == table.c.id)
    return select(*columns).select_from(joined).where(table.c.prefix == bindparam("prefix"))


async def find_caller(connection: AsyncConnection, token: str) -> Caller | None:
    """The unrevoked, unexpired key a token is, as a caller, or None; its use is stamped at most once a minute,
    and committed: `connection` is one of the caller's own, outside any request's transaction."""
    if not looks_like_key(token):
        return None
    prefix = {"prefix": token[:_PREFIX_LENGTH]}
    candidates = await fetch_bound(connection, _KEYS_BY_PREFIX, _keys_by_prefix, prefix, typed=True)
    digest = _hash(token)
    now = utcnow()
    # One row per lab the key is bound to (one with a null lab when it is bound to none).
    rows = [row for row in candidates if hmac.compare_digest(row["key_hash"], digest)]
    if not rows:
        return None
    row = rows[0]
    if not _active(row["revoked_at"], row["expires_at"], now):
        return None
    if not _stamped(row["last_used_at"], now):
        await _stamp(connection, row["id"], now)
    labs = frozenset(r["lab_id"] for r in rows if r["lab_id"] is not None) or None
    return Caller(row["id"], row["name"], row["prefix"], frozenset(row["scopes"]), row["expires_at"], labs)


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
