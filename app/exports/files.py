"""Exports written to a file, for `lab-registry export`: the same streams as the HTTP answers."""

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.csvout import Separator
from app.core.db import create_engine, create_sessionmaker
from app.core.errors import InvalidInput
from app.events.schemas import EventFilters
from app.exports import scdl
from app.exports.calendar import feed_name, ics_chunks
from app.exports.geojson import geojson_chunks
from app.exports.lists import SOURCES, export_chunks
from app.funding.schemas import AllocationFilters
from app.labs.schemas import LabFilters


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
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
    resource: str, fmt: ExportFormat, filters: Mapping[str, str], separator: Separator
) -> tuple[Callable[[AsyncSession], AsyncIterator[bytes]], bool]:
    """What to stream, and whether it is SCDL (whose incomplete rows are counted)."""
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
        return (lambda session: _calendar(session, params)), False
    if fmt is ExportFormat.geojson:
        assert isinstance(params, LabFilters)
        return (lambda session: geojson_chunks(session, params)), False
    if fmt is ExportFormat.scdl:
        assert isinstance(params, AllocationFilters)
        return (lambda session: scdl.scdl_chunks(session, params)), True
    return (lambda session: export_chunks(session, source, params, fmt.value, separator)), False


async def _calendar(session: AsyncSession, params: EventFilters) -> AsyncIterator[bytes]:
    """The feed under the stored names of its filters; a filter naming nothing is a usage error."""
    try:
        name = await feed_name(await session.connection(), params)
    except InvalidInput as exc:
        raise ExportUsageError(f"bad filter: {'; '.join(f'{e.loc[-1]}: {e.msg}' for e in exc.errors)}") from None
    async for chunk in ics_chunks(session, params, name):
        yield chunk


async def export_to_file(
    settings: Settings,
    resource: str,
    fmt: ExportFormat,
    filters: Mapping[str, str],
    path: Path,
    separator: Separator = Separator.comma,
) -> ExportSummary:
    """Stream the export into `path` in a read-only session (no write lock held while it runs)."""
    chunks, is_scdl = _plan(resource, fmt, filters, separator)
    engine = create_engine(settings)
    written = 0
    try:
        async with create_sessionmaker(engine)() as session:
            incomplete = None
            if is_scdl:
                params = AllocationFilters.model_validate(dict(filters))
                incomplete = await scdl.incomplete_rows(session, params)
            stream = chunks(session)
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
