"""Load-or-404 dependencies of organizations."""

from typing import Annotated

from fastapi import Depends, Path

from app.core.db import SessionDep
from app.crud.conditional import conditional
from app.models import Organization
from app.organizations import service


async def load_organization(
    session: SessionDep, organization: Annotated[str, Path(description="Organization id or slug.")]
) -> Organization:
    return await service.get_organization(session, organization)


OrganizationDep = Annotated[Organization, Depends(load_organization)]
OrganizationItem = Annotated[Organization, Depends(conditional(load_organization))]
