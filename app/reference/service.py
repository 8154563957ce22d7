"""Reads of the reference tables: lists keyset-paginated by code, like every other list, and items."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import SQLModel

from app.core.crud import PageResult
from app.core.errors import NotFound
from app.core.listing import PageParams
from app.core.pagination import SortKey, cursor_values, next_cursor, seek
from app.core.text import slugify
from app.models import Region, Theme
from app.reference.data import region_code_for

SORT = "code"
"""The one order of a reference list; its cursors carry it, so a cursor of another list is refused."""


async def list_page(connection: AsyncConnection, model: type[SQLModel], params: PageParams) -> PageResult:
    """A page of a reference table in code order: the code is unique, so it is its own tie-breaker."""
    table: Any = model.__table__  # type: ignore[attr-defined]
    code = table.c.code
    key = SortKey(code)
    after = cursor_values(params.cursor, SORT, key, code) if params.cursor is not None else None
    stmt = seek(select(table), key, code, after).limit(params.limit + 1)
    rows = [dict(row) for row in (await connection.execute(stmt)).mappings()]
    total = None
    if params.include_total:
        total = (await connection.execute(select(func.count()).select_from(table))).scalar_one()
    return PageResult(
        rows=rows[: params.limit], next_cursor=next_cursor(rows, params.limit, key, SORT, id_key="code"), total=total
    )


async def get_region(session: AsyncSession, ident: str) -> Region:
    """A region by INSEE code or name."""
    code = region_code_for(ident)
    region = await session.get(Region, code) if code else None
    if region is None:
        raise NotFound(f"No region '{ident}'.")
    return region


async def get_theme(session: AsyncSession, code: str) -> Theme:
    """A theme by code, in any case and with or without accents."""
    theme = await session.get(Theme, slugify(code))
    if theme is None:
        raise NotFound(f"No theme '{code}'.")
    return theme
