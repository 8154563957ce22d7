"""Load-or-404 dependencies of campaigns."""

from typing import Annotated

from fastapi import Depends, Path

from app.campaigns import service
from app.core.db import SessionDep
from app.crud.conditional import conditional
from app.models import Campaign


async def load_campaign(
    session: SessionDep, campaign: Annotated[str, Path(description="Campaign id or slug.")]
) -> Campaign:
    return await service.get_campaign(session, campaign)


CampaignDep = Annotated[Campaign, Depends(load_campaign)]
CampaignItem = Annotated[Campaign, Depends(conditional(load_campaign))]
