"""Use cases of organizations."""

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.core import crud
from app.core.crud import Blocker, PageResult, Reference, ResourceSpec
from app.core.filters import Filter, compare, where
from app.core.pagination import sorts_for
from app.models import Allocation, Event, FundingStream, Lab, Organization, ProjectPartner, Region
from app.organizations.schemas import OrganizationCreate, OrganizationFilters, OrganizationRead

SPEC = ResourceSpec(
    model=Organization,
    noun="organization",
    sorts=sorts_for(Organization, "name"),
    default_sort="name",
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


FILTERS: tuple[Filter, ...] = (
    *crud.common(SPEC),
    compare("kind", SPEC.column("kind")),
    compare("region", SPEC.column("region_code")),
)


def filters(params: OrganizationFilters) -> list[ColumnElement[bool]]:
    """The conditions of the organization list's filters, for exports."""
    return where(FILTERS, params)


async def list_organizations(connection: AsyncConnection, params: OrganizationFilters) -> PageResult:
    query = params.list_query(params.sort)
    return await crud.list_page(connection, SPEC, FILTERS, params, query, OrganizationRead)


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
