"""Use cases of projects: the lifecycle rule, the status history, and the partner organizations."""

import operator
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app import crud
from app.audit import trail
from app.auth import permissions
from app.auth.permissions import Area
from app.core.errors import Conflict, FieldError, InvalidInput, NotFound
from app.core.locking import lock_for_update
from app.core.schemas import Input, merge_patch
from app.crud import Blocker, Reference, ResourceSpec
from app.lists.filters import Filter, common, compare, reference, search, table_of
from app.lists.listing import Listing
from app.models import Allocation, Event, Lab, Organization, Project, ProjectPartner, ProjectStatusChange, Region, Theme
from app.projects import rules
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
from app.publication import service as publication
from app.publication.visibility import visibility

SPEC = ResourceSpec(
    model=Project,
    guard=permissions.guard(Area.content, "project", permissions.column("lab_id")),
    noun="project",
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
    guard=permissions.guard(Area.content, "partner", permissions.project_lab),
    noun="partner",
    unique_fields=("external_id",),
    references={"organization_id": Reference(Organization, "organization")},
)

FILTERS: tuple[Filter, ...] = (
    *common(SPEC.table),
    compare("region", SPEC.column("region_code")),
    compare("theme", SPEC.column("theme_code")),
    compare("status", SPEC.column("status")),
    compare("kind", SPEC.column("kind")),
    compare("starts_after", SPEC.column("starts_on"), operator.ge),
    compare("starts_before", SPEC.column("starts_on"), operator.le),
    # The sub-select reads the same table: it must not correlate with the outer one.
    reference("replicates", SPEC.column("replicates_project_id"), Project, correlate=False),
    # Only the top-level list has it (ProjectFilters).
    reference("lab", SPEC.column("lab_id"), Lab),
)
PROJECTS = Listing("projects", SPEC.table, ProjectRead, ProjectFilters, FILTERS, visibility=visibility(SPEC.table))
LAB_PROJECTS = Listing(
    "projects", SPEC.table, ProjectRead, LabProjectFilters, FILTERS, visibility=visibility(SPEC.table)
)
"""A lab's projects: the project list's filters but `lab`, which the path gives."""


async def get_project(session: AsyncSession, ident: str) -> Project:
    """The project, when the caller may see it (see app.publication.visibility); else 404."""
    project: Project = publication.visible_or_404(session, await crud.get(session, SPEC, ident), SPEC.noun, ident)
    return project


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
                    msg=rules.REPLICATION_CYCLE,
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


async def _record(session: AsyncSession, project: Project, from_status: str | None) -> None:
    """Keep the status change in the project's history, in the same transaction as the change itself."""
    session.add(
        ProjectStatusChange(
            project_id=project.id,
            from_status=from_status,
            to_status=str(project.status),
            effective_on=project.status_since,
            at=project.updated_at,
            actor=trail.actor_of(session).name,
        )
    )
    await session.flush()


def _phase(current: rules.Phase | None, data: ProjectCreate) -> rules.Phase | None:
    """The phase the write starts (see `rules.next_phase`), a refusal located at `status_since`."""
    phase, refusal = rules.next_phase(current, data.status, data.status_since, rules.today())
    if refusal is not None:
        raise InvalidInput([FieldError(loc=["body", "status_since"], msg=refusal, type="status_since")])
    return phase


async def create_project(session: AsyncSession, data: ProjectCreate) -> Project:
    """A project may start in any status; its history starts with that status, dated by `status_since` (default
    today). Published or a draft as the caller's scopes say (app.publication.rules)."""
    values = publication.state_to_write(session, None, await _values(session, data, None), SPEC.noun)
    phase = _phase(None, data)
    assert phase is not None
    values["status_since"] = phase.since
    project = await crud.insert(session, SPEC, values)
    await _record(session, project, None)
    await publication.record(session, SPEC.entity_type, project.id, None, project.publication, project.publication_note)
    return project


async def replace_project(session: AsyncSession, project: Project, data: ProjectCreate) -> Project:
    """Write new values; a status change must follow the lifecycle and is recorded in the history, dated by
    `status_since` (default today), a change of publication must be one of the caller's moves."""
    was = project.publication
    values = publication.state_to_write(session, project.publication, await _values(session, data, project), SPEC.noun)
    moved_from: str | None = None
    if data.status != project.status:
        # Lock the row (PostgreSQL; SQLite writes hold BEGIN IMMEDIATE) without refreshing the loaded object: a
        # concurrent move waits here, then the version check of the update refuses this one (409, or 412).
        await lock_for_update(session, Project, project.id)
        refusal = rules.move_refusal(ProjectStatus(project.status), data.status)
        if refusal is not None:
            raise Conflict(refusal)
        moved_from = project.status
    phase = _phase(rules.Phase(ProjectStatus(project.status), project.status_since), data)
    values["status_since"] = project.status_since if phase is None else phase.since
    await crud.update(session, SPEC, project, values)
    if moved_from is not None:
        await _record(session, project, moved_from)
    await publication.record(session, SPEC.entity_type, project.id, was, project.publication, project.publication_note)
    return project


async def patch_project(session: AsyncSession, project: Project, patch: Input) -> Project:
    """A JSON merge patch: `replace_project` with the stored values the patch leaves, but the stored
    `status_since`, which dates the current phase and not the one a status change starts."""
    merged = merge_patch(ProjectCreate, project, patch)
    if "status_since" not in patch.model_fields_set:
        merged.status_since = None
    return await replace_project(session, project, merged)


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
    """The project's status changes, in the order their phases began (then written)."""
    stmt = (
        select(ProjectStatusChange)
        .where(col(ProjectStatusChange.project_id) == project.id)
        .order_by(col(ProjectStatusChange.effective_on), col(ProjectStatusChange.id))
    )
    return (await session.execute(stmt)).scalars().all()


_partner_names = search(table_of(Organization))
PARTNERS = Listing(
    "project-partners",
    PARTNER_SPEC.table,
    PartnerRead,
    PartnerFilters,
    (
        *common(PARTNER_SPEC.table),
        # A partner is found by its organization's name: the words are searched in the organizations.
        Filter(
            "q",
            _partner_names.prepare,
            lambda shape, values: [
                PARTNER_SPEC.column("organization_id").in_(
                    select(col(Organization.id)).where(*_partner_names.build(shape, values))
                )
            ],
        ),
        compare("role", PARTNER_SPEC.column("role")),
        reference("organization", PARTNER_SPEC.column("organization_id"), Organization),
    ),
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
