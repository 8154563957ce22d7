"""Load-or-404 dependencies of projects and their partners."""

from typing import Annotated

from fastapi import Depends, Path

from app.core.db import SessionDep
from app.crud.conditional import conditional
from app.models import Project, ProjectPartner
from app.projects import service


async def load_project(
    session: SessionDep, project: Annotated[str, Path(description="Project id or slug.")]
) -> Project:
    return await service.get_project(session, project)


ProjectDep = Annotated[Project, Depends(load_project)]
ProjectItem = Annotated[Project, Depends(conditional(load_project))]


async def load_partner(
    session: SessionDep, project: ProjectDep, partner: Annotated[str, Path(description="Partner id.")]
) -> ProjectPartner:
    return await service.get_partner(session, project, partner)


PartnerDep = Annotated[ProjectPartner, Depends(load_partner)]
PartnerItem = Annotated[ProjectPartner, Depends(conditional(load_partner))]
