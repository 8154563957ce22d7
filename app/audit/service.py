"""Reading the audit trail (writing it is `app.audit.trail`, inside every write's transaction)."""

import uuid

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.schemas import AuditFilters
from app.lists.pages import PageResult
from app.lists.pagination import SortKey, cursor_values, next_cursor, seek
from app.models.audit import AuditEntry

_TABLE = AuditEntry.__table__  # type: ignore[attr-defined]
SORTS = {"id": SortKey(_TABLE.c.id), "-id": SortKey(_TABLE.c.id, descending=True)}


def _filters(params: AuditFilters) -> list[ColumnElement[bool]]:
    c = _TABLE.c
    where: list[ColumnElement[bool]] = []
    if params.entity_type:
        where.append(c.entity_type == params.entity_type)
    if params.entity_id:
        where.append(c.entity_id == params.entity_id)
    if params.actor:
        try:
            where.append(or_(c.actor == params.actor, c.actor_key_id == uuid.UUID(params.actor)))
        except ValueError:
            where.append(c.actor == params.actor)
    if params.action:
        where.append(c.action == params.action)
    if params.since:
        where.append(c.at >= params.since)
    return where


async def list_entries(session: AsyncSession, params: AuditFilters) -> PageResult:
    """A keyset page of the trail: the id is the position, so a deep page is one index seek."""
    key = SORTS[params.sort]
    after = None if params.cursor is None else cursor_values(params.cursor, params.sort, key, _TABLE.c.id)
    stmt = seek(select(_TABLE).where(*_filters(params)), key, _TABLE.c.id, after)
    rows = (await session.execute(stmt.limit(params.limit + 1))).mappings().all()
    return PageResult(
        rows=rows[: params.limit], next_cursor=next_cursor(rows, params.limit, key, params.sort), total=None
    )
