"""The figures, each answered by one aggregate SQL statement; Python only names the (few) groups it returns.

Grouped figures aggregate in two steps inside one statement: the matching rows are counted per raw column
(`theme_code`, `lab_id`, the local start day…), then those few partial groups are joined to their labels and
re-grouped when several raw values share a key (days into months or ISO weeks, organizers into kinds). The
rows are filtered by the WHERE clause of the entity's own list, so a figure and its list always agree.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Select,
    Subquery,
    Table,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.visitors import replacement_traverse

from app.audit.trail import PUBLISHED
from app.core.security import Caller
from app.events import service as events_service
from app.events.schemas import EventFilters, EventStatus
from app.funding import service as funding_service
from app.funding.schemas import AllocationFilters, AllocationStatus, Currency
from app.labs import service as labs_service
from app.labs.schemas import LabStatus
from app.lists.filters import reference_ids
from app.models import (
    Campaign,
    Disbursement,
    EventFormat,
    FundingStream,
    Lab,
    Organization,
    ProjectStatusChange,
    Region,
    Theme,
)
from app.projects import service as projects_service
from app.projects.schemas import ProjectFilters, ProjectKind
from app.reference.data import TRAINING_FORMAT
from app.stats import labels
from app.stats.schemas import (
    Coverage,
    EventGroup,
    EventGrouping,
    EventStats,
    FundingGroup,
    FundingGrouping,
    FundingStats,
    LabRef,
    Overview,
    ProjectGroup,
    ProjectGrouping,
    ProjectStats,
    RegionCoverage,
    RegionRef,
    Replica,
    ScaledProject,
    Scaling,
)
from app.stats.sql import iso_week_of, month_of, unordered, year_of


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


EVENTS = events_service.SPEC.table
PROJECTS = projects_service.SPEC.table
ALLOCATIONS = funding_service.ALLOCATION_SPEC.table
LABS = labs_service.SPEC.table
STREAMS = _table(FundingStream)
DISBURSEMENTS = _table(Disbursement)
ORGANIZATIONS = _table(Organization)
CAMPAIGNS = _table(Campaign)
REGIONS = _table(Region)
THEMES = _table(Theme)
FORMATS = _table(EventFormat)
HISTORY = _table(ProjectStatusChange)
# Aliases are built once: aliasing a table proxies every column, which costs more than the rest of a query.
EVERY_ALLOCATION = ALLOCATIONS.alias("every_allocation")
ACTIVE_LABS = LABS.alias("active_lab")
CHILD, MEMBER, ROOT = PROJECTS.alias("child"), PROJECTS.alias("member"), PROJECTS.alias("root")


def _int(value: ColumnElement[Any]) -> ColumnElement[int]:
    """An integer sum on every engine (PostgreSQL sums bigints into numerics), 0 rather than null."""
    return cast(func.coalesce(value, 0), BigInteger)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return _int(func.sum(case((condition, 1), else_=0)))


def _sum_if(condition: ColumnElement[bool], value: ColumnElement[Any]) -> ColumnElement[int]:
    return _int(func.sum(case((condition, value), else_=0)))


@dataclass(frozen=True)
class Regroup:
    """How partial groups become the answer's groups: the key, its label (from a table) and what to join."""

    key: ColumnElement[Any]
    label: ColumnElement[Any] | None
    source: FromClause


def _regroup(partial: Subquery, table: Table | None, label: str = "label", code: str = "code") -> Regroup:
    """Key the partial groups by their raw value, labelled from `table` joined on its primary key when given."""
    if table is None:
        return Regroup(partial.c.k, None, partial)
    key_column = table.primary_key.columns.values()[0]
    source = partial.outerjoin(table, key_column == partial.c.k)
    key = partial.c.k if code == key_column.key else table.c[code]
    return Regroup(key, table.c[label], source)


def _grouped(
    partial: Subquery,
    regroup: Regroup,
    measures: Sequence[str],
    *,
    largest: int = 1,
    extra: Sequence[ColumnElement[Any]] = (),
) -> Select[Any]:
    """Sum each measure per key, with the totals of all groups alongside.

    Largest first by the first `largest` measures, ties by key, the group without a key last.
    """
    sums = [_int(func.sum(partial.c[m])).label(m) for m in measures]
    totals = [_int(func.sum(func.sum(partial.c[m])).over()).label(f"total_{m}") for m in measures]
    keys: list[ColumnElement[Any]] = [regroup.key.label("key")]
    group_by: list[ColumnElement[Any]] = [regroup.key]
    if regroup.label is not None:
        keys.append(regroup.label.label("label"))
        group_by.append(regroup.label)
    group_by.extend(extra)
    return (
        select(*keys, *extra, *sums, *totals)
        .select_from(regroup.source)
        .group_by(*group_by)
        .order_by(*(s.desc() for s in sums[:largest]), regroup.key.is_(None), regroup.key)
    )


def _label(row: Mapping[str, Any], names: Mapping[str, str] | None, missing: str) -> str:
    """A group's label: from its table, from an enum's French labels, or the phrase for a missing value."""
    key = row["key"]
    if key is None:
        return missing
    if names is not None:
        return names.get(key, key)
    label: str | None = row.get("label")
    return label if label is not None else str(key)


# Events ---------------------------------------------------------------------------------------------------

EVENT_COLUMNS: dict[EventGrouping, str] = {
    EventGrouping.theme: "theme_code",
    EventGrouping.format_: "format",
    EventGrouping.region: "region_code",
    EventGrouping.organizer_kind: "organizer_organization_id",
    EventGrouping.attendance_mode: "attendance_mode",
    EventGrouping.audience: "audience",
    EventGrouping.lab: "lab_id",
    EventGrouping.campaign: "campaign_id",
    EventGrouping.month: "local_start_date",
    EventGrouping.week: "local_start_date",
}
EVENT_MEASURES = ("count", "participants", "training_sessions", "cancelled")


def _event_regroup(group_by: EventGrouping, partial: Subquery) -> Regroup:
    match group_by:
        case EventGrouping.theme:
            return _regroup(partial, THEMES)
        case EventGrouping.format_:
            return _regroup(partial, FORMATS)
        case EventGrouping.region:
            return _regroup(partial, REGIONS, label="name")
        case EventGrouping.lab:
            return _regroup(partial, LABS, label="name", code="slug")
        case EventGrouping.campaign:
            return _regroup(partial, CAMPAIGNS, label="name", code="slug")
        case EventGrouping.organizer_kind:
            source = partial.outerjoin(ORGANIZATIONS, ORGANIZATIONS.c.id == partial.c.k)
            # A literal, not a parameter: PostgreSQL must see the same expression in SELECT and GROUP BY.
            lab_organizer: ColumnElement[str] = literal_column(f"'{labels.LAB_ORGANIZER}'")
            return Regroup(func.coalesce(ORGANIZATIONS.c.kind, lab_organizer), None, source)
        case EventGrouping.month:
            return Regroup(month_of(partial.c.k), None, partial)
        case EventGrouping.week:
            return Regroup(iso_week_of(partial.c.k), None, partial)
    return _regroup(partial, None)


def is_training_session(events: FromClause = EVENTS) -> ColumnElement[bool]:
    """A training session is an event of format `formation` that was not cancelled."""
    return and_(events.c.format == TRAINING_FORMAT, events.c.status != EventStatus.cancelled)


def event_stats_query(filters: EventFilters, group_by: EventGrouping, caller: Caller) -> Select[Any]:
    """The one statement behind `/stats/events` (the benchmark runs it too)."""
    column = unordered(EVENTS.c[EVENT_COLUMNS[group_by]])
    partial = (
        select(
            column.label("k"),
            func.count().label("count"),
            _int(func.sum(EVENTS.c.participants_count)).label("participants"),
            _count_if(is_training_session()).label("training_sessions"),
            _count_if(EVENTS.c.status == EventStatus.cancelled).label("cancelled"),
        )
        .where(*_scanned(events_service.EVENTS.where(filters, caller)))
        .group_by(column)
        .subquery("partial")
    )
    return _grouped(partial, _event_regroup(group_by, partial), EVENT_MEASURES)


def _scanned(conditions: Sequence[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """The conditions with `publication` read as a plain value: nearly every event is published, and SQLite
    walked that column's index and fetched each row from it, 3 to 4 times slower than scanning the table
    (bench/stats.py); the other filters' indexes still serve."""

    def plain(element: Any, **_kw: Any) -> Any:
        return unordered(element) if element is EVENTS.c.publication else None

    return [replacement_traverse(condition, {}, plain) for condition in conditions]


EVENT_NAMES: dict[EventGrouping, Mapping[str, str]] = {
    EventGrouping.organizer_kind: labels.ORGANIZER_KIND,
    EventGrouping.attendance_mode: labels.ATTENDANCE_MODE,
    EventGrouping.audience: labels.AUDIENCE,
}
EVENT_MISSING: dict[EventGrouping, str] = {
    EventGrouping.region: labels.NO_REGION,
    EventGrouping.lab: labels.NO_LAB,
    EventGrouping.campaign: labels.NO_CAMPAIGN,
}


def _event_label(group_by: EventGrouping, row: Mapping[str, Any]) -> str:
    if group_by is EventGrouping.month and row["key"] is not None:
        return labels.month_label(row["key"])
    if group_by is EventGrouping.week and row["key"] is not None:
        return labels.week_label(row["key"])
    return _label(row, EVENT_NAMES.get(group_by), EVENT_MISSING.get(group_by, ""))


def _totals(rows: Sequence[Mapping[str, Any]], measures: Sequence[str]) -> dict[str, int]:
    """The all-groups totals the statement returned beside every group (zeros when nothing matched)."""
    return {m: rows[0][f"total_{m}"] if rows else 0 for m in measures}


async def event_stats(
    session: AsyncSession, filters: EventFilters, group_by: EventGrouping, caller: Caller
) -> EventStats:
    rows = (await session.execute(event_stats_query(filters, group_by, caller))).mappings().all()
    totals = _totals(rows, EVENT_MEASURES)
    return EventStats(
        total=totals["count"],
        participants=totals["participants"],
        training_sessions=totals["training_sessions"],
        cancelled=totals["cancelled"],
        group_by=group_by,
        groups=[
            EventGroup(
                key=row["key"],
                label=_event_label(group_by, row),
                count=row["count"],
                participants=row["participants"],
                training_sessions=row["training_sessions"],
                cancelled=row["cancelled"],
            )
            for row in rows
        ],
    )


# Projects -------------------------------------------------------------------------------------------------

PROJECT_COLUMNS: dict[ProjectGrouping, str] = {
    ProjectGrouping.status: "status",
    ProjectGrouping.kind: "kind",
    ProjectGrouping.theme: "theme_code",
    ProjectGrouping.region: "region_code",
    ProjectGrouping.lab: "lab_id",
}
PROJECT_MEASURES = ("count", "users_involved", "agents_involved")


def _project_regroup(group_by: ProjectGrouping, partial: Subquery) -> Regroup:
    match group_by:
        case ProjectGrouping.theme:
            return _regroup(partial, THEMES)
        case ProjectGrouping.region:
            return _regroup(partial, REGIONS, label="name")
        case ProjectGrouping.lab:
            return _regroup(partial, LABS, label="name", code="slug")
    return _regroup(partial, None)


def phase_on(day: date) -> ColumnElement[Any]:
    """The status a project was in on `day`: the last change of its history effective on or before it (the one
    written last among those of one day); null when its first phase began later."""
    return (
        select(HISTORY.c.to_status)
        .where(HISTORY.c.project_id == PROJECTS.c.id, HISTORY.c.effective_on <= day)
        .order_by(HISTORY.c.effective_on.desc(), HISTORY.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _begun_by(day: date) -> ColumnElement[bool]:
    """The project's first phase began on or before `day`."""
    return exists().where(HISTORY.c.project_id == PROJECTS.c.id, HISTORY.c.effective_on <= day)


def project_stats_query(
    filters: ProjectFilters, group_by: ProjectGrouping, caller: Caller, as_of: date | None = None
) -> Select[Any]:
    """The one statement behind `/stats/projects`; with `as_of`, each project counts in the phase it was in that
    day (the `status` filter included), and only if it had begun."""
    column: ColumnElement[Any] = PROJECTS.c[PROJECT_COLUMNS[group_by]]
    if as_of is None:
        where = projects_service.PROJECTS.where(filters, caller)
    else:
        phase = phase_on(as_of)
        where = projects_service.PROJECTS.where(filters.model_copy(update={"status": None}), caller)
        where.append(phase == filters.status if filters.status is not None else phase.is_not(None))
        if group_by is ProjectGrouping.status:
            column = phase
    partial = (
        select(
            column.label("k"),
            func.count().label("count"),
            _int(func.sum(PROJECTS.c.users_involved)).label("users_involved"),
            _int(func.sum(PROJECTS.c.agents_involved)).label("agents_involved"),
        )
        .where(*where)
        .group_by(column)
        .subquery("partial")
    )
    return _grouped(partial, _project_regroup(group_by, partial), PROJECT_MEASURES)


PROJECT_NAMES: dict[ProjectGrouping, Mapping[str, str]] = {
    ProjectGrouping.status: labels.PROJECT_STATUS,
    ProjectGrouping.kind: labels.PROJECT_KIND,
}
PROJECT_MISSING: dict[ProjectGrouping, str] = {
    ProjectGrouping.region: labels.NO_REGION,
    ProjectGrouping.lab: labels.NO_LAB,
}


async def project_stats(
    session: AsyncSession,
    filters: ProjectFilters,
    group_by: ProjectGrouping,
    caller: Caller,
    as_of: date | None = None,
) -> ProjectStats:
    rows = (await session.execute(project_stats_query(filters, group_by, caller, as_of))).mappings().all()
    totals = _totals(rows, PROJECT_MEASURES)
    return ProjectStats(
        total=totals["count"],
        participants=totals["users_involved"] + totals["agents_involved"],
        users_involved=totals["users_involved"],
        agents_involved=totals["agents_involved"],
        group_by=group_by,
        groups=[
            ProjectGroup(
                key=row["key"],
                label=_label(row, PROJECT_NAMES.get(group_by), PROJECT_MISSING.get(group_by, "")),
                count=row["count"],
                participants=row["users_involved"] + row["agents_involved"],
                users_involved=row["users_involved"],
                agents_involved=row["agents_involved"],
            )
            for row in rows
        ],
    )


# Funding --------------------------------------------------------------------------------------------------

FUNDING_MEASURES = ("committed_cents", "count", "proposed_cents", "disbursed_cents", "outstanding_cents")


def _allocation_region() -> ColumnElement[Any]:
    """Where money goes: the beneficiary lab's region, else the project's, else the organization's."""
    return func.coalesce(LABS.c.region_code, PROJECTS.c.region_code, ORGANIZATIONS.c.region_code)


def _paid_per_allocation(by: date | None = None) -> Subquery:
    """What was paid against each allocation (by the end of the day `by`, when given)."""
    return (
        select(DISBURSEMENTS.c.allocation_id, func.sum(DISBURSEMENTS.c.amount_cents).label("amount"))
        .where(*([DISBURSEMENTS.c.paid_on <= by] if by is not None else []))
        .group_by(DISBURSEMENTS.c.allocation_id)
        .subquery("paid")
    )


def _funding_partial(where: Sequence[ColumnElement[bool]], group_by: FundingGrouping) -> Subquery:
    """Allocations that match, with what was paid against each, summed per raw value of the grouping."""
    paid = _paid_per_allocation()
    source: FromClause = ALLOCATIONS.outerjoin(paid, paid.c.allocation_id == ALLOCATIONS.c.id)
    column: ColumnElement[Any]
    match group_by:
        case FundingGrouping.stream:
            column = ALLOCATIONS.c.stream_id
        case FundingGrouping.lab:
            column = ALLOCATIONS.c.lab_id
        case FundingGrouping.year:
            column = ALLOCATIONS.c.decided_on
        case FundingGrouping.status:
            column = ALLOCATIONS.c.status
        case FundingGrouping.region:
            column = _allocation_region()
            source = (
                source.outerjoin(LABS, LABS.c.id == ALLOCATIONS.c.lab_id)
                .outerjoin(PROJECTS, PROJECTS.c.id == ALLOCATIONS.c.project_id)
                .outerjoin(ORGANIZATIONS, ORGANIZATIONS.c.id == ALLOCATIONS.c.organization_id)
            )
    committed = ALLOCATIONS.c.status == AllocationStatus.committed
    disbursed = func.coalesce(paid.c.amount, 0)
    return (
        select(
            column.label("k"),
            func.count().label("count"),
            _sum_if(committed, ALLOCATIONS.c.amount_cents).label("committed_cents"),
            _sum_if(ALLOCATIONS.c.status == AllocationStatus.proposed, ALLOCATIONS.c.amount_cents).label(
                "proposed_cents"
            ),
            _int(func.sum(disbursed)).label("disbursed_cents"),
            (_sum_if(committed, ALLOCATIONS.c.amount_cents) - _sum_if(committed, disbursed)).label("outstanding_cents"),
        )
        .select_from(source)
        .where(*where)
        .group_by(column)
        .subquery("partial")
    )


def _stream_grouped(partial: Subquery, stream: str | None) -> Select[Any]:
    """Every stream the `stream` filter allows, its envelope and what remains of it, beside the matching money."""
    everything = EVERY_ALLOCATION
    committed_anywhere = (
        select(_int(func.sum(everything.c.amount_cents)))
        .where(everything.c.stream_id == STREAMS.c.id, everything.c.status == AllocationStatus.committed)
        .scalar_subquery()
    )
    regroup = Regroup(STREAMS.c.code, STREAMS.c.name, STREAMS.outerjoin(partial, partial.c.k == STREAMS.c.id))
    stmt = _grouped(
        partial, regroup, FUNDING_MEASURES, largest=2, extra=[STREAMS.c.id, STREAMS.c.envelope_cents]
    ).add_columns((STREAMS.c.envelope_cents - committed_anywhere).label("remaining_cents"))
    if stream:
        stmt = stmt.where(STREAMS.c.id.in_(funding_service.stream_ids(stream)))
    return stmt


def funding_stats_query(
    filters: AllocationFilters,
    group_by: FundingGrouping,
    caller: Caller,
    extra_where: Sequence[ColumnElement[bool]] = (),
) -> Select[Any]:
    """The one statement behind `/stats/funding` and `/labs/{lab}/funding`."""
    partial = _funding_partial([*funding_service.ALLOCATIONS.where(filters, caller), *extra_where], group_by)
    match group_by:
        case FundingGrouping.stream:
            return _stream_grouped(partial, filters.stream)
        case FundingGrouping.region:
            regroup = _regroup(partial, REGIONS, label="name")
        case FundingGrouping.lab:
            regroup = _regroup(partial, LABS, label="name", code="slug")
        case FundingGrouping.year:
            regroup = Regroup(year_of(partial.c.k), None, partial)
        case FundingGrouping.status:
            regroup = _regroup(partial, None)
    return _grouped(partial, regroup, FUNDING_MEASURES, largest=2)


FUNDING_MISSING: dict[FundingGrouping, str] = {
    FundingGrouping.region: labels.NO_REGION,
    FundingGrouping.lab: labels.NO_LAB,
    FundingGrouping.year: labels.NO_DECISION_DATE,
}


async def funding_stats(
    session: AsyncSession,
    filters: AllocationFilters,
    group_by: FundingGrouping,
    caller: Caller,
    *,
    lab: Lab | None = None,
) -> FundingStats:
    """Money per group; with `lab`, only the allocations whose beneficiary is that lab."""
    extra_where = [ALLOCATIONS.c.lab_id == lab.id] if lab is not None else []
    rows = (await session.execute(funding_stats_query(filters, group_by, caller, extra_where))).mappings().all()
    totals = _totals(rows, FUNDING_MEASURES)
    names = labels.ALLOCATION_STATUS if group_by is FundingGrouping.status else None
    by_stream = group_by is FundingGrouping.stream
    return FundingStats(
        total=totals["count"],
        committed_cents=totals["committed_cents"],
        proposed_cents=totals["proposed_cents"],
        disbursed_cents=totals["disbursed_cents"],
        outstanding_cents=totals["outstanding_cents"],
        currency=Currency.EUR,
        group_by=group_by,
        groups=[
            FundingGroup(
                key=row["key"],
                label=_label(row, names, FUNDING_MISSING.get(group_by, "")),
                count=row["count"],
                envelope_cents=row["envelope_cents"] if by_stream else None,
                committed_cents=row["committed_cents"],
                proposed_cents=row["proposed_cents"],
                disbursed_cents=row["disbursed_cents"],
                remaining_cents=row["remaining_cents"] if by_stream else None,
                outstanding_cents=row["outstanding_cents"],
            )
            for row in rows
        ],
    )


# Overview -------------------------------------------------------------------------------------------------


def overview_query(region: str | None, lab: str | None, as_of: date | None = None) -> Select[Any]:
    """One row of headline figures: one aggregate per table, cross-joined (each is a single row). The figures are
    public ones: events and projects count once published. With `as_of`, the dated rows count as they stood at
    the end of that day (see `OverviewParams.as_of`)."""
    lab_ids = reference_ids(Lab, lab) if lab else None

    def narrowed(region_column: ColumnElement[Any] | None, lab_column: ColumnElement[Any]) -> list[Any]:
        where: list[Any] = []
        if region and region_column is not None:
            where.append(region_column == region)
        if lab_ids is not None:
            where.append(lab_column.in_(lab_ids))
        return where

    cancelled = EVENTS.c.status == EventStatus.cancelled
    events = (
        select(
            func.count().label("all_events"),
            _count_if(cancelled).label("events_cancelled"),
            _count_if(is_training_session()).label("training_sessions"),
            _sum_if(~cancelled, EVENTS.c.participants_count).label("participants"),
        )
        .where(
            EVENTS.c.publication == PUBLISHED,
            *narrowed(EVENTS.c.region_code, EVENTS.c.lab_id),
            *([EVENTS.c.local_start_date <= as_of] if as_of is not None else []),
        )
        .subquery("event_figures")
    )
    projects = (
        select(
            func.count().label("projects_and_actions"),
            _count_if(PROJECTS.c.kind == ProjectKind.project).label("projects"),
            _count_if(PROJECTS.c.kind == ProjectKind.action).label("actions"),
            _int(func.sum(PROJECTS.c.users_involved)).label("users_involved"),
            _int(func.sum(PROJECTS.c.agents_involved)).label("agents_involved"),
        )
        .where(
            PROJECTS.c.publication == PUBLISHED,
            *narrowed(PROJECTS.c.region_code, PROJECTS.c.lab_id),
            *([_begun_by(as_of)] if as_of is not None else []),
        )
        .subquery("project_figures")
    )
    labs = (
        select(_count_if(LABS.c.status == LabStatus.active).label("labs_active"))
        .where(*narrowed(LABS.c.region_code, LABS.c.id))
        .subquery("lab_figures")
    )
    paid = _paid_per_allocation(as_of)
    committed = ALLOCATIONS.c.status == AllocationStatus.committed
    if as_of is not None:
        committed = and_(committed, ALLOCATIONS.c.decided_on <= as_of)
    money = (
        select(
            func.count(distinct(case((committed, ALLOCATIONS.c.lab_id)))).label("labs_funded"),
            _sum_if(committed, ALLOCATIONS.c.amount_cents).label("committed_cents"),
            _int(func.sum(paid.c.amount)).label("disbursed_cents"),
        )
        .select_from(
            ALLOCATIONS.outerjoin(paid, paid.c.allocation_id == ALLOCATIONS.c.id)
            .outerjoin(LABS, LABS.c.id == ALLOCATIONS.c.lab_id)
            .outerjoin(PROJECTS, PROJECTS.c.id == ALLOCATIONS.c.project_id)
            .outerjoin(ORGANIZATIONS, ORGANIZATIONS.c.id == ALLOCATIONS.c.organization_id)
        )
        .where(*narrowed(_allocation_region(), ALLOCATIONS.c.lab_id))
        .subquery("money_figures")
    )
    active_labs = ACTIVE_LABS
    regions = (
        select(
            func.count(distinct(REGIONS.c.code)).label("regions"),
            func.count(distinct(active_labs.c.region_code)).label("regions_covered"),
        )
        .select_from(
            REGIONS.outerjoin(
                active_labs,
                and_(active_labs.c.region_code == REGIONS.c.code, active_labs.c.status == LabStatus.active),
            )
        )
        .where(*([REGIONS.c.code == region] if region else []))
        .subquery("region_figures")
    )
    return select(
        money.c.labs_funded,
        labs.c.labs_active,
        projects.c.projects_and_actions,
        projects.c.projects,
        projects.c.actions,
        events.c.training_sessions,
        (events.c.all_events - events.c.events_cancelled).label("events"),
        events.c.events_cancelled,
        events.c.participants,
        projects.c.users_involved,
        projects.c.agents_involved,
        (projects.c.users_involved + projects.c.agents_involved + events.c.participants).label("people_reached"),
        regions.c.regions_covered,
        (regions.c.regions - regions.c.regions_covered).label("regions_uncovered"),
        money.c.committed_cents,
        money.c.disbursed_cents,
    ).select_from(events.join(projects, true()).join(labs, true()).join(money, true()).join(regions, true()))


async def overview(
    session: AsyncSession, *, region: str | None = None, lab: str | None = None, as_of: date | None = None
) -> Overview:
    """The headline figures, for everything, one region or one lab (regions follow `region` only), today or as
    they stood on `as_of`."""
    row = (await session.execute(overview_query(region, lab, as_of))).mappings().one()
    return Overview.model_validate(dict(row))


# Coverage -------------------------------------------------------------------------------------------------


def coverage_query(region: str | None) -> Select[Any]:
    """Every region (or the one asked for) with its active and planned labs, by name."""
    return (
        select(
            REGIONS.c.code,
            REGIONS.c.name.label("region_name"),
            LABS.c.id,
            LABS.c.slug,
            LABS.c.name,
            LABS.c.city,
            LABS.c.status,
        )
        .select_from(
            REGIONS.outerjoin(
                LABS,
                and_(LABS.c.region_code == REGIONS.c.code, LABS.c.status.in_([LabStatus.active, LabStatus.planned])),
            )
        )
        .where(*([REGIONS.c.code == region] if region else []))
        .order_by(REGIONS.c.code, LABS.c.name, LABS.c.slug)
    )


async def coverage(session: AsyncSession, *, region: str | None = None) -> Coverage:
    """Each region with its active and planned labs; a region with no active lab is uncovered."""
    stmt = coverage_query(region)
    regions: dict[str, RegionCoverage] = {}
    for row in (await session.execute(stmt)).mappings():
        entry = regions.get(row["code"])
        if entry is None:
            entry = regions[row["code"]] = RegionCoverage(
                code=row["code"], name=row["region_name"], active_labs=[], planned_labs=[]
            )
        if row["id"] is not None:
            lab = LabRef(id=row["id"], slug=row["slug"], name=row["name"], city=row["city"])
            (entry.active_labs if row["status"] == LabStatus.active else entry.planned_labs).append(lab)
    return Coverage(
        regions=list(regions.values()),
        uncovered=[RegionRef(code=r.code, name=r.name) for r in regions.values() if not r.active_labs],
    )


# Scaling --------------------------------------------------------------------------------------------------


def scaling_query(filters: ProjectFilters, caller: Caller) -> Select[Any]:
    """Each original (a project replicating none) that was replicated, every project of its tree, and its reach.

    A recursive walk follows `replicates_project_id` down from the originals the filters keep, so a replica of a
    replica counts for the original idea; the territories are the distinct regions of the whole tree.
    """
    anchor = select(
        PROJECTS.c.id.label("root_id"), PROJECTS.c.id.label("id"), literal_column("0").label("depth")
    ).where(PROJECTS.c.replicates_project_id.is_(None), *projects_service.PROJECTS.where(filters, caller))
    tree = anchor.cte("tree", recursive=True)
    child = CHILD
    tree = tree.union_all(
        select(tree.c.root_id, child.c.id, tree.c.depth + 1)
        .select_from(child.join(tree, child.c.replicates_project_id == tree.c.id))
        .where(child.c.publication == PUBLISHED)
    )
    member = MEMBER
    reach = (
        select(
            tree.c.root_id,
            (func.count() - 1).label("replica_count"),
            func.count(distinct(member.c.region_code)).label("territories"),
            func.count().over().label("originals"),
            _int(func.sum(func.count() - 1).over()).label("replicas"),
        )
        .select_from(tree.join(member, member.c.id == tree.c.id))
        .group_by(tree.c.root_id)
        .having(func.count() > 1)
        .subquery("reach")
    )
    root = ROOT
    return (
        select(
            reach,
            tree.c.depth,
            member.c.id,
            member.c.slug,
            member.c.title,
            member.c.region_code,
            member.c.lab_id,
            member.c.replicates_project_id,
            REGIONS.c.name.label("region_name"),
        )
        .select_from(
            reach.join(tree, tree.c.root_id == reach.c.root_id)
            .join(member, member.c.id == tree.c.id)
            .join(root, root.c.id == reach.c.root_id)
            .outerjoin(REGIONS, REGIONS.c.code == member.c.region_code)
        )
        .order_by(
            reach.c.territories.desc(),
            reach.c.replica_count.desc(),
            root.c.slug,
            tree.c.depth,
            member.c.slug,
        )
    )


async def scaling(session: AsyncSession, filters: ProjectFilters, caller: Caller) -> Scaling:
    """Replicas counted are published ones (an idea reaches a territory once it is public there)."""
    rows = (await session.execute(scaling_query(filters, caller))).mappings().all()
    originals: dict[Any, ScaledProject] = {}
    for row in rows:
        ref = {k: row[k] for k in ("id", "slug", "title", "region_code", "lab_id")}
        if row["depth"] == 0:
            originals[row["root_id"]] = ScaledProject(
                **ref, replica_count=row["replica_count"], territories=row["territories"], regions=[], replicas=[]
            )
        else:
            originals[row["root_id"]].replicas.append(
                Replica(**ref, replicates_project_id=row["replicates_project_id"])
            )
        if row["region_code"] is not None:
            regions = originals[row["root_id"]].regions
            if all(r.code != row["region_code"] for r in regions):
                regions.append(RegionRef(code=row["region_code"], name=row["region_name"]))
    for original in originals.values():
        original.regions.sort(key=lambda r: r.code)
    return Scaling(
        total=rows[0]["originals"] if rows else 0,
        replicas=rows[0]["replicas"] if rows else 0,
        originals=list(originals.values()),
    )
