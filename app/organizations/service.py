"""Use cases of organizations."""

from sqlalchemy.ext.asyncio import AsyncSession

from app import crud
from app.auth import permissions
from app.auth.permissions import Area
from app.crud import Blocker, Reference, ResourceSpec
from app.lists.filters import common, compare
from app.lists.listing import Listing
from app.models import Allocation, Event, FundingStream, Lab, Organization, ProjectPartner, Region
from app.organizations.schemas import OrganizationCreate, OrganizationFilters, OrganizationRead

SPEC = ResourceSpec(
    model=Organization,
    guard=permissions.guard(Area.organizations, "organization"),
    noun="organization",
    slug_field="slug",
    slug_source="name",
    search_fields=("name", "siret", "rna"),
    unique_fields=("slug", "external_id", "siret"),
    references={"region_code": Reference(Region, "region")},
    blockers=(
        Blocker("hosted labs", Lab.host_organization_id),  # type: ignore[arg-type]
        Blocker("managed funding streams", FundingStream.managing_organization_id),  # type: ignore[arg-type]
        Blocker("allocations", Allocation.organization_id),  # type: ignore[arg-type]
        Blocker("project partnerships", ProjectPartner.organization_id),  # type: ignore[arg-type]
        Blocker("organized events", Event.organizer_organization_id),  # type: ignore[arg-type]
    ),
)


ORGANIZATIONS = Listing(
    "organizations",
    SPEC.table,
    OrganizationRead,
    OrganizationFilters,
    (*common(SPEC.table), compare("kind", SPEC.column("kind")), compare("region", SPEC.column("region_code"))),
)


async def get_organization(session: AsyncSession, ident: str) -> Organization:
    return await crud.get(session, SPEC, ident)


async def create_organization(session: AsyncSession, data: OrganizationCreate) -> Organization:
    return await crud.insert(session, SPEC, data.model_dump())


async def replace_organization(
    session: AsyncSession, organization: Organization, data: OrganizationCreate
) -> Organization:
    return await crud.update(session, SPEC, organization, data.model_dump())


async def delete_organization(session: AsyncSession, organization: Organization) -> None:
    """Refused while labs, funding streams, allocations, project partnerships or events still name it."""
    await crud.delete(session, SPEC, organization)
