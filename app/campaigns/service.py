"""Use cases of campaigns."""

import operator
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import crud
from app.auth import permissions
from app.auth.permissions import Area
from app.campaigns import rules
from app.campaigns.schemas import CampaignCreate, CampaignFilters, CampaignRead
from app.core.errors import Conflict
from app.crud import Blocker, ResourceSpec
from app.lists.filters import common, compare
from app.lists.listing import Listing
from app.models import Campaign, Event

SPEC = ResourceSpec(
    model=Campaign,
    guard=permissions.guard(Area.campaigns, "campaign"),
    noun="campaign",
    slug_field="slug",
    slug_source="name",
    search_fields=("name", "description"),
    unique_fields=("slug", "external_id"),
    blockers=(Blocker("events", Event.campaign_id),),  # type: ignore[arg-type]
)


CAMPAIGNS = Listing(
    "campaigns",
    SPEC.table,
    CampaignRead,
    CampaignFilters,
    (
        *common(SPEC.table),
        compare("starts_after", SPEC.column("starts_on"), operator.ge),
        compare("starts_before", SPEC.column("starts_on"), operator.lt),
    ),
)


async def get_campaign(session: AsyncSession, ident: str) -> Campaign:
    return await crud.get(session, SPEC, ident)


async def create_campaign(session: AsyncSession, data: CampaignCreate) -> Campaign:
    return await crud.insert(session, SPEC, data.model_dump())


async def replace_campaign(session: AsyncSession, campaign: Campaign, data: CampaignCreate) -> Campaign:
    """New dates are refused (409) while events of the campaign would lie outside them."""
    if (data.starts_on, data.ends_on) != (campaign.starts_on, campaign.ends_on):
        outside = await outside_campaign(session, campaign, data.starts_on, data.ends_on)
        refusal = rules.campaign_change_refusal(campaign.slug, data.starts_on, data.ends_on, outside)
        if refusal is not None:
            raise Conflict(refusal)
    return await crud.update(session, SPEC, campaign, data.model_dump())


async def outside_campaign(session: AsyncSession, campaign: Campaign, starts_on: date, ends_on: date) -> int:
    """How many of the campaign's events would lie outside these dates (`rules.campaign_refusal`)."""
    events = Event.__table__  # type: ignore[attr-defined]
    stmt = select(events.c.starts_at, events.c.ends_at, events.c.timezone).where(events.c.campaign_id == campaign.id)
    return sum(
        rules.campaign_refusal([(starts_at, ends_at)], ZoneInfo(zone), campaign.slug, starts_on, ends_on) is not None
        for starts_at, ends_at, zone in (await session.execute(stmt)).all()
    )


async def delete_campaign(session: AsyncSession, campaign: Campaign) -> None:
    """Refused while events belong to the campaign: its figures would silently change."""
    await crud.delete(session, SPEC, campaign)
