"""Shapes of the figures, their definitions, and the query parameters that reuse the lists' filters.

Every grouped answer is `{"total", "group_by", "groups": [{"key", "label", "count", …}]}`, largest group first
(ties by key, the group without a value last). Each grouped endpoint takes the filters of its entity's list
(built from the list's own filter model, so a filter means the same in both places) and the CSV switch.
"""

import uuid
from enum import StrEnum
from typing import Any, Final, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, create_model

from app.core.schemas import Day, Read
from app.events.schemas import EventFilters
from app.exports.csv import CsvOptions
from app.funding.schemas import AllocationFilters
from app.lists.params import ListParams
from app.projects.schemas import ProjectFilters
from app.reference.schemas import RegionParam

TRAINING_SESSION: Final = (
    "A training session is an event whose format is `formation` and whose status is not `cancelled`."
)
FUNDED_LAB: Final = "A funded lab is a lab that is the beneficiary of at least one `committed` allocation."
PEOPLE_REACHED: Final = (
    "People reached = the projects' `users_involved` + `agents_involved` + the `participants_count` of the events "
    "that were not cancelled. It counts participations, not distinct people: someone who attended two events, "
    "or took part in a project and an event, counts twice."
)
UNCOVERED_REGION: Final = "An uncovered region is a region with no `active` lab (planned or closed labs do not count)."
CANCELLED_EVENTS: Final = (
    "Cancelled events are counted here like the event list counts them (filter `status` to leave them out); "
    "`training_sessions` never counts them."
)
PARTICIPANTS: Final = "Sum of the events' `participants_count`; an event without one adds nothing."

PAGING: Final = frozenset({"limit", "cursor", "include_total", "sort", "output", "separator", "dialect"})


class EventGrouping(StrEnum):
    theme = "theme"
    format_ = "format"
    region = "region"
    organizer_kind = "organizer_kind"
    attendance_mode = "attendance_mode"
    audience = "audience"
    lab = "lab"
    campaign = "campaign"
    month = "month"
    week = "week"


class ProjectGrouping(StrEnum):
    status = "status"
    kind = "kind"
    theme = "theme"
    region = "region"
    lab = "lab"


class FundingGrouping(StrEnum):
    stream = "stream"
    region = "region"
    lab = "lab"
    year = "year"
    status = "status"


EVENT_GROUPING_HELP: Final = (
    "What to group by: `theme` (primary theme), `format`, `region`, `organizer_kind` (the organizing "
    "organization's kind; `laboratoire` for an event a lab holds with no organization as organizer), "
    "`attendance_mode`, `audience`, `lab` (key: slug), `campaign` (key: slug), `month` (`2020-11`) or `week` "
    "(ISO week, `2020-W47`). Months and weeks are those of the day the event starts on in its own time zone: "
    "23:30 on 31 October in Paris is October's, 01:00 on 1 November in Réunion is November's."
)
PROJECT_GROUPING_HELP: Final = (
    "What to group by: `status`, `kind` (project or action), `theme` (primary theme), `region`, `lab` (key: slug)."
)
FUNDING_GROUPING_HELP: Final = (
    "What to group by: `stream` (key: code; every stream the filters allow is listed, with zeros when no "
    "allocation matches), `region` (the beneficiary lab's region, else the project's, else the organization's), "
    "`lab` (the beneficiary lab, key: slug), `year` (of the decision) or `status`."
)

FiltersT = TypeVar("FiltersT", bound=ListParams)
OptionsT = TypeVar("OptionsT", bound=CsvOptions)


class EventStatsOptions(CsvOptions):
    group_by: EventGrouping = Field(default=EventGrouping.theme, description=EVENT_GROUPING_HELP)


AS_OF_PROJECTS: Final = (
    "Count the projects as they stood on that day: each in the phase it was in then (its history's last "
    "`effective_on` on or before the day; `status` filters that phase), a project whose first phase began later "
    "not at all. The other fields are today's."
)


class ProjectStatsOptions(CsvOptions):
    group_by: ProjectGrouping = Field(default=ProjectGrouping.status, description=PROJECT_GROUPING_HELP)
    as_of: Day | None = Field(default=None, examples=["2020-12-01"], description=AS_OF_PROJECTS)


class FundingStatsOptions(CsvOptions):
    group_by: FundingGrouping = Field(default=FundingGrouping.stream, description=FUNDING_GROUPING_HELP)


def stats_params(
    options: type[CsvOptions],
    filters: type[ListParams],
    name: str,
    doc: str,
    *,
    without: frozenset[str] = frozenset(),
) -> type[BaseModel]:
    """The query model of a stats endpoint: its grouping, the list's filters (no paging or sort), the CSV options.

    Unknown parameters are refused as on the lists, so a misspelt filter never silently widens a figure.
    """

    def fields(model: type[BaseModel], skip: frozenset[str]) -> dict[str, Any]:
        return {n: (f.annotation, f) for n, f in model.model_fields.items() if n not in skip}

    csv = frozenset(CsvOptions.model_fields)
    return create_model(
        name,
        __config__=ConfigDict(extra="forbid"),
        __doc__=doc,
        **fields(options, csv),
        **fields(filters, PAGING | without),
        **fields(CsvOptions, frozenset()),
    )


def split(params: BaseModel, filters: type[FiltersT], options: type[OptionsT]) -> tuple[FiltersT, OptionsT]:
    """The list's own filter object for these parameters (so a figure and its list share one WHERE clause),
    and the endpoint's options."""
    given = vars(params)
    return (
        cast(FiltersT, filters.model_construct(**{n: given[n] for n in filters.model_fields if n in given})),
        cast(OptionsT, options.model_construct(**{n: given[n] for n in options.model_fields})),
    )


EventStatsParams = stats_params(
    EventStatsOptions,
    EventFilters,
    "EventStatsParams",
    "Grouping and filters of the event figures (the event list's filters).",
)
ProjectStatsParams = stats_params(
    ProjectStatsOptions,
    ProjectFilters,
    "ProjectStatsParams",
    "Grouping and filters of the project figures (the project list's filters).",
)
FundingStatsParams = stats_params(
    FundingStatsOptions,
    AllocationFilters,
    "FundingStatsParams",
    "Grouping and filters of the funding figures (the allocation list's filters).",
)
LabFundingParams = stats_params(
    FundingStatsOptions,
    AllocationFilters,
    "LabFundingParams",
    "Grouping and filters of a lab's funding figures (the allocation list's filters, the lab aside).",
    without=frozenset({"lab"}),
)
ScalingParams = stats_params(
    CsvOptions, ProjectFilters, "ScalingParams", "Filters of the original projects (the project list's filters)."
)


class OverviewParams(CsvOptions):
    """Where the overview looks: one region, one lab, or everything."""

    region: RegionParam | None = Field(default=None, description="INSEE code or name.")
    lab: str | None = Field(default=None, max_length=200, description="Lab by id, slug or external_id.")
    as_of: Day | None = Field(
        default=None,
        examples=["2020-12-01"],
        description="The figures as they stood at the end of that day: projects that had begun their first phase, "
        "events that had started, allocations decided and disbursements paid by then. Labs and regions have no "
        "dated history: they are today's.",
    )


class CoverageParams(CsvOptions):
    """Which regions to show."""

    region: RegionParam | None = Field(default=None, description="One region, by INSEE code or name.")


class Group(Read):
    """One group of a grouped figure."""

    key: str | None = Field(
        description="Stable code of the group (theme or format code, INSEE code, slug, `2020-11`, `2020-W47`…); "
        "null for the items that have no value (no region, no lab, no campaign…)."
    )
    label: str = Field(description="French label to show.")
    count: int = Field(description="Items in the group.")


class EventGroup(Group):
    participants: int = Field(description=PARTICIPANTS)
    training_sessions: int = Field(description=TRAINING_SESSION)
    cancelled: int = Field(description="Cancelled events in the group (included in `count`).")


class EventStats(Read):
    """Events that match the filters, grouped; cancelled events are included unless `status` leaves them out."""

    total: int = Field(description=f"Events that match the filters: the list's `total`. {CANCELLED_EVENTS}")
    participants: int = Field(description=PARTICIPANTS)
    training_sessions: int = Field(description=TRAINING_SESSION)
    cancelled: int = Field(description="Cancelled events among them.")
    group_by: EventGrouping
    groups: list[EventGroup]


class ProjectGroup(Group):
    participants: int = Field(description="`users_involved` + `agents_involved` of the group's projects.")
    users_involved: int
    agents_involved: int


class ProjectStats(Read):
    """Projects and actions that match the filters, grouped."""

    total: int = Field(description="Projects and actions that match the filters: the list's `total`.")
    participants: int = Field(description="`users_involved` + `agents_involved`; a project without them adds nothing.")
    users_involved: int
    agents_involved: int
    group_by: ProjectGrouping
    groups: list[ProjectGroup]


ENVELOPE: Final = (
    "The stream's envelope; only when grouped by stream (null otherwise, or when the stream has none). "
    "It is the stream's own figure: filters do not narrow it."
)
REMAINING: Final = (
    "What the stream can still commit: its envelope minus ALL its committed allocations, whatever the filters; "
    "only when grouped by stream and the stream has an envelope, null otherwise."
)
COMMITTED: Final = "Sum of the `committed` allocations."
PROPOSED: Final = "Sum of the `proposed` allocations (not yet decided)."
DISBURSED: Final = "Sum of the disbursements paid against the allocations."
OUTSTANDING: Final = "Committed but not yet paid: committed allocations minus the disbursements paid against them."


class FundingGroup(Group):
    envelope_cents: int | None = Field(description=ENVELOPE)
    committed_cents: int = Field(description=COMMITTED)
    proposed_cents: int = Field(description=PROPOSED)
    disbursed_cents: int = Field(description=DISBURSED)
    remaining_cents: int | None = Field(description=REMAINING)
    outstanding_cents: int = Field(description=OUTSTANDING)


class FundingStats(Read):
    """Allocations that match the filters (`count`: how many), their money grouped; amounts in integer euro cents."""

    total: int = Field(description="Allocations that match the filters: the list's `total`.")
    committed_cents: int = Field(description=COMMITTED)
    proposed_cents: int = Field(description=PROPOSED)
    disbursed_cents: int = Field(description=DISBURSED)
    outstanding_cents: int = Field(description=OUTSTANDING)
    currency: str = Field(description="Every amount is in this currency.")
    group_by: FundingGrouping
    groups: list[FundingGroup]


class Overview(Read):
    """The headline figures of the press release, computed from the data."""

    labs_funded: int = Field(description=FUNDED_LAB)
    labs_active: int = Field(description="Labs whose status is `active`.")
    projects_and_actions: int = Field(description="Projects and actions, whatever their status.")
    projects: int = Field(description="Of which of kind `project`.")
    actions: int = Field(description="Of which of kind `action`.")
    training_sessions: int = Field(description=TRAINING_SESSION)
    events: int = Field(description="Events not cancelled.")
    events_cancelled: int = Field(description="Cancelled events (counted in no other figure).")
    participants: int = Field(description=f"Participants of the events not cancelled. {PARTICIPANTS}")
    users_involved: int = Field(description="Users involved in the projects.")
    agents_involved: int = Field(description="Public agents involved in the projects.")
    people_reached: int = Field(description=PEOPLE_REACHED)
    regions_covered: int = Field(description="Regions with at least one `active` lab.")
    regions_uncovered: int = Field(description=UNCOVERED_REGION)
    committed_cents: int = Field(description=f"{COMMITTED} In integer euro cents.")
    disbursed_cents: int = Field(description=f"{DISBURSED} In integer euro cents.")


class LabRef(Read):
    """A lab, named."""

    id: uuid.UUID
    slug: str
    name: str
    city: str | None


class RegionRef(Read):
    """A region: INSEE code and name."""

    code: str
    name: str


class RegionCoverage(RegionRef):
    active_labs: list[LabRef] = Field(description="The region's `active` labs, by name.")
    planned_labs: list[LabRef] = Field(description="Labs being set up (`planned`), which do not cover it yet.")


class Coverage(Read):
    """Every region with its labs, and the regions with no active lab."""

    regions: list[RegionCoverage] = Field(description="Every region, by INSEE code.")
    uncovered: list[RegionRef] = Field(description=UNCOVERED_REGION)


class ProjectRef(Read):
    """A project, named and placed."""

    id: uuid.UUID
    slug: str
    title: str
    region_code: str | None
    lab_id: uuid.UUID | None


class Replica(ProjectRef):
    replicates_project_id: uuid.UUID = Field(description="The project it replicates (the original, or a replica).")


class ScaledProject(ProjectRef):
    """An original project and every project that took it elsewhere, directly or by replicating a replica."""

    replica_count: int = Field(description="Projects replicating it, directly or through another replica.")
    territories: int = Field(description="Distinct regions the idea reached: its own and its replicas'.")
    regions: list[RegionRef] = Field(description="Those regions, by INSEE code.")
    replicas: list[Replica] = Field(description="The replicas, nearest first.")


class Scaling(Read):
    """Which projects were replicated where, and how many territories each idea reached."""

    total: int = Field(description="Original projects replicated at least once (among those the filters keep).")
    replicas: int = Field(description="Replicas of those originals.")
    originals: list[ScaledProject] = Field(description="Most territories first, then most replicas, then by slug.")
