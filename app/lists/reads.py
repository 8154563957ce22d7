"""Rows of list pages, read through the driver from statements compiled once per shape of their filters, as
JSON-ready values (or, for the key lookup, as the values SQLAlchemy would give). Skipping SQLAlchemy's execution
and result processing halves a page's cost; docs/architecture.md says why and what it keeps."""

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite
import asyncpg
import orjson
from sqlalchemy import JSON, ColumnElement, Select, Text, TypeDecorator, Uuid, cast, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler

from app.core.errors import DatabaseUnavailable
from app.models.base import UTCDateTime

Converter = Callable[[Any], Any]

_MAX_SHAPES = 2000
"""Shapes kept per process: filters × sorts × paging of every list, with room to spare; the oldest goes first."""


@dataclass(frozen=True)
class _Shape:
    """A statement compiled once for one dialect, with what turns a request's values into the driver's."""

    compiled: SQLCompiler
    processors: tuple[tuple[str, Converter | None], ...]
    names: tuple[str, ...]
    converters: tuple[tuple[int, Converter], ...]
    constants: dict[str, Any]
    """Values the statement itself holds (`LIMIT 1` of a subquery), bound with the request's."""


_shapes: dict[tuple[Any, ...], _Shape | None] = {}


class StoredJSON(TypeDecorator[str]):
    """A JSON column read as the text it is stored as, which a page writes as is (an `orjson.Fragment`): no
    parsing, no writing again. The app stores JSON as orjson writes it (`app.core.db.json_text`)."""

    impl = Text
    cache_ok = True


def stored_json(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column` read as `StoredJSON` when it is a JSON column: cast to text, which no driver parses."""
    if not isinstance(column.type, JSON):
        return column
    return type_coerce(cast(column, Text), StoredJSON()).label(column.key)


def _sqlite_uuid(value: str) -> str:
    """SQLite keeps a UUID as 32 hex digits; the API writes it with dashes, as `str(uuid)` does."""
    if len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return value


def _sqlite_instant(fallback: Converter | None) -> Converter:
    """SQLite keeps an instant as UTC text, `2020-11-17 09:30:00.000000`; the API writes `2020-11-17T09:30:00Z`
    (orjson's form of the aware datetime: the fraction only when not zero). Other stored forms are parsed."""

    def convert(value: Any) -> Any:
        if isinstance(value, str) and len(value) == 26 and value[10] == " " and value[19] == ".":
            fraction = "" if value[20:] == "000000" else value[19:]
            return f"{value[:10]}T{value[11:19]}{fraction}Z"
        return fallback(value) if fallback is not None else value

    return convert


def _converter(column_type: Any, dialect: Dialect, typed: bool) -> Converter | None:
    """What turns a stored value of this type into the value the API writes (`typed`: into the Python value
    SQLAlchemy would give); None when it already is one.

    On PostgreSQL asyncpg reads every type the tables use as what the model declares (NUMERIC as a Decimal, FLOAT
    as a float, JSON through the codec the engine set), but UUIDs as its own class, which orjson does not take.
    """
    if typed:
        processor: Converter | None = column_type.dialect_impl(dialect).result_processor(dialect, None)
        return processor
    if isinstance(column_type, StoredJSON):
        return orjson.Fragment
    if dialect.name != "sqlite":
        return str if isinstance(column_type, Uuid) else None
    if isinstance(column_type, Uuid):
        return _sqlite_uuid
    processor = column_type.dialect_impl(dialect).result_processor(dialect, None)
    if isinstance(column_type, UTCDateTime):
        return _sqlite_instant(processor)
    return processor


def _shape(stmt: Select[Any], dialect: Dialect, typed: bool) -> _Shape | None:
    """The statement compiled for the dialect, or None when its SQL is not fixed (parameters rendered when
    executed, such as expanding IN lists), not positional or has unnamed columns: SQLAlchemy then executes it
    as usual."""
    compiled = stmt.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
        return None
    if compiled.post_compile_params or compiled.literal_execute_params:
        return None
    processors = tuple(
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in compiled.positiontup
    )
    columns = list(stmt.selected_columns)
    names = tuple(column.key for column in columns if column.key is not None)
    if len(names) != len(columns):
        return None
    converters = tuple(
        (index, converter)
        for index, column in enumerate(columns)
        if (converter := _converter(column.type, dialect, typed)) is not None
    )
    constants = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
    return _Shape(compiled, processors, names, converters, constants)


def _bound_shape(key: Hashable, build: Callable[[], Select[Any]], dialect: Dialect, typed: bool) -> _Shape | None:
    """The shape kept for the statement `key` stands for on this dialect, built and compiled the first time."""
    shape_key = (dialect.name, dialect.driver, dialect.server_version_info, typed, key)
    if shape_key in _shapes:
        return _shapes[shape_key]
    shape = _shape(build(), dialect, typed)
    if len(_shapes) >= _MAX_SHAPES:
        del _shapes[next(iter(_shapes))]
    _shapes[shape_key] = shape
    return shape


def _bound_values(shape: _Shape, values: Mapping[str, Any]) -> tuple[Any, ...]:
    """The values named, with the statement's own constants, in order and as the driver takes them."""
    given = {**shape.constants, **values}
    return tuple(given[name] if processor is None else processor(given[name]) for name, processor in shape.processors)


def bound_statement(
    key: Hashable, build: Callable[[], Select[Any]], values: Mapping[str, Any], dialect: Dialect
) -> tuple[str, tuple[Any, ...]] | None:
    """The SQL and values `fetch_bound` sends the driver; None when SQLAlchemy executes the statement."""
    shape = _bound_shape(key, build, dialect, False)
    return None if shape is None else (shape.compiled.string, _bound_values(shape, values))


async def _fetch(connection: AsyncConnection, sql: str, values: tuple[Any, ...]) -> Sequence[Any]:
    """The rows, from the connection's driver itself: asyncpg's `fetch`, aiosqlite's `execute_fetchall` (one
    hand-off to its thread where SQLAlchemy's cursor makes four). A connection lost meanwhile leaves the pool,
    as SQLAlchemy would have it, and the read is a 503."""
    driver = (await connection.get_raw_connection()).driver_connection
    try:
        if isinstance(driver, asyncpg.Connection):
            records: list[asyncpg.Record] = await driver.fetch(sql, *values)
            return records
        if isinstance(driver, aiosqlite.Connection):
            return list(await driver.execute_fetchall(sql, values))
    except Exception as exc:
        if isinstance(exc, OSError) or (isinstance(driver, asyncpg.Connection) and driver.is_closed()):
            await connection.invalidate(exc)
            raise DatabaseUnavailable() from exc
        raise
    return (await connection.exec_driver_sql(sql, values)).all()


def _json_ready(shape: _Shape, rows: Sequence[Any]) -> list[dict[str, Any]]:
    names, converters = shape.names, shape.converters
    if not converters or not rows:
        return [dict(zip(names, row, strict=True)) for row in rows]
    # Column by column: one comprehension a converted column costs far less than a loop over each row's values.
    columns = list(zip(*rows, strict=True))
    for index, convert in converters:
        columns[index] = tuple([None if value is None else convert(value) for value in columns[index]])
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


async def fetch_bound(
    connection: AsyncConnection,
    key: Hashable,
    build: Callable[[], Select[Any]],
    values: Mapping[str, Any],
    *,
    typed: bool = False,
) -> list[dict[str, Any]]:
    """The rows, as dicts of JSON-ready values (the API's text for UUIDs, and for instants on SQLite; what the
    column's type reads for the rest), of a statement whose SQL depends only on `key`: `build()` makes it with
    named parameters once per key, and each call binds `values` to them, so no statement is built and no cache
    key computed on the way (see app.lists.filters). `typed`: the Python values SQLAlchemy's own execution gives
    (UUIDs, aware datetimes), for code that compares them rather than writes them."""
    shape = _bound_shape(key, build, connection.dialect, typed)
    if shape is None:
        result = await connection.execute(build(), dict(values))
        names = tuple(result.keys())
        return [dict(zip(names, row, strict=True)) for row in result]
    return _json_ready(shape, await _fetch(connection, shape.compiled.string, _bound_values(shape, values)))
