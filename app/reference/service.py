"""Reads of the reference tables: lists keyset-paginated by code, like every other list, and items."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.core.text import slugify
from app.lists.filters import table_of
from app.lists.listing import Listing
from app.models import EventFormat, Region, Theme
from app.reference.data import region_code_for
from app.reference.schemas import EventFormatRead, ReferenceParams, RegionRead, ThemeRead

# In code order: the code is unique, so it is its own tie-breaker.
REGIONS = Listing("regions", table_of(Region), RegionRead, ReferenceParams, (), tie="code")
THEMES = Listing("themes", table_of(Theme), ThemeRead, ReferenceParams, (), tie="code")
EVENT_FORMATS = Listing("event-formats", table_of(EventFormat), EventFormatRead, ReferenceParams, (), tie="code")


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
