"""Reading the feed: audit entries with a `seq`, after the cursor, in `seq` (commit) order.

Why nothing is ever skipped: `seq` is numbered at commit time under a lock held until the commit is visible
(see `app.audit.trail`), so when a reader sees seq N it already sees every committed seq below N. A follower
that resumes after the last seq it processed therefore misses nothing, whatever order transactions began or
inserted in. Entries without a `seq` are those of transactions still open, which no reader can see anyway.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.changes.schemas import ChangeFilters, EntityType
from app.core.errors import BadRequest, FieldError, InvalidInput
from app.models.audit import AuditEntry

_TABLE = AuditEntry.__table__  # type: ignore[attr-defined]
FEED_TYPES = tuple(t.value for t in EntityType)
_MAX_SEQ = 2**63 - 1


def parse_cursor(cursor: str | None) -> int:
    """The seq a cursor stands for; 400 when it is not one (also past 64 bits, which no column can bind)."""
    if cursor is None:
        return 0
    if not cursor.isascii() or not cursor.isdigit() or int(cursor) > _MAX_SEQ:
        raise BadRequest("The cursor is not valid: give the `next_cursor` of a previous page, or none.")
    return int(cursor)


def parse_types(types: str | None) -> tuple[str, ...]:
    """The entity types asked for; 422 naming the unknown ones."""
    if not types:
        return FEED_TYPES
    asked = tuple(dict.fromkeys(part.strip() for part in types.split(",") if part.strip()))
    unknown = [name for name in asked if name not in FEED_TYPES]
    if unknown or not asked:
        raise InvalidInput(
            [
                FieldError(
                    loc=["query", "types"],
                    msg=f"unknown entity type(s) {', '.join(unknown)}; known: {', '.join(FEED_TYPES)}",
                    type="value_error",
                )
            ]
        )
    return asked


def as_change(row: Any) -> dict[str, Any]:
    """A feed entry from an audit row: deletes carry a tombstone rather than the last state."""
    data = {"id": str(row.entity_id), "deleted": True} if row.action == "delete" else row.data
    return {
        "seq": row.seq,
        "at": row.at,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "action": row.action,
        "version": row.version,
        "data": data,
    }


async def read_after(
    session: AsyncSession, after: int, limit: int, types: Sequence[str] = FEED_TYPES
) -> list[dict[str, Any]]:
    """Up to `limit` changes with a seq above `after`, of the given entity types, oldest first."""
    c = _TABLE.c
    stmt = (
        select(c.seq, c.at, c.entity_type, c.entity_id, c.action, c.version, c.data)
        .where(c.seq > after, c.entity_type.in_(types))
        .order_by(c.seq)
        .limit(limit)
    )
    return [as_change(row) for row in (await session.execute(stmt)).all()]


async def list_changes(session: AsyncSession, params: ChangeFilters) -> tuple[list[dict[str, Any]], str, bool]:
    """A page of the feed, the cursor after it, and whether the page was full (more may follow at once)."""
    after = parse_cursor(params.since)
    items = await read_after(session, after, params.limit, parse_types(params.types))
    cursor = str(items[-1]["seq"]) if items else str(after)
    return items, cursor, len(items) == params.limit
