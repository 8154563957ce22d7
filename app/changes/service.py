"""Reading the feed: audit entries with a `seq`, after the cursor, in `seq` (commit) order.

Why nothing is ever skipped: `seq` is numbered at commit time under a lock held until the commit is visible
(see `app.audit.trail`), so when a reader sees seq N it already sees every committed seq below N. A follower
that resumes after the last seq it processed therefore misses nothing, whatever order transactions began or
inserted in. Entries without a `seq` are those of transactions still open, which no reader can see anyway.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.changes.schemas import ChangeFilters, EntityType
from app.core.errors import BadRequest, FieldError, Forbidden, InvalidInput
from app.core.security import Caller
from app.models.audit import AuditEntry
from app.publication.visibility import Sight, sight

_TABLE = AuditEntry.__table__  # type: ignore[attr-defined]
PUBLIC = Sight(False)
"""The public feed: what is published, as a follower's copy should hold it."""
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


def _private_action(row: Any) -> str:
    """A write as those who see drafts see it: a move to `submitted` (the moderation queue) is named so."""
    moved = row.changes.get("publication") if row.action == "update" else None
    return "submitted" if moved is not None and moved[1] == "submitted" else str(row.action)


def as_change(row: Any, public: bool) -> dict[str, Any]:
    """A feed entry from an audit row: deletes and unpublishings carry a tombstone rather than the last state."""
    action = row.public_action if public or row.public_action is not None else _private_action(row)
    if action in ("delete", "unpublish"):
        data = {"id": str(row.entity_id), "deleted" if action == "delete" else "unpublished": True}
    else:
        data = row.data
    return {
        "seq": row.seq,
        "at": row.at,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "action": action,
        "version": row.version,
        "data": data,
    }


async def read_after(
    session: AsyncSession, after: int, limit: int, types: Sequence[str] = FEED_TYPES, seen: Sight = PUBLIC
) -> list[dict[str, Any]]:
    """Up to `limit` changes with a seq above `after`, of the given entity types, oldest first: the public feed,
    or with `seen` the drafts' writes too (all of them, or some labs')."""
    c = _TABLE.c
    shown = c.public_action.is_not(None)
    if seen.everything:
        shown = true()
    elif seen.labs:
        shown = or_(shown, c.lab_id.in_(sorted(seen.labs)))
    stmt = (
        select(c.seq, c.at, c.entity_type, c.entity_id, c.action, c.public_action, c.changes, c.version, c.data)
        .where(c.seq > after, c.entity_type.in_(types), shown)
        .order_by(c.seq)
        .limit(limit)
    )
    return [as_change(row, seen.nothing) for row in (await session.execute(stmt)).all()]


def sight_asked(caller: Caller, asked: str | None) -> Sight:
    """The drafts a reader of the feed sees: none, unless it asks (`publication=any`) and may."""
    if asked is None:
        return PUBLIC
    seen = sight(caller)
    if seen.nothing:
        raise Forbidden("Only a key that may see unpublished rows (`write` or `publish`) reads their changes.")
    return seen


async def list_changes(
    session: AsyncSession, params: ChangeFilters, caller: Caller
) -> tuple[list[dict[str, Any]], str, bool]:
    """A page of the feed, the cursor after it, and whether the page was full (more may follow at once)."""
    after = parse_cursor(params.since)
    seen = sight_asked(caller, params.publication)
    items = await read_after(session, after, params.limit, parse_types(params.types), seen)
    cursor = str(items[-1]["seq"]) if items else str(after)
    return items, cursor, len(items) == params.limit
