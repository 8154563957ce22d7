"""Use cases of labs."""

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app import crud
from app.auth import permissions
from app.auth.permissions import Area
from app.core.errors import InvalidInput
from app.core.security import Caller
from app.crud import Blocker, Reference, ResourceSpec
from app.exports.geojson import feature_collection, point
from app.labs import rules
from app.labs.schemas import LabCreate, LabFilters, LabRead
from app.lists.filters import common, compare, reference
from app.lists.listing import Listing
from app.models import Allocation, ApiKeyLab, Event, Lab, Organization, Project, Region

SPEC = ResourceSpec(
    model=Lab,
    guard=permissions.guard(Area.labs, "lab", permissions.column("id")),
    noun="lab",
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
        Blocker("bound API keys", ApiKeyLab.lab_id),  # type: ignore[arg-type]
    ),
)


LABS = Listing(
    "labs",
    SPEC.table,
    LabRead,
    LabFilters,
    (
        *common(SPEC.table),
        compare("region", SPEC.column("region_code")),
        compare("status", SPEC.column("status")),
        reference("host", SPEC.column("host_organization_id"), Organization),
    ),
)


async def geojson_chunks(engine: AsyncEngine, params: LabFilters, caller: Caller) -> AsyncIterator[bytes]:
    """The matching labs as a FeatureCollection; each feature's properties are the lab as the list shows it."""

    async def features() -> AsyncIterator[dict[str, Any]]:
        async for lab in LABS.records(engine, params, caller):
            yield point(lab["id"], lab["longitude"], lab["latitude"], lab)

    async for chunk in feature_collection(features()):
        yield chunk


async def get_lab(session: AsyncSession, ident: str) -> Lab:
    return await crud.get(session, SPEC, ident)


def _row_values(data: LabCreate) -> dict[str, Any]:
    """The row to write (see `rules.located_in_region`), a refusal located in the body."""
    try:
        return rules.located_in_region(data.model_dump())
    except InvalidInput as exc:
        raise InvalidInput([error.model_copy(update={"loc": ["body", *error.loc]}) for error in exc.errors]) from None


async def create_lab(session: AsyncSession, data: LabCreate) -> Lab:
    return await crud.insert(session, SPEC, _row_values(data))


async def replace_lab(session: AsyncSession, lab: Lab, data: LabCreate) -> Lab:
    return await crud.update(session, SPEC, lab, _row_values(data))


async def delete_lab(session: AsyncSession, lab: Lab) -> None:
    """Refused while projects, events or allocations still name the lab."""
    await crud.delete(session, SPEC, lab)
