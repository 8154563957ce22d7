"""`lab-registry seed-demo`: load the demo dataset through the slices' services, in one transaction.

Every record goes through its slice's `create_*` with the slice's Create schema, so the rules and derived
fields (slugs, search text, local dates, status history, funding limits) apply exactly as for an HTTP client.
The load is idempotent: records whose external id (or, for streams and the campaign, whose code or slug) is
already stored are skipped, found with one query per kind.
"""

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from rich.table import Table
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.campaigns import service as campaigns_service
from app.campaigns.schemas import CampaignCreate
from app.core.config import Settings
from app.core.db import session_scope
from app.core.errors import AppError
from app.demo.dataset import Dataset, Kind, Record, Ref, build_dataset
from app.events import service as events_service
from app.events.schemas import EventCreate
from app.funding import service as funding_service
from app.funding.schemas import AllocationCreate, DisbursementCreate, FundingStreamCreate
from app.labs import service as labs_service
from app.labs.schemas import LabCreate
from app.models import (
    Allocation,
    Campaign,
    Disbursement,
    Entity,
    Event,
    EventFormat,
    FundingStream,
    Lab,
    Organization,
    Project,
    ProjectPartner,
    Region,
    Theme,
)
from app.organizations import service as organizations_service
from app.organizations.schemas import OrganizationCreate
from app.projects import service as projects_service
from app.projects.schemas import PartnerCreate, ProjectCreate

ACTOR = "seed-demo"


class SeedError(Exception):
    """A record of the demo was refused: which one, and the service's reason. Nothing was written."""


Creator = Callable[[AsyncSession, dict[str, Any], Entity | None], Awaitable[Entity]]


@dataclass(frozen=True)
class Loader:
    """How one kind of record is written: its table, its service call, and the key that may already hold it."""

    model: type[Entity]
    create: Creator
    natural_key: str | None = None
    parent_model: type[Entity] | None = None


async def _organization(session: AsyncSession, fields: dict[str, Any], _parent: Entity | None) -> Entity:
    return await organizations_service.create_organization(session, OrganizationCreate.model_validate(fields))


async def _lab(session: AsyncSession, fields: dict[str, Any], _parent: Entity | None) -> Entity:
    return await labs_service.create_lab(session, LabCreate.model_validate(fields))


async def _stream(session: AsyncSession, fields: dict[str, Any], _parent: Entity | None) -> Entity:
    return await funding_service.create_stream(session, FundingStreamCreate.model_validate(fields))


async def _project(session: AsyncSession, fields: dict[str, Any], _parent: Entity | None) -> Entity:
    """Created in its first phase, then moved through the others on the days they began, as a lab's app would
    have written them: the history says what the project was in on any day."""
    (status, since), *moves = fields.pop("phases")
    project = await projects_service.create_project(
        session, ProjectCreate.model_validate({**fields, "status": status, "status_since": since})
    )
    for status, since in moves:
        data = ProjectCreate.model_validate({**fields, "status": status, "status_since": since})
        project = await projects_service.replace_project(session, project, data)
    return project


async def _partner(session: AsyncSession, fields: dict[str, Any], parent: Entity | None) -> Entity:
    assert isinstance(parent, Project)
    return await projects_service.create_partner(session, parent, PartnerCreate.model_validate(fields))


async def _allocation(session: AsyncSession, fields: dict[str, Any], _parent: Entity | None) -> Entity:
    return await funding_service.create_allocation(session, AllocationCreate.model_validate(fields))


async def _disbursement(session: AsyncSession, fields: dict[str, Any], parent: Entity | None) -> Entity:
    assert isinstance(parent, Allocation)
    return await funding_service.create_disbursement(session, parent, DisbursementCreate.model_validate(fields))


async def _campaign(session: AsyncSession, fields: dict[str, Any], _parent: Entity | None) -> Entity:
    return await campaigns_service.create_campaign(session, CampaignCreate.model_validate(fields))


async def _event(session: AsyncSession, fields: dict[str, Any], _parent: Entity | None) -> Entity:
    return await events_service.create_event(session, EventCreate.model_validate(fields))


LOADERS: dict[Kind, Loader] = {
    Kind.organization: Loader(Organization, _organization),
    Kind.lab: Loader(Lab, _lab),
    Kind.stream: Loader(FundingStream, _stream, natural_key="code"),
    Kind.project: Loader(Project, _project),
    Kind.partner: Loader(ProjectPartner, _partner, parent_model=Project),
    Kind.allocation: Loader(Allocation, _allocation),
    Kind.disbursement: Loader(Disbursement, _disbursement, parent_model=Allocation),
    Kind.campaign: Loader(Campaign, _campaign, natural_key="slug"),
    Kind.event: Loader(Event, _event),
}


@dataclass
class SeedReport:
    """What a run did, kind by kind: rows created, rows found already present (and left untouched)."""

    created: dict[Kind, int] = field(default_factory=dict)
    present: dict[Kind, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    def __str__(self) -> str:
        counts = ", ".join(f"{kind}: {self.created[kind]} created, {self.present[kind]} present" for kind in Kind)
        return f"Demo dataset loaded in {self.seconds:.1f} s — {counts}."

    def __rich__(self) -> Table:
        table = Table(title=f"Demo dataset (synthetic) — {self.seconds:.1f} s", title_justify="left")
        table.add_column("Kind")
        table.add_column("Created", justify="right")
        table.add_column("Already present", justify="right")
        for kind in Kind:
            table.add_row(str(kind), str(self.created[kind]), str(self.present[kind]))
        table.add_row("Total", str(self.total_created), str(sum(self.present.values())), style="bold")
        return table


async def _present(session: AsyncSession, loader: Loader, records: Sequence[Record]) -> dict[str, uuid.UUID]:
    """Ids of the records already stored, by external id (or natural key): one query for the whole kind."""
    table = loader.model.__table__  # type: ignore[attr-defined]
    if loader.natural_key:
        by_key: dict[Any, str] = {r.fields[loader.natural_key]: r.external_id for r in records}
    else:
        by_key = {r.external_id: r.external_id for r in records}
    key = table.c[loader.natural_key or "external_id"]
    stmt = select(table.c.external_id, key, table.c.id).where(
        or_(table.c.external_id.in_(list(by_key.values())), key.in_(list(by_key)))
    )
    found: dict[str, uuid.UUID] = {}
    for external_id, key_value, row_id in (await session.execute(stmt)).all():
        found[by_key.get(key_value) or str(external_id)] = row_id
    return found


def _resolve(fields: dict[str, Any], ids: dict[str, uuid.UUID]) -> dict[str, Any]:
    return {name: ids[value.external_id] if isinstance(value, Ref) else value for name, value in fields.items()}


async def load(session: AsyncSession, dataset: Dataset) -> SeedReport:
    """Create what is missing, kind after kind; raise `SeedError` on the first record a service refuses."""
    report = SeedReport()
    ids: dict[str, uuid.UUID] = {}
    # Created rows are kept referenced so that their children find them in the session without a query (its
    # identity map holds a row only while something else does); so are the reference rows each record names
    # (region, themes, format): a fifth of the statements of a load otherwise.
    entities: dict[str, Entity] = {}
    _kept_referenced = [row for model in (Region, Theme, EventFormat) for row in await session.scalars(select(model))]
    for kind, loader in LOADERS.items():
        records = dataset.records[kind]
        present = await _present(session, loader, records)
        ids.update(present)
        created = 0
        for record in records:
            if record.external_id in present:
                continue
            try:
                parent = await _parent(session, loader, record, entities, ids)
                fields = {**_resolve(record.fields, ids), "external_id": record.external_id}
                entity = await loader.create(session, fields, parent)
            except (AppError, ValidationError) as exc:
                raise SeedError(f"{kind} {record.external_id} was refused: {exc}") from exc
            ids[record.external_id] = entity.id
            entities[record.external_id] = entity
            created += 1
        report.created[kind] = created
        report.present[kind] = len(present)
    return report


async def _parent(
    session: AsyncSession, loader: Loader, record: Record, entities: dict[str, Entity], ids: dict[str, uuid.UUID]
) -> Entity | None:
    if loader.parent_model is None or record.parent is None:
        return None
    parent = entities.get(record.parent) or await session.get(loader.parent_model, ids[record.parent])
    if parent is None:
        raise SeedError(f"{record.external_id}: its parent {record.parent} is not stored")
    return parent


async def seed(settings: Settings) -> SeedReport:
    """Load the synthetic demo dataset into the configured database, all or nothing; a second run adds nothing."""
    started = time.perf_counter()
    dataset = build_dataset()
    async with session_scope(settings, actor=ACTOR) as session:
        report = await load(session, dataset)
    report.seconds = time.perf_counter() - started
    return report
