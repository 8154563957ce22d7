"""Reads of the reference tables."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.core.text import slugify
from app.models import EventFormat, Region, Theme
from app.reference.data import region_code_for


async def list_regions(session: AsyncSession) -> Sequence[Region]:
    return (await session.execute(select(Region).order_by(Region.code))).scalars().all()


async def get_region(session: AsyncSession, ident: str) -> Region:
    """A region by INSEE code or name."""
    code = region_code_for(ident)
    region = await session.get(Region, code) if code else None
    if region is None:
        raise NotFound(f"No region '{ident}'.")
    return region


async def list_themes(session: AsyncSession) -> Sequence[Theme]:
    return (await session.execute(select(Theme).order_by(Theme.code))).scalars().all()


async def get_theme(session: AsyncSession, code: str) -> Theme:
    """A theme by code, in any case and with or without accents."""
    theme = await session.get(Theme, slugify(code))
    if theme is None:
        raise NotFound(f"No theme '{code}'.")
    return theme


async def list_event_formats(session: AsyncSession) -> Sequence[EventFormat]:
    return (await session.execute(select(EventFormat).order_by(EventFormat.code))).scalars().all()
