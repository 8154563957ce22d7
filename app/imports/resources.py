"""What each importable resource is made of, and the rules of its single-row API applied row by row.

The rules are those of the services (`app.events.service`, `app.projects.service`, `app.funding.service`),
checked against totals read once per batch instead of once per row: the parents are locked first (`FOR NO
KEY UPDATE`; SQLite's import holds the write lock), then the running totals are kept as rows are accepted,
so a file cannot overspend an envelope or an allocation any more than single writes can.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.campaigns import rules as campaign_rules
from app.campaigns import service as campaigns
from app.campaigns.schemas import CampaignCreate
from app.core.errors import AppError, InvalidInput
from app.core.schemas import Input
from app.crud import ResourceSpec
from app.events import rules as event_rules
from app.events import service as events
from app.events import session_rules, session_store, sessions
from app.events.schemas import PLACE_COLUMNS, EventCreate
from app.events.session_schemas import SessionCreate, SessionStatus
from app.funding import rules as funding_rules
from app.funding import service as funding
from app.funding.schemas import AllocationCreate, DisbursementCreate, FundingStreamCreate
from app.imports.schemas import ImportResource
from app.labs import rules as lab_rules
from app.labs import service as labs
from app.labs.schemas import LabCreate
from app.models import (
    Allocation,
    Campaign,
    Disbursement,
    Entity,
    Event,
    FundingStream,
    Lab,
    Organization,
    Project,
    ProjectPartner,
    ProjectStatusChange,
    PublicationChange,
    Theme,
)
from app.organizations import service as organizations
from app.organizations.schemas import OrganizationCreate
from app.projects import rules as project_rules
from app.projects import service as projects
from app.projects.schemas import PartnerCreate, ProjectCreate, ProjectStatus
from app.publication.service import state_to_write

COMMITTED = funding_rules.COMMITTED


class RowError(Exception):
    """A rule refuses one row: the field at fault and why."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Ref:
    """A reference field, the model it names, and the friendlier columns that may give it."""

    field: str
    model: type[Entity]
    noun: str
    columns: tuple[str, ...] = ()


class Rules:
    """No rule beyond the schema's: organizations, labs, campaigns."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def prepare(self, rows: list[Any]) -> None:
        """Read (and lock) what the batch's rules need, once per batch."""

    async def complete(self, row: Any) -> None:
        """Finish a validated row's values, or raise RowError."""

    async def written(self, creates: list[dict[str, Any]], updates: list[dict[str, Any]], actor: str) -> None:
        """Write what goes with the batch's rows (a project's status history)."""


class PublishedRules(Rules):
    """Rows that go through publication: a new one starts as the caller's scopes say, a change must be one of the
    caller's moves, and each is kept in the publication history — the rules of single writes
    (app.publication.rules)."""

    noun = ""
    entity_type = ""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self.published: dict[uuid.UUID, str | None] = {}

    def publication(self, row: Any) -> None:
        current = row.existing["publication"] if row.existing is not None else None
        try:
            row.values = state_to_write(self.session, current, row.values, self.noun)
        except AppError as exc:
            raise RowError("publication", exc.detail) from None
        if current is not None and row.values["publication"] != current:
            self.published[row.existing["id"]] = current

    async def written(self, creates: list[dict[str, Any]], updates: list[dict[str, Any]], actor: str) -> None:
        moves: list[tuple[dict[str, Any], str | None]] = [(row, None) for row in creates]
        moves += [(row, self.published.pop(row["id"])) for row in updates if row["id"] in self.published]
        if moves:
            table = PublicationChange.__table__  # type: ignore[attr-defined]
            await self.session.execute(
                insert(table),
                [
                    {
                        "entity_type": self.entity_type,
                        "entity_id": row["id"],
                        "from_state": before,
                        "to_state": str(row["publication"]),
                        "at": row["updated_at"],
                        "actor": actor,
                        "note": row["publication_note"],
                    }
                    for row, before in moves
                ],
            )


class LabRules(Rules):
    """A lab's point within its region, as `create_lab` checks it."""

    async def complete(self, row: Any) -> None:
        try:
            row.values = lab_rules.located_in_region(row.values)
        except InvalidInput as exc:
            error = exc.errors[0]
            raise RowError(str(error.loc[0]), error.msg) from None


class EventRules(PublishedRules):
    """Region and time zone defaulted as `create_event` does; local times read in the event's zone; the place
    and what the attendance mode needs, as `create_event` checks them. An event's one session follows its dates,
    as a single write's does (`app.events.session_store`); sessions are rows of their own import (`SessionRules`)."""

    noun = events.SPEC.noun
    entity_type = events.SPEC.entity_type

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self.held: dict[uuid.UUID, list[dict[str, Any]]] = {}
        self.campaigns: dict[uuid.UUID, Campaign | None] = {}

    async def prepare(self, rows: list[Any]) -> None:
        self.held = await _sessions_of(self.session, [row.existing["id"] for row in rows if row.existing is not None])

    async def complete(self, row: Any) -> None:
        if row.values.pop("sessions", None) is not None:
            raise RowError("sessions", "sessions are rows of their own import: /api/v1/imports/sessions")
        refs = row.values.get("_refs", {})
        holder = refs.get("lab_id") or refs.get("organizer_organization_id")
        try:
            placed = event_rules.placed_in_time(row.values, holder.get("region_code") if holder else None)
            row.values = event_rules.placed_in_space(placed)
        except InvalidInput as exc:
            error = exc.errors[0]
            raise RowError(str(error.loc[0]), error.msg) from None
        held = self.held.get(row.existing["id"], []) if row.existing is not None else []
        dates = {"starts_at": row.values["starts_at"], "ends_at": row.values["ends_at"]}
        if len(held) > 1 and session_rules.span(held) != dates:
            raise RowError("starts_at", session_store.dates_refusal(len(held)))
        await self.within_campaign(row.values)
        self.publication(row)

    async def written(self, creates: list[dict[str, Any]], updates: list[dict[str, Any]], actor: str) -> None:
        await super().written(creates, updates, actor)
        table = session_store.SPEC.table
        if creates:
            await self.session.execute(
                insert(table),
                [
                    {
                        "id": row["id"],
                        "event_id": row["id"],
                        "starts_at": row["starts_at"],
                        "ends_at": row["ends_at"],
                        "status": SessionStatus.scheduled,
                        "created_at": row["updated_at"],
                        "updated_at": row["updated_at"],
                        "version": 1,
                    }
                    for row in creates
                ],
            )
        for row in updates:
            held = self.held.get(row["id"], [])
            moved = len(held) == 1 and (held[0]["starts_at"], held[0]["ends_at"]) != (row["starts_at"], row["ends_at"])
            if moved:
                await self.session.execute(
                    update(table)
                    .where(table.c.id == held[0]["id"])
                    .values(
                        starts_at=row["starts_at"],
                        ends_at=row["ends_at"],
                        updated_at=row["updated_at"],
                        version=table.c.version + 1,
                    )
                )

    async def within_campaign(self, values: dict[str, Any]) -> None:
        """The event lies within its campaign's dates, as `create_event` checks; each campaign read once."""
        campaign_id = values.get("campaign_id")
        if campaign_id is None:
            return
        if campaign_id not in self.campaigns:
            self.campaigns[campaign_id] = await self.session.get(Campaign, campaign_id)
        campaign = self.campaigns[campaign_id]
        if campaign is None:
            return
        refusal = campaign_rules.campaign_refusal(
            [(values["starts_at"], values["ends_at"])],
            ZoneInfo(values["timezone"]),
            campaign.slug,
            campaign.starts_on,
            campaign.ends_on,
        )
        if refusal is not None:
            raise RowError("campaign_id", refusal)


class SessionRules(Rules):
    """Local times read in the event's zone, no two scheduled sessions of an event at once, and the event's dates
    following its sessions: the rules of `app.events.sessions`, kept over the batch's rows."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self.zones: dict[uuid.UUID, ZoneInfo] = {}
        self.campaigns: dict[uuid.UUID, uuid.UUID | None] = {}
        self.held: dict[uuid.UUID, list[dict[str, Any]]] = {}

    async def prepare(self, rows: list[Any]) -> None:
        wanted = {row.values["event_id"] for row in rows} - set(self.zones)
        if not wanted:
            return
        table = events.SPEC.table
        locked = select(table.c.id, table.c.timezone, table.c.campaign_id).where(table.c.id.in_(wanted))
        for event_id, zone, campaign_id in (await self.session.execute(locked.with_for_update())).all():
            self.zones[event_id], self.campaigns[event_id] = ZoneInfo(zone), campaign_id
        self.held.update(await _sessions_of(self.session, list(wanted)))

    async def complete(self, row: Any) -> None:
        event_id = row.values["event_id"]
        zone = self.zones[event_id]
        try:
            values = session_rules.placed(row.values, zone)
        except InvalidInput as exc:
            error = exc.errors[0]
            raise RowError(str(error.loc[-1]), error.msg) from None
        others = [held for held in self.held.get(event_id, []) if held["id"] != row.id]
        found = session_rules.overlap([values, *others])
        if found is not None:
            other = others[(found[1] if found[0] == 0 else found[0]) - 1]
            raise RowError("starts_at", session_rules.overlap_message(other, zone))
        held = [*others, {**values, "id": row.id}]
        refusal = await sessions.campaign_refusal(self.session, self.campaigns[event_id], zone, held)
        if refusal is not None:
            raise RowError("starts_at", refusal)
        self.held[event_id] = held
        row.values = values

    async def written(self, creates: list[dict[str, Any]], updates: list[dict[str, Any]], actor: str) -> None:
        for event_id in dict.fromkeys(row["event_id"] for row in [*creates, *updates]):
            event = await self.session.get(Event, event_id)
            assert event is not None
            await sessions.follow(self.session, event)


class CampaignRules(Rules):
    """New dates leave none of the campaign's events outside them, as `replace_campaign` checks."""

    async def complete(self, row: Any) -> None:
        existing, values = row.existing, row.values
        if existing is None or (values["starts_on"], values["ends_on"]) == (existing["starts_on"], existing["ends_on"]):
            return
        campaign = await self.session.get(Campaign, existing["id"])
        assert campaign is not None
        outside = await campaigns.outside_campaign(self.session, campaign, values["starts_on"], values["ends_on"])
        refusal = campaign_rules.campaign_change_refusal(
            existing["slug"], values["starts_on"], values["ends_on"], outside
        )
        if refusal is not None:
            raise RowError("starts_on" if values["starts_on"] != existing["starts_on"] else "ends_on", refusal)


class ProjectRules(PublishedRules):
    """Region from the lab, secondary themes that exist, the lifecycle and its dated phases (`status_since`), and
    the status history."""

    noun = projects.SPEC.noun
    entity_type = projects.SPEC.entity_type

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self.themes: set[str] | None = None
        self.moves: dict[uuid.UUID, str | None] = {}
        self.today = project_rules.today()

    async def prepare(self, rows: list[Any]) -> None:
        if self.themes is None:
            self.themes = set((await self.session.execute(select(Theme.code))).scalars())  # type: ignore[call-overload]

    async def complete(self, row: Any) -> None:
        assert self.themes is not None
        values = row.values
        lab = values.get("_refs", {}).get("lab_id")
        if values.get("region_code") is None and lab is not None:
            values["region_code"] = lab.get("region_code")
        for code in values.get("secondary_themes") or []:
            if code not in self.themes:
                raise RowError("secondary_themes", f"no theme '{code}'")
        self.publication(row)
        existing = row.existing
        status = ProjectStatus(values["status"])
        current = None
        if existing is not None:
            current = project_rules.Phase(ProjectStatus(existing["status"]), existing["status_since"])
            if status != current.status:
                refusal = project_rules.move_refusal(current.status, status)
                if refusal is not None:
                    raise RowError("status", refusal)
        # An empty cell gives no day: the stored one dates the current phase, not the one a change starts.
        since = values.get("status_since") if "status_since" in row.given else None
        phase, refusal = project_rules.next_phase(current, status, since, self.today)
        if refusal is not None:
            raise RowError("status_since", refusal)
        kept = phase or current
        assert kept is not None
        values["status_since"] = kept.since
        if existing is None:
            return
        if phase is not None:
            self.moves[existing["id"]] = existing["status"]
        original = values.get("replicates_project_id")
        if original is not None and original != existing["replicates_project_id"]:
            if await projects.replicates_itself(self.session, existing["id"], original):
                raise RowError("replicates_project_id", project_rules.REPLICATION_CYCLE)

    async def written(self, creates: list[dict[str, Any]], updates: list[dict[str, Any]], actor: str) -> None:
        await super().written(creates, updates, actor)
        changes = [
            {
                "project_id": row["id"],
                "from_status": None,
                "to_status": str(row["status"]),
                "effective_on": row["status_since"],
                "at": row["updated_at"],
            }
            for row in creates
        ]
        changes += [
            {
                "project_id": row["id"],
                "from_status": self.moves.pop(row["id"]),
                "to_status": str(row["status"]),
                "effective_on": row["status_since"],
                "at": row["updated_at"],
            }
            for row in updates
            if row["id"] in self.moves
        ]
        if changes:
            table = ProjectStatusChange.__table__  # type: ignore[attr-defined]
            await self.session.execute(insert(table), [{**change, "actor": actor} for change in changes])


class PartnerRules(Rules):
    """An organization holds each role once in a project, and a stored partnership keeps its organization."""

    async def complete(self, row: Any) -> None:
        existing = row.existing
        values = row.values
        if existing is None:
            return
        if values["organization_id"] != existing["organization_id"]:
            raise RowError("organization_id", "a stored partner keeps its organization: add a new partner instead")
        if values["role"] != existing["role"]:
            stmt = select(ProjectPartner.id).where(  # type: ignore[call-overload]
                ProjectPartner.project_id == existing["project_id"],
                ProjectPartner.organization_id == existing["organization_id"],
                ProjectPartner.role == values["role"],
            )
            if (await self.session.execute(stmt.limit(1))).first() is not None:
                raise RowError("role", f"this organization is already a {values['role']} of the project")


class StreamRules(Rules):
    """An envelope goes no lower than what its stream has committed."""

    async def complete(self, row: Any) -> None:
        existing = row.existing
        envelope = row.values.get("envelope_cents")
        if existing is None or envelope is None:
            return
        if existing["envelope_cents"] is not None and envelope >= existing["envelope_cents"]:
            return
        committed = await funding.committed_cents(self.session, existing["id"], excluding=None)
        refusal = funding_rules.envelope_refusal(existing["code"], envelope, committed)
        if refusal is not None:
            raise RowError("envelope_cents", refusal)


class AllocationRules(Rules):
    """Committed allocations fit their envelope; an allocation with payments stays committed and covers them."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self.streams: dict[uuid.UUID, dict[str, Any]] = {}
        self.disbursed: dict[uuid.UUID, int] = {}

    async def prepare(self, rows: list[Any]) -> None:
        wanted = {row.values["stream_id"] for row in rows} | {
            row.existing["stream_id"] for row in rows if row.existing is not None
        }
        wanted -= set(self.streams)
        if wanted:
            table = FundingStream.__table__  # type: ignore[attr-defined]
            locked = select(table.c.id, table.c.code, table.c.envelope_cents).where(table.c.id.in_(wanted))
            for stream in (await self.session.execute(locked.with_for_update(key_share=True))).mappings():
                self.streams[stream["id"]] = {**stream, "committed": 0}
            allocations = Allocation.__table__  # type: ignore[attr-defined]
            totals = (
                select(allocations.c.stream_id, func.sum(allocations.c.amount_cents))
                .where(allocations.c.stream_id.in_(wanted), allocations.c.status == COMMITTED)
                .group_by(allocations.c.stream_id)
            )
            for stream_id, total in (await self.session.execute(totals)).all():
                self.streams[stream_id]["committed"] = int(total)
        existing = [row.existing["id"] for row in rows if row.existing is not None]
        if existing:
            self.disbursed.update(await _disbursed_by_allocation(self.session, existing))

    async def complete(self, row: Any) -> None:
        values, existing = row.values, row.existing
        amount = values["amount_cents"]
        committing = values["status"] == COMMITTED
        was_committed = existing is not None and existing["status"] == COMMITTED
        stream = self.streams[values["stream_id"]]
        already_here = existing["amount_cents"] if was_committed and existing["stream_id"] == stream["id"] else 0
        if committing and amount > already_here:
            committed = stream["committed"] - already_here
            refusal = funding_rules.commitment_refusal(stream["code"], stream["envelope_cents"], committed, amount)
            if refusal is not None:
                raise RowError("amount_cents", refusal)
        if existing is not None:
            disbursed = self.disbursed.get(existing["id"], 0)
            refusal = funding_rules.paid_allocation_refusal(existing["id"], values["status"], amount, disbursed)
            if refusal is not None:
                raise RowError("status" if not committing else "amount_cents", refusal)
            if was_committed:
                self.streams[existing["stream_id"]]["committed"] -= existing["amount_cents"]
        if committing:
            stream["committed"] += amount


class DisbursementRules(Rules):
    """Only a committed allocation is paid, and never beyond its amount."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self.allocations: dict[uuid.UUID, dict[str, Any]] = {}

    async def prepare(self, rows: list[Any]) -> None:
        wanted = {row.values["allocation_id"] for row in rows} - set(self.allocations)
        if not wanted:
            return
        table = Allocation.__table__  # type: ignore[attr-defined]
        locked = select(table.c.id, table.c.status, table.c.amount_cents).where(table.c.id.in_(wanted))
        for allocation in (await self.session.execute(locked.with_for_update(key_share=True))).mappings():
            self.allocations[allocation["id"]] = {**allocation, "disbursed": 0}
        for allocation_id, total in (await _disbursed_by_allocation(self.session, list(wanted))).items():
            self.allocations[allocation_id]["disbursed"] = total

    async def complete(self, row: Any) -> None:
        values, existing = row.values, row.existing
        allocation = self.allocations[values["allocation_id"]]
        amount = values["amount_cents"]
        delta = amount - (existing["amount_cents"] if existing is not None else 0)
        if delta > 0:
            others = allocation["disbursed"] - (amount - delta)
            refusal = funding_rules.payment_refusal(
                allocation["id"], allocation["status"], allocation["amount_cents"], others, amount
            )
            if refusal is not None:
                raise RowError("allocation_id" if allocation["status"] != COMMITTED else "amount_cents", refusal)
        allocation["disbursed"] += delta


async def _sessions_of(session: AsyncSession, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The stored sessions of these events, by event."""
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if event_ids:
        table = session_store.SPEC.table
        stmt = select(table).where(table.c.event_id.in_(event_ids)).order_by(table.c.starts_at, table.c.id)
        for stored in (await session.execute(stmt)).mappings():
            found.setdefault(stored["event_id"], []).append(dict(stored))
    return found


async def _disbursed_by_allocation(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    table = Disbursement.__table__  # type: ignore[attr-defined]
    stmt = (
        select(table.c.allocation_id, func.sum(table.c.amount_cents))
        .where(table.c.allocation_id.in_(ids))
        .group_by(table.c.allocation_id)
    )
    return {allocation_id: int(total) for allocation_id, total in (await session.execute(stmt)).all()}


@dataclass(frozen=True)
class ImportSpec:
    """One importable resource."""

    name: str
    resource: ResourceSpec[Any]
    schema: type[Input]
    references: tuple[Ref, ...] = ()
    parent: str | None = None
    natural_key: tuple[str, ...] = ()
    rules: type[Rules] = Rules
    nested: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Columns that give a key of an object field (`address` → the place's `address`), as exports write them."""
    read_only: tuple[str, ...] = ()
    """Columns exports write that the row's values imply (`places_left`): taken and ignored."""
    keyless: bool = False
    """A row with no key is a new one (sessions: given again, a scheduled one overlaps itself and is refused)."""

    @property
    def key_hint(self) -> str:
        return f"required: a new {self.resource.noun} needs an external_id, so that loading the file again finds it"


ORGANIZATION = Ref("organization_id", Organization, "organization", ("organization",))
LAB = Ref("lab_id", Lab, "lab", ("lab",))
PROJECT = Ref("project_id", Project, "project", ("project",))

SPECS: dict[ImportResource, ImportSpec] = {
    ImportResource.organizations: ImportSpec("organizations", organizations.SPEC, OrganizationCreate),
    ImportResource.labs: ImportSpec(
        "labs",
        labs.SPEC,
        LabCreate,
        (Ref("host_organization_id", Organization, "organization", ("host", "organization")),),
        rules=LabRules,
    ),
    ImportResource.funding_streams: ImportSpec(
        "funding-streams",
        funding.STREAM_SPEC,
        FundingStreamCreate,
        (Ref("managing_organization_id", Organization, "organization", ("organization",)),),
        rules=StreamRules,
    ),
    ImportResource.allocations: ImportSpec(
        "allocations",
        funding.ALLOCATION_SPEC,
        AllocationCreate,
        (Ref("stream_id", FundingStream, "funding stream", ("stream",)), LAB, PROJECT, ORGANIZATION),
        rules=AllocationRules,
    ),
    ImportResource.disbursements: ImportSpec(
        "disbursements",
        funding.DISBURSEMENT_SPEC,
        DisbursementCreate,
        (Ref("allocation_id", Allocation, "allocation", ("allocation",)),),
        parent="allocation_id",
        rules=DisbursementRules,
    ),
    ImportResource.projects: ImportSpec(
        "projects",
        projects.SPEC,
        ProjectCreate,
        (LAB, Ref("replicates_project_id", Project, "project", ("replicates",))),
        rules=ProjectRules,
    ),
    ImportResource.project_partners: ImportSpec(
        "project-partners",
        projects.PARTNER_SPEC,
        PartnerCreate,
        (PROJECT, ORGANIZATION),
        parent="project_id",
        natural_key=("project_id", "organization_id", "role"),
        rules=PartnerRules,
    ),
    ImportResource.campaigns: ImportSpec("campaigns", campaigns.SPEC, CampaignCreate, rules=CampaignRules),
    ImportResource.events: ImportSpec(
        "events",
        events.SPEC,
        EventCreate,
        (
            LAB,
            Ref("organizer_organization_id", Organization, "organization", ("organizer", "organization")),
            PROJECT,
            Ref("campaign_id", Campaign, "campaign", ("campaign",)),
        ),
        rules=EventRules,
        nested={column: ("place", key) for column, key in PLACE_COLUMNS.items()},
        read_only=("places_left", "is_full"),
    ),
    ImportResource.sessions: ImportSpec(
        "sessions",
        session_store.SPEC,
        SessionCreate,
        (Ref("event_id", Event, "event", ("event", "event_external_id")),),
        parent="event_id",
        rules=SessionRules,
        keyless=True,
    ),
}
