"""Keyset pagination: opaque cursors, sort specifications and the `WHERE (key, id) > (…)` seek.

A cursor carries the sort it was made for and the last row's key values, so page 10 000 is one index seek
like page 1, and a cursor replayed with another sort is refused rather than silently wrong.
"""

import base64
import binascii
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, literal, tuple_
from sqlalchemy.sql.elements import KeyedColumnElement

from app.core.errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class SortKey:
    """One documented sort: a non-null column (the row id breaks ties) and a direction."""

    column: KeyedColumnElement[Any]
    descending: bool = False


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    """Opaque, URL-safe cursor for the row after which the next page starts."""
    payload = orjson.dumps({"s": sort, "k": [_jsonable(v) for v in values]})
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> list[Any]:
    """The key values a cursor carries; 400 when it was forged, truncated or made for another sort."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError, orjson.JSONDecodeError):
        raise BadRequest("The cursor is not valid; start again without one.") from None
    if not isinstance(data, dict) or not isinstance(data.get("k"), list) or len(data["k"]) != 2:
        raise BadRequest("The cursor is not valid; start again without one.")
    if data.get("s") != sort:
        raise BadRequest(f"The cursor was made for another sort than `{sort}`; start again without one.")
    return list(data["k"])


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | uuid.UUID):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    return value


def _typed(column: KeyedColumnElement[Any], raw: Any) -> Any:
    """Turn a cursor's JSON value back into the column's Python type, refusing anything else.

    A forged cursor must not reach the database with what it cannot bind: text with NUL (PostgreSQL), an
    integer beyond 64 bits, an instant that overflows when moved to UTC. Each would fail there, as a 500.
    """
    python_type = column.type.python_type
    parsers: dict[type[Any], Any] = {datetime: datetime.fromisoformat, date: date.fromisoformat, uuid.UUID: uuid.UUID}
    try:
        if python_type in parsers and isinstance(raw, str):
            value = parsers[python_type](raw)
            if isinstance(value, datetime):
                if value.tzinfo is None:
                    raise ValueError("naive datetime")
                return value.astimezone(UTC)
            return value
        if python_type is str and isinstance(raw, str) and "\x00" not in raw:
            return raw
        if python_type is int and type(raw) is int and _INT64_MIN <= raw <= _INT64_MAX:
            return raw
        if python_type is float and type(raw) in (int, float) and math.isfinite(raw):
            return float(raw)
    except (ValueError, OverflowError):
        pass
    raise BadRequest("The cursor is not valid; start again without one.")


def cursor_values(cursor: str, sort: str, key: SortKey, id_column: KeyedColumnElement[Any]) -> tuple[Any, Any]:
    """The sort key value and id of the row a cursor was made after, as their columns' Python types."""
    raw_value, raw_id = decode_cursor(cursor, sort)
    return _typed(key.column, raw_value), _typed(id_column, raw_id)


def seek(
    stmt: Select[Any], key: SortKey, id_column: KeyedColumnElement[Any], after: tuple[Any, Any] | None
) -> Select[Any]:
    """Order by the sort key then id, and start after the row whose (key, id) is `after` when given (values, or
    parameters to bind them)."""
    stmt = stmt.order_by(*_ordering(key.column, key.descending, id_column))
    if after is None:
        return stmt
    columns = (key.column, id_column)
    row = tuple_(
        *(v if isinstance(v, ColumnElement) else literal(v, c.type) for v, c in zip(after, columns, strict=True))
    )
    following: ColumnElement[bool] = tuple_(*columns) < row if key.descending else tuple_(*columns) > row
    return stmt.where(following)


@cache
def _ordering(
    column: KeyedColumnElement[Any], descending: bool, id_column: KeyedColumnElement[Any]
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """`ORDER BY key, id` in one direction, built once per sort (each request would build it again)."""
    return (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())


def next_cursor(
    rows: Sequence[Mapping[str, Any]], limit: int, key: SortKey, sort: str, id_key: str = "id"
) -> str | None:
    """The cursor after the last row of a full page (the query fetched limit + 1 rows to know); `id_key` names
    the column that breaks ties (a table keyed by code has no id)."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    value = last[key.column.key]
    if isinstance(value, str) and key.column.type.python_type is datetime:
        # An instant read as the API's text (SQLite's rows, see app.lists.reads): the cursor keeps one form.
        value = datetime.fromisoformat(value)
    return encode_cursor(sort, [value, last[id_key]])


def sorts_for(model: Any, *names: str) -> dict[str, SortKey]:
    """`name` and `-name` for each sortable column, plus created_at and updated_at both ways."""
    table = model.__table__
    sorts: dict[str, SortKey] = {}
    for name in (*names, "created_at", "updated_at"):
        sorts[name] = SortKey(table.c[name])
        sorts[f"-{name}"] = SortKey(table.c[name], descending=True)
    return sorts
