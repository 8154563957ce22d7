"""Exports written to a file, for `lab-registry export`: the same streams as the HTTP answers."""

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.core.errors import InvalidInput
from app.core.security import ROOT
from app.events.calendar import ics_chunks
from app.events.schemas import EventFilters
from app.events.sessions import SESSIONS
from app.exports.csv import Dialect, Separator
from app.funding import scdl
from app.funding.schemas import AllocationFilters
from app.labs.schemas import LabFilters
from app.labs.service import geojson_chunks
from app.lists.listing import Listing
from app.opendata.package import LISTINGS

SOURCES: dict[str, Listing] = {listing.name: listing for listing in (*LISTINGS, SESSIONS)}
"""The lists the CLI exports by name (`--resource`)."""


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    xlsx = "xlsx"
    ods = "ods"
    ics = "ics"
    geojson = "geojson"
    scdl = "scdl"


ONLY_FOR = {ExportFormat.ics: "events", ExportFormat.geojson: "labs", ExportFormat.scdl: "allocations"}
"""The formats that fit one resource only."""


class ExportUsageError(Exception):
    """The command's arguments name no export: unknown resource, wrong format for it, or a bad filter."""


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    bytes_written: int
    incomplete_rows: int | None = None


def parse_filters(items: list[str]) -> dict[str, str]:
    """`["lab=bretagne", "theme=service-usager"]` → a filter mapping; each item must be `key=value`."""
    filters: dict[str, str] = {}
    for item in items:
        key, sign, value = item.partition("=")
        if not sign or not key.strip():
            raise ExportUsageError(f"a filter is key=value, not '{item}'")
        filters[key.strip()] = value
    return filters


def _plan(
    resource: str, fmt: ExportFormat, filters: Mapping[str, str], separator: Separator, dialect: Dialect
) -> tuple[Callable[[AsyncEngine], AsyncIterator[bytes]], bool]:
    """What to stream, and whether it is SCDL (whose incomplete rows are counted). The command line reads as the
    root of trust: what is published unless a filter asks for more (`--filter publication=any`)."""
    source = SOURCES.get(resource)
    if source is None:
        raise ExportUsageError(f"unknown resource '{resource}'; choose among {', '.join(SOURCES)}")
    if fmt in ONLY_FOR and ONLY_FOR[fmt] != resource:
        raise ExportUsageError(f"--format {fmt} exports {ONLY_FOR[fmt]} only")
    try:
        params = source.params.model_validate(dict(filters))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'filters'}: {e['msg']}" for e in exc.errors())
        raise ExportUsageError(f"bad filter: {problems}") from None
    if fmt is ExportFormat.ics:
        assert isinstance(params, EventFilters)
        return (lambda engine: _calendar(engine, params)), False
    if fmt is ExportFormat.geojson:
        assert isinstance(params, LabFilters)
        return (lambda engine: geojson_chunks(engine, params, ROOT)), False
    if fmt is ExportFormat.scdl:
        assert isinstance(params, AllocationFilters)
        return (lambda engine: scdl.scdl_chunks(engine, params)), True
    return (lambda engine: source.export_chunks(engine, params, ROOT, fmt.value, separator, None, dialect)), False


async def _calendar(engine: AsyncEngine, params: EventFilters) -> AsyncIterator[bytes]:
    """The feed under the stored names of its filters; a filter naming nothing is a usage error."""
    chunks = ics_chunks(engine, params, ROOT)
    try:
        yield await anext(chunks)
    except InvalidInput as exc:
        raise ExportUsageError(f"bad filter: {'; '.join(f'{e.loc[-1]}: {e.msg}' for e in exc.errors)}") from None
    async for chunk in chunks:
        yield chunk


async def export_to_file(
    settings: Settings,
    resource: str,
    fmt: ExportFormat,
    filters: Mapping[str, str],
    path: Path,
    separator: Separator = Separator.comma,
    dialect: Dialect = Dialect.standard,
) -> ExportSummary:
    """Stream the export into `path`, read a chunk at a time (no lock held while it runs)."""
    chunks, is_scdl = _plan(resource, fmt, filters, separator, dialect)
    engine = create_engine(settings)
    written = 0
    try:
        incomplete = None
        if is_scdl:
            async with create_sessionmaker(engine)() as session:
                incomplete = await scdl.incomplete_rows(session, AllocationFilters.model_validate(dict(filters)))
        stream = chunks(engine)
        # The first chunk before the file: a usage error found by the stream leaves no file behind.
        first = await anext(stream, b"")
        with path.open("wb") as out:
            out.write(first)
            written += len(first)
            async for chunk in stream:
                out.write(chunk)
                written += len(chunk)
    finally:
        await engine.dispose()
    return ExportSummary(path=path, bytes_written=written, incomplete_rows=incomplete)
