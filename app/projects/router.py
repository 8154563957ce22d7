"""HTTP routes of projects, their partners and their status history."""

from collections.abc import Sequence

from fastapi import APIRouter, Request, Response

from app.core.db import SessionDep
from app.core.errors import error_responses
from app.core.schemas import Page, merge_patch
from app.crud.conditional import ItemRoute, created
from app.labs.dependencies import LabDep
from app.lists.fast import fast_list
from app.lists.params import LIST_EXPORTS
from app.lists.query import QueryModel
from app.models import Project, ProjectPartner, ProjectStatusChange, PublicationChange
from app.projects import service
from app.projects.dependencies import PartnerItem, ProjectDep, ProjectItem
from app.projects.schemas import (
    LabProjectFilters,
    PartnerChange,
    PartnerCreate,
    PartnerFilters,
    PartnerRead,
    PartnerUpdate,
    ProjectCreate,
    ProjectFilters,
    ProjectRead,
    ProjectUpdate,
    StatusChangeRead,
)
from app.publication import service as publication
from app.publication.schemas import PublicationChangeRead

router = APIRouter(route_class=ItemRoute, tags=["projects"])


@router.get("/projects", response_model=Page[ProjectRead], responses={**LIST_EXPORTS, **error_responses(400, 422)})
@fast_list(service.PROJECTS)
async def list_projects(request: Request, params: QueryModel[ProjectFilters]) -> Response:
    """List projects and actions, filtered and keyset-paginated."""
    return await service.PROJECTS.respond(request, params)


@router.post("/projects", status_code=201, response_model=ProjectRead, responses=error_responses(409, 422))
async def create_project(session: SessionDep, request: Request, response: Response, body: ProjectCreate) -> Project:
    """Create a project or action, in any status; its slug is derived from the title unless given."""
    project = await service.create_project(session, body)
    created(request, response, project, "get_project", project=str(project.id))
    return project


@router.get("/projects/{project}", response_model=ProjectRead, responses=error_responses(404))
async def get_project(project: ProjectItem) -> Project:
    """Read one project, by id or slug."""
    return project


@router.patch("/projects/{project}", response_model=ProjectRead, responses=error_responses(404, 409, 422))
async def update_project(
    session: SessionDep,
    project: ProjectItem,
    body: ProjectUpdate,  # type: ignore[valid-type]
) -> Project:
    """Change some fields of a project (JSON merge patch); a status change must follow the lifecycle, and its
    phase began on `status_since` (today when omitted)."""
    return await service.patch_project(session, project, body)


@router.put("/projects/{project}", response_model=ProjectRead, responses=error_responses(404, 409, 422))
async def replace_project(session: SessionDep, project: ProjectItem, body: ProjectCreate) -> Project:
    """Replace a project with a full representation; omitted optional fields are cleared."""
    return await service.replace_project(session, project, body)


@router.delete("/projects/{project}", status_code=204, responses=error_responses(404, 409))
async def delete_project(session: SessionDep, project: ProjectItem) -> None:
    """Delete a project with its partners and history; refused (409) while events, allocations or replicas name it."""
    await service.delete_project(session, project)


@router.get(
    "/projects/{project}/publication-history",
    response_model=list[PublicationChangeRead],
    responses=error_responses(404),
)
async def project_publication_history(session: SessionDep, project: ProjectDep) -> Sequence[PublicationChange]:
    """Every move of the project's publication, oldest first: from, to, when, by whom, and why."""
    return await publication.history(session, service.SPEC.entity_type, project.id)


@router.get("/projects/{project}/history", response_model=list[StatusChangeRead], responses=error_responses(404))
async def project_history(session: SessionDep, project: ProjectDep) -> Sequence[ProjectStatusChange]:
    """The project's status changes, oldest first: the day each phase began (`effective_on`), when it was written
    (`at`) and by whom."""
    return await service.history(session, project)


@router.get(
    "/labs/{lab}/projects",
    response_model=Page[ProjectRead],
    responses={**LIST_EXPORTS, **error_responses(400, 404, 422)},
)
async def list_lab_projects(request: Request, lab: LabDep, params: QueryModel[LabProjectFilters]) -> Response:
    """List the projects a lab leads or supports, filtered and keyset-paginated."""
    return await service.LAB_PROJECTS.respond(request, params, within={"lab_id": lab.id})


@router.get(
    "/projects/{project}/partners",
    response_model=Page[PartnerRead],
    responses={**LIST_EXPORTS, **error_responses(400, 404, 422)},
)
async def list_partners(request: Request, project: ProjectDep, params: QueryModel[PartnerFilters]) -> Response:
    """List the organizations taking part in a project, with their roles."""
    return await service.PARTNERS.respond(request, params, within={"project_id": project.id})


@router.post(
    "/projects/{project}/partners",
    status_code=201,
    response_model=PartnerRead,
    responses=error_responses(404, 409, 422),
)
async def create_partner(
    session: SessionDep, request: Request, response: Response, project: ProjectDep, body: PartnerCreate
) -> ProjectPartner:
    """Add an organization to a project in a role; the same organization holds each role once."""
    partner = await service.create_partner(session, project, body)
    created(request, response, partner, "get_partner", project=str(project.id), partner=str(partner.id))
    return partner


@router.get("/projects/{project}/partners/{partner}", response_model=PartnerRead, responses=error_responses(404))
async def get_partner(partner: PartnerItem) -> ProjectPartner:
    """Read one partner of a project."""
    return partner


@router.patch(
    "/projects/{project}/partners/{partner}", response_model=PartnerRead, responses=error_responses(404, 409, 422)
)
async def update_partner(
    session: SessionDep,
    partner: PartnerItem,
    body: PartnerUpdate,  # type: ignore[valid-type]
) -> ProjectPartner:
    """Change a partner's role or external id (JSON merge patch)."""
    return await service.replace_partner(session, partner, merge_patch(PartnerChange, partner, body))


@router.put(
    "/projects/{project}/partners/{partner}", response_model=PartnerRead, responses=error_responses(404, 409, 422)
)
async def replace_partner(session: SessionDep, partner: PartnerItem, body: PartnerChange) -> ProjectPartner:
    """Replace a partner's role and external id; the organization stays."""
    return await service.replace_partner(session, partner, body)


@router.delete("/projects/{project}/partners/{partner}", status_code=204, responses=error_responses(404))
async def delete_partner(session: SessionDep, partner: PartnerItem) -> None:
    """Remove an organization's role from a project."""
    await service.delete_partner(session, partner)
