"""Whole lists streamed out of the database as CSV or JSON Lines, for HTTP and the CLI alike.

An export is the whole filtered list in the list's sort: `limit`, `cursor` and `include_total` do not apply (a
client that wants pages asks for JSON). Rows come from one server-side cursor (`stream()` with `yield_per`) and
are encoded a chunk at a time, so a million rows never sit in memory. Columns are the JSON field names; lists
and objects are JSON text in a CSV cell, datetimes RFC 3339, money integer cents, as in the JSON answer.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter
from sqlalchemy import ColumnElement, RowMapping, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import StreamingResponse

from app.campaigns import service as campaigns
from app.campaigns.schemas import CampaignFilters, CampaignRead
from app.core import crud
from app.core.crud import ResourceSpec
from app.core.csvout import CSV_MEDIA_TYPE, Separator, csv_chunks
from app.core.errors import BadRequest
from app.core.listing import JSONL_MEDIA_TYPE, ListParams
from app.core.pagination import seek
from app.events import service as events
from app.events.schemas import EventFilters, EventRead
from app.funding import service as funding
from app.funding.schemas import (
    AllocationFilters,
    AllocationRead,
    DisbursementFilters,
    DisbursementRead,
    FundingStreamFilters,
    FundingStreamRead,
)
from app.labs import service as labs
from app.labs.schemas import LabFilters, LabRead
from app.organizations import service as organizations
from app.organizations.schemas import OrganizationFilters, OrganizationRead
from app.projects import service as projects
from app.projects.schemas import LabProjectFilters, PartnerFilters, PartnerRead, ProjectFilters, ProjectRead

YIELD_PER = 1000

Where = list[ColumnElement[bool]]
WhereBuilder = Callable[[AsyncSession, Any, Mapping[str, str]], Awaitable[Where]]


@dataclass(frozen=True)
class ListSource:
    """One exportable list: its table, filter model, WHERE builder (filters plus the path's parent) and shape."""

    name: str
    spec: ResourceSpec[Any]
    params: type[ListParams]
    where: WhereBuilder
    read_model: type[BaseModel]


def _plain(build: Callable[[Any], Where]) -> WhereBuilder:
    async def where(_session: AsyncSession, params: Any, _path: Mapping[str, str]) -> Where:
        return build(params)

    return where


async def _event_where(session: AsyncSession, params: Any, path: Mapping[str, str]) -> Where:
    where = events.filters(params)
    if "lab" in path:
        where.append(events.SPEC.column("lab_id") == (await crud.get(session, labs.SPEC, path["lab"])).id)
    if "campaign" in path:
        campaign = await crud.get(session, campaigns.SPEC, path["campaign"])
        where.append(events.SPEC.column("campaign_id") == campaign.id)
    return where


async def _project_where(session: AsyncSession, params: Any, path: Mapping[str, str]) -> Where:
    where = projects.filters(params)
    if "lab" in path:
        where.append(projects.SPEC.column("lab_id") == (await crud.get(session, labs.SPEC, path["lab"])).id)
    return where


async def _partner_where(session: AsyncSession, params: Any, path: Mapping[str, str]) -> Where:
    return projects.partner_filters(await crud.get(session, projects.SPEC, path["project"]), params)


async def _disbursement_where(session: AsyncSession, params: Any, path: Mapping[str, str]) -> Where:
    allocation = await crud.get(session, funding.ALLOCATION_SPEC, path["allocation"])
    return funding.disbursement_filters(allocation, params)


SOURCES: dict[str, ListSource] = {
    source.name: source
    for source in (
        ListSource(
            "organizations", organizations.SPEC, OrganizationFilters, _plain(organizations.filters), OrganizationRead
        ),
        ListSource("labs", labs.SPEC, LabFilters, _plain(labs.filters), LabRead),
        ListSource(
            "funding-streams",
            funding.STREAM_SPEC,
            FundingStreamFilters,
            _plain(funding.stream_filters),
            FundingStreamRead,
        ),
        ListSource(
            "allocations",
            funding.ALLOCATION_SPEC,
            AllocationFilters,
            _plain(funding.allocation_filters),
            AllocationRead,
        ),
        ListSource("projects", projects.SPEC, ProjectFilters, _project_where, ProjectRead),
        ListSource("campaigns", campaigns.SPEC, CampaignFilters, _plain(campaigns.filters), CampaignRead),
        ListSource("events", events.SPEC, EventFilters, _event_where, EventRead),
    )
}
"""The lists the CLI exports by name (`--resource`)."""

ROUTE_SOURCES: dict[str, ListSource] = {
    "list_organizations": SOURCES["organizations"],
    "list_labs": SOURCES["labs"],
    "list_funding_streams": SOURCES["funding-streams"],
    "list_allocations": SOURCES["allocations"],
    "list_projects": SOURCES["projects"],
    "list_lab_projects": ListSource("projects", projects.SPEC, LabProjectFilters, _project_where, ProjectRead),
    "list_partners": ListSource("project-partners", projects.PARTNER_SPEC, PartnerFilters, _partner_where, PartnerRead),
    "list_campaigns": SOURCES["campaigns"],
    "list_events": SOURCES["events"],
    "list_lab_events": SOURCES["events"],
    "list_campaign_events": SOURCES["events"],
    "list_disbursements": ListSource(
        "disbursements", funding.DISBURSEMENT_SPEC, DisbursementFilters, _disbursement_where, DisbursementRead
    ),
}
"""Each list route (by its name) and what it exports; nested routes narrow to the parent in their path."""


async def stream_rows(
    session: AsyncSession, spec: ResourceSpec[Any], where: Where, sort: str
) -> AsyncIterator[RowMapping]:
    """The matching rows in the list's order, from a server-side cursor fetched `YIELD_PER` at a time."""
    table = spec.table
    columns = [c for c in table.c if c.key != "search_text"]
    stmt = seek(select(*columns).where(*where), spec.sorts[sort], table.c.id, None)
    result = await session.stream(stmt.execution_options(yield_per=YIELD_PER))
    async for row in result.mappings():
        yield row


_adapters: dict[type[BaseModel], TypeAdapter[Any]] = {}


def _adapter(read_model: type[BaseModel]) -> TypeAdapter[Any]:
    adapter = _adapters.get(read_model)
    if adapter is None:
        adapter = _adapters[read_model] = TypeAdapter(read_model)
    return adapter


async def records(
    session: AsyncSession, source: ListSource, params: ListParams, path: Mapping[str, str] | None = None
) -> AsyncIterator[dict[str, Any]]:
    """Each row as its JSON object (the list item's shape, JSON-typed)."""
    where = await source.where(session, params, path or {})
    adapter = _adapter(source.read_model)
    async for row in stream_rows(session, source.spec, where, getattr(params, "sort", source.spec.default_sort)):
        yield adapter.dump_python(adapter.validate_python(dict(row)), mode="json")


def csv_cells(record: Mapping[str, Any], fields: list[str]) -> list[Any]:
    """A JSON object as CSV cells: lists and objects stay JSON text."""
    return [
        orjson.dumps(value).decode() if isinstance(value, list | dict) else value
        for value in (record.get(name) for name in fields)
    ]


async def jsonl_chunks(items: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    """One JSON object a line, `YIELD_PER` lines a chunk."""
    buffer: list[bytes] = []
    async for item in items:
        buffer.append(orjson.dumps(item) + b"\n")
        if len(buffer) == YIELD_PER:
            yield b"".join(buffer)
            buffer.clear()
    yield b"".join(buffer)


async def export_chunks(
    session: AsyncSession,
    source: ListSource,
    params: ListParams,
    output: str,
    separator: Separator = Separator.comma,
    path: Mapping[str, str] | None = None,
) -> AsyncIterator[bytes]:
    """The list encoded as `csv` or `jsonl`, chunk by chunk."""
    items = records(session, source, params, path)
    if output == "jsonl":
        async for chunk in jsonl_chunks(items):
            yield chunk
        return
    fields = list(source.read_model.model_fields)

    async def rows() -> AsyncIterator[list[Any]]:
        async for item in items:
            yield csv_cells(item, fields)

    async for chunk in csv_chunks(fields, rows(), separator):
        yield chunk


async def in_own_session(
    sessionmaker: async_sessionmaker[AsyncSession], chunks: Callable[[AsyncSession], AsyncIterator[bytes]]
) -> AsyncIterator[bytes]:
    """Chunks read in a session of their own: the request's session is closed before a streamed body is sent."""
    async with sessionmaker() as session:
        async for chunk in chunks(session):
            yield chunk


def media_type(output: str) -> str:
    return f"{CSV_MEDIA_TYPE}; charset=utf-8; header=present" if output == "csv" else JSONL_MEDIA_TYPE


def list_export_response(
    request: Request, read_model: type[BaseModel], output: str, separator: Separator
) -> StreamingResponse:
    """The whole list the request names (its route, path and filters), streamed as `csv` or `jsonl`."""
    route = request.scope.get("route")
    source = ROUTE_SOURCES.get(getattr(route, "name", ""))
    if source is None or source.read_model is not read_model:
        raise BadRequest("This list is not available as CSV or JSON Lines; ask for JSON.")
    params = source.params.model_validate(dict(request.query_params))
    path = dict(request.path_params)
    extension = "csv" if output == "csv" else "jsonl"
    return StreamingResponse(
        in_own_session(
            request.app.state.sessionmaker,
            lambda session: export_chunks(session, source, params, output, separator, path),
        ),
        media_type=media_type(output),
        headers={"Content-Disposition": f'attachment; filename="{source.name}.{extension}"'},
    )
