"""HTTP routes of organizations."""

from fastapi import APIRouter, Request, Response

from app.core.db import SessionDep
from app.core.errors import error_responses
from app.core.schemas import Page, merge_patch
from app.crud.conditional import ItemRoute, created
from app.lists.fast import fast_list
from app.lists.params import LIST_EXPORTS
from app.lists.query import QueryModel
from app.models import Organization
from app.organizations import service
from app.organizations.dependencies import OrganizationItem
from app.organizations.schemas import OrganizationCreate, OrganizationFilters, OrganizationRead, OrganizationUpdate

router = APIRouter(route_class=ItemRoute, prefix="/organizations", tags=["organizations"])


@router.get("", response_model=Page[OrganizationRead], responses={**LIST_EXPORTS, **error_responses(400, 422)})
@fast_list(service.ORGANIZATIONS)
async def list_organizations(request: Request, params: QueryModel[OrganizationFilters]) -> Response:
    """List organizations, filtered and keyset-paginated."""
    return await service.ORGANIZATIONS.respond(request, params)


@router.post("", status_code=201, response_model=OrganizationRead, responses=error_responses(409, 422))
async def create_organization(
    session: SessionDep, request: Request, response: Response, body: OrganizationCreate
) -> Organization:
    """Create an organization; its slug is derived from the name unless given."""
    organization = await service.create_organization(session, body)
    created(request, response, organization, "get_organization", organization=str(organization.id))
    return organization


@router.get("/{organization}", response_model=OrganizationRead, responses=error_responses(404))
async def get_organization(organization: OrganizationItem) -> Organization:
    """Read one organization, by id or slug."""
    return organization


@router.patch("/{organization}", response_model=OrganizationRead, responses=error_responses(404, 409, 422))
async def update_organization(
    session: SessionDep,
    organization: OrganizationItem,
    body: OrganizationUpdate,  # type: ignore[valid-type]
) -> Organization:
    """Change some fields of an organization (JSON merge patch: `null` clears a field)."""
    return await service.replace_organization(
        session, organization, merge_patch(OrganizationCreate, organization, body)
    )


@router.put("/{organization}", response_model=OrganizationRead, responses=error_responses(404, 409, 422))
async def replace_organization(
    session: SessionDep, organization: OrganizationItem, body: OrganizationCreate
) -> Organization:
    """Replace an organization with a full representation; omitted optional fields are cleared."""
    return await service.replace_organization(session, organization, body)


@router.delete("/{organization}", status_code=204, responses=error_responses(404, 409))
async def delete_organization(session: SessionDep, organization: OrganizationItem) -> None:
    """Delete an organization; refused (409) while labs, streams, allocations, projects or events name it."""
    await service.delete_organization(session, organization)
