"""Use cases of projects: the lifecycle rule, the status history, and the partner organizations."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from app.core import crud
from app.core.crud import Blocker, PageResult, Reference, ResourceSpec
from app.core.errors import Conflict, FieldError, InvalidInput, NotFound
from app.core.locking import lock_for_update
from app.core.pagination import sorts_for
from app.core.text import fold, like_escape
from app.models import Allocation, Event, Lab, Organization, Project, ProjectPartner, ProjectStatusChange, Region, Theme
from app.projects.schemas import (
    LabProjectFilters,
    PartnerChange,
    PartnerCreate,
    PartnerFilters,
    PartnerRead,
    ProjectCreate,
    ProjectFilters,
    ProjectRead,
    ProjectStatus,
)

SPEC = ResourceSpec(
    model=Project,
    noun="project",
    sorts=sorts_for(Project, "title"),
    default_sort="title",
    slug_field="slug",
    slug_source="title",
    search_fields=("title", "summary", "results", "lessons"),
    unique_fields=("slug", "external_id"),
    references={
        "lab_id": Reference(Lab, "lab"),
        "region_code": Reference(Region, "region"),
        "theme_code": Reference(Theme, "theme"),
        "replicates_project_id": Reference(Project, "project"),
    },
    blockers=(
        Blocker("events", Event.project_id),  # type: ignore[arg-type]
        Blocker("allocations", Allocation.project_id),  # type: ignore[arg-type]
        Blocker("replicating projects", Project.replicates_project_id),  # type: ignore[arg-type]
    ),
)

PARTNER_SPEC = ResourceSpec(
    model=ProjectPartner,
    noun="partner",
    sorts=sorts_for(ProjectPartner),
    default_sort="created_at",
    unique_fields=("external_id",),
    references={"organization_id": Reference(Organization, "organization")},
)

FORWARD = (
    ProjectStatus.exploring,
    ProjectStatus.designing,
    ProjectStatus.piloting,
    ProjectStatus.scaling,
    ProjectStatus.completed,
)
FINAL = frozenset({ProjectStatus.completed, ProjectStatus.abandoned})


def allowed_moves(current: ProjectStatus) -> list[ProjectStatus]:
    """Forward along the lifecycle (skipping is fine) or to abandoned; completed and abandoned are final."""
    if current in FINAL:
        return []
    return [*FORWARD[FORWARD.index(current) + 1 :], ProjectStatus.abandoned]


def _check_move(current: ProjectStatus, target: ProjectStatus) -> None:
    allowed = allowed_moves(current)
    if target not in allowed:
        states = ", ".join(allowed) if allowed else f"none ({current} is final)"
        raise Conflict(f"A project cannot move from {current} to {target}; allowed next states: {states}.")


def filters(params: LabProjectFilters) -> list[ColumnElement[bool]]:
    where = crud.common_filters(SPEC, params.q, params.updated_since)
    if params.region:
        where.append(SPEC.column("region_code") == params.region)
    if params.theme:
        where.append(SPEC.column("theme_code") == params.theme)
    if params.status:
        where.append(SPEC.column("status") == params.status)
    if params.kind:
        where.append(SPEC.column("kind") == params.kind)
    if params.starts_after:
        where.append(SPEC.column("starts_on") >= params.starts_after)
    if params.starts_before:
        where.append(SPEC.column("starts_on") <= params.starts_before)
    if params.replicates:
        # The sub-select reads the same table: it must not correlate with the outer one.
        replicated = crud.reference_ids(Project, params.replicates).correlate(None)
        where.append(SPEC.column("replicates_project_id").in_(replicated))
    if isinstance(params, ProjectFilters) and params.lab:
        where.append(SPEC.column("lab_id").in_(crud.reference_ids(Lab, params.lab)))
    return where


async def list_projects(connection: AsyncConnection, params: ProjectFilters) -> PageResult:
    return await crud.list_page(connection, SPEC, filters(params), params.list_query(params.sort), ProjectRead)


async def list_lab_projects(connection: AsyncConnection, lab: Lab, params: LabProjectFilters) -> PageResult:
    where = [*filters(params), SPEC.column("lab_id") == lab.id]
    return await crud.list_page(connection, SPEC, where, params.list_query(params.sort), ProjectRead)


async def get_project(session: AsyncSession, ident: str) -> Project:
    return await crud.get(session, SPEC, ident)


async def _values(session: AsyncSession, data: ProjectCreate, current: Project | None) -> dict[str, Any]:
    """The row to write: region defaulted from the lab, secondary themes and replication checked."""
    values = data.model_dump()
    if values["lab_id"] is not None and values["region_code"] is None:
        lab = await session.get(Lab, values["lab_id"])
        if lab is not None:
            values["region_code"] = lab.region_code
    errors = []
    if data.secondary_themes:
        known = set(
            (await session.execute(select(col(Theme.code)).where(col(Theme.code).in_(data.secondary_themes)))).scalars()
        )
        errors += [
            FieldError(loc=["body", "secondary_themes", i], msg=f"no theme '{code}'", type="reference_not_found")
            for i, code in enumerate(data.secondary_themes)
            if code not in known
        ]
    if current is not None and data.replicates_project_id is not None:
        if await replicates_itself(session, current.id, data.replicates_project_id):
            errors.append(
                FieldError(
                    loc=["body", "replicates_project_id"],
                    msg="a project cannot replicate itself, directly or through the projects it replicates",
                    type="replication_cycle",
                )
            )
    if errors:
        raise InvalidInput(errors)
    return values


async def replicates_itself(session: AsyncSession, project_id: uuid.UUID, original_id: uuid.UUID) -> bool:
    """Whether following `replicates_project_id` from `original_id` leads back to the project."""
    seen: set[uuid.UUID] = set()
    step: uuid.UUID | None = original_id
    while step is not None and step not in seen:
        if step == project_id:
            return True
        seen.add(step)
        step = (
            await session.execute(select(col(Project.replicates_project_id)).where(col(Project.id) == step))
        ).scalar_one_or_none()
    return False


async def _record(session: AsyncSession, project: Project, from_status: str | None, actor: str) -> None:
    """Keep the status change in the project's history, in the same transaction as the change itself."""
    session.add(
        ProjectStatusChange(
            project_id=project.id,
            from_status=from_status,
            to_status=str(project.status),
            at=project.updated_at,
            actor=actor,
        )
    )
    await session.flush()


async def create_project(session: AsyncSession, data: ProjectCreate, *, actor: str) -> Project:
    """A project may start in any status; its history starts with that status."""
    project = await crud.insert(session, SPEC, await _values(session, data, None))
    await _record(session, project, None, actor)
    return project


async def replace_project(session: AsyncSession, project: Project, data: ProjectCreate, *, actor: str) -> Project:
    """Write new values; a status change must follow the lifecycle and is recorded in the history."""
    values = await _values(session, data, project)
    moved_from: str | None = None
    if data.status != project.status:
        # Lock the row (PostgreSQL; SQLite writes hold BEGIN IMMEDIATE) without refreshing the loaded object: a
        # concurrent move waits here, then the version check of the update refuses this one (409, or 412).
        await lock_for_update(session, Project, project.id)
        _check_move(ProjectStatus(project.status), data.status)
        moved_from = project.status
    await crud.update(session, SPEC, project, values)
    if moved_from is not None:
        await _record(session, project, moved_from, actor)
    return project


async def delete_project(session: AsyncSession, project: Project) -> None:
    """Refused while events, allocations or replicating projects name it; partners and history go with it.

    The partners and history are removed first: a refusal rolls the request's transaction back with them. Each
    partner goes through `crud.delete`, so the audit trail keeps it; the history is already in the project's
    audited updates.
    """
    partners = await session.execute(select(ProjectPartner).where(col(ProjectPartner.project_id) == project.id))
    for partner in partners.scalars().all():
        await crud.delete(session, PARTNER_SPEC, partner)
    await session.execute(delete(ProjectStatusChange).where(col(ProjectStatusChange.project_id) == project.id))
    await crud.delete(session, SPEC, project)


async def history(session: AsyncSession, project: Project) -> Sequence[ProjectStatusChange]:
    """The project's status changes, oldest first."""
    stmt = (
        select(ProjectStatusChange)
        .where(col(ProjectStatusChange.project_id) == project.id)
        .order_by(col(ProjectStatusChange.at), col(ProjectStatusChange.id))
    )
    return (await session.execute(stmt)).scalars().all()


def partner_filters(project: Project, params: PartnerFilters) -> list[ColumnElement[bool]]:
    where = crud.common_filters(PARTNER_SPEC, None, params.updated_since)
    where.append(PARTNER_SPEC.column("project_id") == project.id)
    if params.q:
        names = col(Organization.search_text)
        words = [names.like(f"%{like_escape(word)}%", escape="\\") for word in fold(params.q).split()]
        where.append(PARTNER_SPEC.column("organization_id").in_(select(col(Organization.id)).where(*words)))
    if params.role:
        where.append(PARTNER_SPEC.column("role") == params.role)
    if params.organization:
        where.append(PARTNER_SPEC.column("organization_id").in_(crud.reference_ids(Organization, params.organization)))
    return where


async def list_partners(connection: AsyncConnection, project: Project, params: PartnerFilters) -> PageResult:
    return await crud.list_page(
        connection, PARTNER_SPEC, partner_filters(project, params), params.list_query(params.sort), PartnerRead
    )


async def get_partner(session: AsyncSession, project: Project, ident: str) -> ProjectPartner:
    """A partner of this project only: the same id under another project is not found."""
    stmt = select(ProjectPartner).where(
        crud.identity_clause(PARTNER_SPEC, ident),
        col(ProjectPartner.project_id) == project.id,
    )
    partner = (await session.execute(stmt)).scalar_one_or_none()
    if partner is None:
        raise NotFound(f"No partner '{ident}' in project '{project.slug}'.")
    return partner


async def _check_role_free(
    session: AsyncSession, project_id: uuid.UUID, organization_id: uuid.UUID, role: str, current: ProjectPartner | None
) -> None:
    """An organization holds each role at most once in a project."""
    stmt = select(col(ProjectPartner.id)).where(
        col(ProjectPartner.project_id) == project_id,
        col(ProjectPartner.organization_id) == organization_id,
        col(ProjectPartner.role) == role,
    )
    if current is not None:
        stmt = stmt.where(col(ProjectPartner.id) != current.id)
    if (await session.execute(stmt.limit(1))).first() is not None:
        raise Conflict(f"Organization {organization_id} is already a {role} of this project.")


async def create_partner(session: AsyncSession, project: Project, data: PartnerCreate) -> ProjectPartner:
    await _check_role_free(session, project.id, data.organization_id, data.role, None)
    return await crud.insert(session, PARTNER_SPEC, {**data.model_dump(), "project_id": project.id})


async def replace_partner(session: AsyncSession, partner: ProjectPartner, data: PartnerChange) -> ProjectPartner:
    await _check_role_free(session, partner.project_id, partner.organization_id, data.role, partner)
    return await crud.update(session, PARTNER_SPEC, partner, data.model_dump())


async def delete_partner(session: AsyncSession, partner: ProjectPartner) -> None:
    await crud.delete(session, PARTNER_SPEC, partner)
