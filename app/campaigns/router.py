"""HTTP routes of campaigns."""

from fastapi import APIRouter, Request, Response

from app.campaigns import service
from app.campaigns.dependencies import CampaignItem
from app.campaigns.schemas import CampaignCreate, CampaignFilters, CampaignRead, CampaignUpdate
from app.core.db import SessionDep
from app.core.errors import error_responses
from app.core.schemas import Page, merge_patch
from app.crud.conditional import ItemRoute, created
from app.lists.fast import fast_list
from app.lists.params import LIST_EXPORTS
from app.lists.query import QueryModel
from app.models import Campaign

router = APIRouter(route_class=ItemRoute, prefix="/campaigns", tags=["campaigns"])


@router.get("", response_model=Page[CampaignRead], responses={**LIST_EXPORTS, **error_responses(400, 422)})
@fast_list(service.CAMPAIGNS)
async def list_campaigns(request: Request, params: QueryModel[CampaignFilters]) -> Response:
    """List campaigns, filtered and keyset-paginated."""
    return await service.CAMPAIGNS.respond(request, params)


@router.post("", status_code=201, response_model=CampaignRead, responses=error_responses(409, 422))
async def create_campaign(session: SessionDep, request: Request, response: Response, body: CampaignCreate) -> Campaign:
    """Create a campaign; its slug is derived from the name unless given."""
    campaign = await service.create_campaign(session, body)
    created(request, response, campaign, "get_campaign", campaign=str(campaign.id))
    return campaign


@router.get("/{campaign}", response_model=CampaignRead, responses=error_responses(404))
async def get_campaign(campaign: CampaignItem) -> Campaign:
    """Read one campaign, by id or slug."""
    return campaign


@router.patch("/{campaign}", response_model=CampaignRead, responses=error_responses(404, 409, 422))
async def update_campaign(session: SessionDep, campaign: CampaignItem, body: CampaignUpdate) -> Campaign:  # type: ignore[valid-type]
    """Change some fields of a campaign (JSON merge patch: `null` clears a field); new dates that would leave some
    of its events outside are refused (409, naming how many)."""
    return await service.replace_campaign(session, campaign, merge_patch(CampaignCreate, campaign, body))


@router.put("/{campaign}", response_model=CampaignRead, responses=error_responses(404, 409, 422))
async def replace_campaign(session: SessionDep, campaign: CampaignItem, body: CampaignCreate) -> Campaign:
    """Replace a campaign with a full representation; omitted optional fields are cleared. New dates that would
    leave some of its events outside are refused (409, naming how many)."""
    return await service.replace_campaign(session, campaign, body)


@router.delete("/{campaign}", status_code=204, responses=error_responses(404, 409))
async def delete_campaign(session: SessionDep, campaign: CampaignItem) -> None:
    """Delete a campaign; refused (409) while events belong to it."""
    await service.delete_campaign(session, campaign)
