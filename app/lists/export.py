"""Whole lists streamed out as CSV, JSON Lines, XLSX or ODS, for HTTP and the CLI alike.

Rows are read in keyset chunks, each on a connection held only while the chunk is read, from an engine of
its own: a slow reader holds no connection between chunks, and exports cannot take the API's connections. At
most `MAX_CONCURRENT_EXPORTS` stream at once per worker; beyond, 503 with Retry-After.
"""

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import ColumnElement, RowMapping, Select, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import KeyedColumnElement
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app.core.db import reading
from app.core.errors import ServiceBusy
from app.core.urls import HEAD
from app.exports.columns import Column
from app.exports.csv import Dialect, Separator, csv_cells
from app.exports.jsonl import JSONL_MEDIA_TYPE, jsonl_chunks
from app.exports.tables import MEDIA_TYPES, SHEETS, table_chunks
from app.lists.pagination import SortKey, seek
from app.search.sql import INDEXED

CHUNK_ROWS = 1000


@dataclass
class ExportSlots:
    """The export engine and the exports streaming now in this worker (a local limit, not shared state)."""

    engine: AsyncEngine
    limit: int
    running: int = 0

    def take(self) -> None:
        """Take a slot, or 503 at once: a queue of slow exports would only hold their clients longer."""
        if self.running >= self.limit:
            raise ServiceBusy(f"{self.limit} exports are being streamed by this server; retry shortly.")
        self.running += 1

    def give_back(self) -> None:
        self.running -= 1


async def chunks_of_rows(
    engine: AsyncEngine, stmt: Select[Any], key: SortKey, id_column: KeyedColumnElement[Any]
) -> AsyncIterator[Sequence[RowMapping]]:
    """The rows of `stmt` in the sort's order, `CHUNK_ROWS` a statement, each read on a connection of its own
    (`stmt` selects the sort key and the id under their own names)."""
    after: tuple[Any, Any] | None = None
    while True:
        async with reading(engine) as connection:
            rows = (await connection.execute(seek(stmt, key, id_column, after).limit(CHUNK_ROWS))).mappings().all()
        if rows:
            yield rows
        if len(rows) < CHUNK_ROWS:
            return
        after = (rows[-1][key.column.key], rows[-1][id_column.key])


async def streamed(
    request: Request, chunks: Callable[[AsyncEngine], AsyncIterator[bytes]], media_type: str, disposition: str
) -> Response:
    """An export streamed in one of this worker's slots (a HEAD gets its headers only, nothing read). Its first
    chunk is read before answering, so that a failure to start (the database busy, a reference naming nothing)
    is an error answer, not a cut 200."""
    headers = {"Content-Disposition": disposition}
    if getattr(request.state, HEAD, False):
        return Response(media_type=media_type, headers=headers)
    slots: ExportSlots = request.app.state.exports
    slots.take()
    try:
        stream = chunks(slots.engine)
        first = await anext(stream, b"")
    except BaseException:
        slots.give_back()
        raise

    async def body() -> AsyncIterator[bytes]:
        try:
            yield first
            async for chunk in stream:
                yield chunk
        finally:
            slots.give_back()

    return StreamingResponse(body(), media_type=media_type, headers=headers)


_adapters: dict[type[BaseModel], TypeAdapter[Any]] = {}


def _adapter(read_model: type[BaseModel]) -> TypeAdapter[Any]:
    adapter = _adapters.get(read_model)
    if adapter is None:
        adapter = _adapters[read_model] = TypeAdapter(read_model)
    return adapter


async def records(
    engine: AsyncEngine,
    table: Table,
    key: SortKey,
    where: Sequence[ColumnElement[bool]],
    read_model: type[BaseModel],
    tie: str = "id",
    mode: Literal["json", "python"] = "json",
) -> AsyncIterator[dict[str, Any]]:
    """Each matching row as the list item's object, in the sort's order: JSON-typed, or with Python values
    (`mode="python"`: dates, numbers, UUIDs) for spreadsheets."""
    adapter = _adapter(read_model)
    stmt = select(*(c for c in table.c if c.key not in INDEXED)).where(*where)
    if key.column.key not in table.c:
        stmt = stmt.add_columns(key.column)
    async for rows in chunks_of_rows(engine, stmt, key, table.c[tie]):
        for row in rows:
            yield adapter.dump_python(adapter.validate_python(dict(row)), mode=mode)


async def encoded(
    items: AsyncIterator[dict[str, Any]],
    found: Sequence[Column],
    name: str,
    output: str,
    separator: Separator,
    dialect: Dialect = Dialect.standard,
) -> AsyncIterator[bytes]:
    """Records encoded as `csv`, `jsonl`, `xlsx` or `ods`, chunk by chunk, in these columns."""
    if output == "jsonl":
        async for chunk in jsonl_chunks(items):
            yield chunk
        return
    fields = [column.name for column in found]

    async def rows() -> AsyncIterator[list[Any]]:
        async for item in items:
            yield [item.get(name) for name in fields] if output in SHEETS else csv_cells(item, fields)

    has_datetimes = any(column.kind == "datetime" for column in found)
    chunks = table_chunks(
        output, name, fields, rows(), separator=separator, dialect=dialect, has_datetimes=has_datetimes
    )
    async for chunk in chunks:
        yield chunk


def media_type(output: str) -> str:
    return MEDIA_TYPES.get(output, JSONL_MEDIA_TYPE)
