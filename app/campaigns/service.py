"""Use cases of campaigns."""

import operator

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.campaigns.schemas import CampaignCreate, CampaignFilters, CampaignRead
from app.core import crud
from app.core.crud import Blocker, PageResult, ResourceSpec
from app.core.filters import Filter, compare, where
from app.core.pagination import sorts_for
from app.models import Campaign, Event

SPEC = ResourceSpec(
    model=Campaign,
    noun="campaign",
    sorts=sorts_for(Campaign, "name", "starts_on"),
    default_sort="name",
    slug_field="slug",
    slug_source="name",
    search_fields=("name", "description"),
    unique_fields=("slug", "external_id"),
    blockers=(Blocker("events", Event.campaign_id),),  # type: ignore[arg-type]
)


FILTERS: tuple[Filter, ...] = (
    *crud.common(SPEC),
    compare("starts_after", SPEC.column("starts_on"), operator.ge),
    compare("starts_before", SPEC.column("starts_on"), operator.lt),
)


def filters(params: CampaignFilters) -> list[ColumnElement[bool]]:
    """The conditions of the campaign list's filters, for exports."""
    return where(FILTERS, params)


async def list_campaigns(connection: AsyncConnection, params: CampaignFilters) -> PageResult:
    return await crud.list_page(connection, SPEC, FILTERS, params, params.list_query(params.sort), CampaignRead)


async def get_campaign(session: AsyncSession, ident: str) -> Campaign:
    return await crud.get(session, SPEC, ident)


async def create_campaign(session: AsyncSession, data: CampaignCreate) -> Campaign:
    return await crud.insert(session, SPEC, data.model_dump())


async def replace_campaign(session: AsyncSession, campaign: Campaign, data: CampaignCreate) -> Campaign:
    return await crud.update(session, SPEC, campaign, data.model_dump())


async def delete_campaign(session: AsyncSession, campaign: Campaign) -> None:
    """Refused while events belong to the campaign: its figures would silently change."""
    await crud.delete(session, SPEC, campaign)
