"""HTTP routes of statistics: JSON by default; CSV (`output=csv` or `Accept: text/csv`), XLSX or ODS on demand."""

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from app.auth.dependencies import CallerDep
from app.core.db import SessionDep
from app.core.errors import error_responses
from app.events.schemas import EventFilters
from app.exports.csv import CSV_RESPONSE, CsvOptions, csv_requested
from app.exports.tables import MEDIA_TYPES, SHEETS, table_chunks
from app.funding.schemas import AllocationFilters
from app.labs.dependencies import LabDep
from app.lists.query import QueryModel
from app.projects.schemas import ProjectFilters
from app.stats import service
from app.stats.schemas import (
    Coverage,
    CoverageParams,
    EventGroup,
    EventStats,
    EventStatsOptions,
    EventStatsParams,
    FundingGroup,
    FundingStats,
    FundingStatsOptions,
    FundingStatsParams,
    LabFundingParams,
    Overview,
    OverviewParams,
    ProjectGroup,
    ProjectStats,
    ProjectStatsOptions,
    ProjectStatsParams,
    Scaling,
    ScalingParams,
    split,
)

router = APIRouter(tags=["stats"])

RESPONSES = {**CSV_RESPONSE, **error_responses(422)}


def _table(
    request: Request,
    options: CsvOptions,
    answer: BaseModel,
    filename: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> Response:
    """The answer as JSON (serialised once, already valid), or its figures as a CSV, XLSX or ODS table when
    asked for (`filename` without its extension)."""
    output = options.output if options.output in SHEETS else "csv"
    if output == "csv" and not csv_requested(request, options.output):
        return Response(answer.model_dump_json(), media_type="application/json")
    chunks = table_chunks(output, filename, header, rows, separator=options.separator, dialect=options.dialect)
    disposition = {"Content-Disposition": f'attachment; filename="{filename}.{output}"'}
    return StreamingResponse(chunks, media_type=MEDIA_TYPES[output], headers=disposition)


def _groups(
    request: Request,
    options: CsvOptions,
    answer: EventStats | ProjectStats | FundingStats,
    group: type[BaseModel],
    name: str,
) -> Response:
    """A grouped answer, or its groups as a CSV table (one column per field of a group)."""
    header = list(group.model_fields)
    rows = [[getattr(g, field) for field in header] for g in answer.groups]
    return _table(request, options, answer, f"stats-{name}-by-{answer.group_by}", header, rows)


@router.get("/stats/overview", response_model=Overview, responses=RESPONSES)
async def stats_overview(session: SessionDep, request: Request, params: QueryModel[OverviewParams]) -> Response:
    """Headline figures: labs funded, projects and actions, training sessions, events, people reached; today or,
    with `as_of`, as they stood on that day."""
    answer = await service.overview(session, region=params.region, lab=params.lab, as_of=params.as_of)
    header = list(Overview.model_fields)
    return _table(request, params, answer, "stats-overview", header, [[getattr(answer, f) for f in header]])


@router.get("/stats/events", response_model=EventStats, responses=RESPONSES)
async def stats_events(
    session: SessionDep,
    request: Request,
    caller: CallerDep,
    params: QueryModel[EventStatsParams],  # type: ignore[valid-type]
) -> Response:
    """Events that match the event list's filters, counted by theme, format, region, month, week…"""
    filters, options = split(params, EventFilters, EventStatsOptions)
    answer = await service.event_stats(session, filters, options.group_by, caller)
    return _groups(request, options, answer, EventGroup, "events")


@router.get("/stats/projects", response_model=ProjectStats, responses=RESPONSES)
async def stats_projects(
    session: SessionDep,
    request: Request,
    caller: CallerDep,
    params: QueryModel[ProjectStatsParams],  # type: ignore[valid-type]
) -> Response:
    """Projects and actions that match the project list's filters, counted by status, kind, theme, region or lab;
    with `as_of`, by the phase each was in on that day."""
    filters, options = split(params, ProjectFilters, ProjectStatsOptions)
    answer = await service.project_stats(session, filters, options.group_by, caller, options.as_of)
    return _groups(request, options, answer, ProjectGroup, "projects")


@router.get("/stats/funding", response_model=FundingStats, responses=RESPONSES)
async def stats_funding(
    session: SessionDep,
    request: Request,
    caller: CallerDep,
    params: QueryModel[FundingStatsParams],  # type: ignore[valid-type]
) -> Response:
    """Money of the allocations that match the allocation list's filters: envelope, committed, disbursed, remaining."""
    filters, options = split(params, AllocationFilters, FundingStatsOptions)
    answer = await service.funding_stats(session, filters, options.group_by, caller)
    return _groups(request, options, answer, FundingGroup, "funding")


@router.get("/stats/coverage", response_model=Coverage, responses=RESPONSES)
async def stats_coverage(session: SessionDep, request: Request, params: QueryModel[CoverageParams]) -> Response:
    """Every region with its active and planned labs, and the regions no active lab covers."""
    answer = await service.coverage(session, region=params.region)
    header = ["code", "name", "covered", "active_labs", "planned_labs"]
    rows = [
        [
            r.code,
            r.name,
            bool(r.active_labs),
            ", ".join(lab.name for lab in r.active_labs),
            ", ".join(lab.name for lab in r.planned_labs),
        ]
        for r in answer.regions
    ]
    return _table(request, params, answer, "stats-coverage", header, rows)


@router.get("/stats/scaling", response_model=Scaling, responses=RESPONSES)
async def stats_scaling(
    session: SessionDep,
    request: Request,
    caller: CallerDep,
    params: QueryModel[ScalingParams],  # type: ignore[valid-type]
) -> Response:
    """Projects replicated in other territories, with their replicas and the regions each idea reached."""
    filters, options = split(params, ProjectFilters, CsvOptions)
    answer = await service.scaling(session, filters, caller)
    header = ["slug", "title", "region_code", "replica_count", "territories", "regions", "replicas"]
    rows = [
        [
            p.slug,
            p.title,
            p.region_code,
            p.replica_count,
            p.territories,
            ", ".join(r.code for r in p.regions),
            ", ".join(r.slug for r in p.replicas),
        ]
        for p in answer.originals
    ]
    return _table(request, options, answer, "stats-scaling", header, rows)


@router.get("/labs/{lab}/funding", response_model=FundingStats, responses={**RESPONSES, **error_responses(404)})
async def get_lab_funding(
    session: SessionDep,
    request: Request,
    caller: CallerDep,
    lab: LabDep,
    params: QueryModel[LabFundingParams],  # type: ignore[valid-type]
) -> Response:
    """The money a lab received, by stream unless grouped otherwise: committed, disbursed, still to be paid."""
    filters, options = split(params, AllocationFilters, FundingStatsOptions)
    answer = await service.funding_stats(session, filters, options.group_by, caller, lab=lab)
    return _groups(request, options, answer, FundingGroup, f"funding-{lab.slug}")
