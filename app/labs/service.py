"""Use cases of labs."""

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.core import crud
from app.core.crud import Blocker, PageResult, Reference, ResourceSpec
from app.core.filters import Filter, compare, where
from app.core.pagination import sorts_for
from app.labs.schemas import LabCreate, LabFilters, LabRead
from app.models import Allocation, Event, Lab, Organization, Project, Region

SPEC = ResourceSpec(
    model=Lab,
    noun="lab",
    sorts=sorts_for(Lab, "name"),
    default_sort="name",
    slug_field="slug",
    slug_source="name",
    search_fields=("name", "city", "description"),
    unique_fields=("slug", "external_id"),
    references={
        "region_code": Reference(Region, "region"),
        "host_organization_id": Reference(Organization, "organization"),
    },
    blockers=(
        Blocker("projects", Project.lab_id),  # type: ignore[arg-type]
        Blocker("events", Event.lab_id),  # type: ignore[arg-type]
        Blocker("allocations", Allocation.lab_id),  # type: ignore[arg-type]
    ),
)


FILTERS: tuple[Filter, ...] = (
    *crud.common(SPEC),
    compare("region", SPEC.column("region_code")),
    compare("status", SPEC.column("status")),
    crud.reference("host", SPEC.column("host_organization_id"), Organization),
)


def filters(params: LabFilters) -> list[ColumnElement[bool]]:
    """The conditions of the lab list's filters, for exports."""
    return where(FILTERS, params)


async def list_labs(connection: AsyncConnection, params: LabFilters) -> PageResult:
    return await crud.list_page(connection, SPEC, FILTERS, params, params.list_query(params.sort), LabRead)


async def get_lab(session: AsyncSession, ident: str) -> Lab:
    return await crud.get(session, SPEC, ident)


async def create_lab(session: AsyncSession, data: LabCreate) -> Lab:
    return await crud.insert(session, SPEC, data.model_dump())


async def replace_lab(session: AsyncSession, lab: Lab, data: LabCreate) -> Lab:
    return await crud.update(session, SPEC, lab, data.model_dump())


async def delete_lab(session: AsyncSession, lab: Lab) -> None:
    """Refused while projects, events or allocations still name the lab."""
    await crud.delete(session, SPEC, lab)
