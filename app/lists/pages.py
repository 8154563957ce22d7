"""A list page: its SELECT (kept per shape of its filters), the read, and the JSON answer with its `Link`."""

import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from types import UnionType
from typing import Any, Union, get_args, get_origin

import orjson
from pydantic import BaseModel, PlainSerializer, TypeAdapter, WrapSerializer
from sqlalchemy import ColumnElement, Integer, Select, Table, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from app.core.schemas import Page
from app.core.urls import this_url_with
from app.lists.filters import Filter, Given, given, where
from app.lists.pagination import SortKey, cursor_values, next_cursor, seek
from app.lists.reads import fetch_bound, stored_json
from app.search.sql import INDEXED


@dataclass(frozen=True)
class ListQuery:
    """The paging part of a list request, after validation."""

    sort: str
    limit: int
    cursor: str | None = None
    include_total: bool = False


@dataclass(frozen=True)
class PageResult:
    """Rows of one page as plain dicts (no ORM objects on the hot path), and the paging answer."""

    rows: Sequence[Mapping[str, Any]]
    next_cursor: str | None
    total: int | None
    highlights: Sequence[str | None] | None = None
    """Each row's `highlight` (`?highlight=true`), added to its item."""


_selected: dict[tuple[Table, type[BaseModel] | None], Select[Any]] = {}


def _page_select(
    table: Table, sorts: Mapping[str, SortKey], read_model: type[BaseModel] | None, tie: str
) -> Select[Any]:
    """`SELECT` of the columns the response shows, in its order (every column but the search text when it is
    not said), plus the sort keys and the tie-breaking column the cursor needs; built once per list."""
    stmt = _selected.get((table, read_model))
    if stmt is None:
        columns: list[ColumnElement[Any]]
        if read_model is None:
            columns = [c for c in table.c if c.key not in INDEXED]
        else:
            needed = {tie, *(key.column.key for key in sorts.values())}
            shown = [table.c[name] for name in read_model.model_fields if name in table.c]
            # A plain model's page is written by orjson, which takes JSON columns as they are stored.
            columns = [stored_json(column) for column in shown] if _plain(read_model) else list(shown)
            columns += [c for c in table.c if c.key in needed and c.key not in read_model.model_fields]
        stmt = _selected[(table, read_model)] = select(*columns)
    return stmt


@dataclass(frozen=True)
class PageStatement:
    """A page's SELECT as `reads.fetch_bound` takes it: what its SQL depends on (`key`), how to build it with
    named parameters (`build`, once per key) and this request's values for them."""

    key: Hashable
    build: Callable[[], Select[Any]]
    values: dict[str, Any]


def page_statement(
    table: Table,
    sorts: Mapping[str, SortKey],
    declared: Sequence[Filter],
    params: Any,
    query: ListQuery,
    read_model: type[BaseModel] | None = None,
    within: Mapping[str, Any] | None = None,
    tie: str = "id",
    extra: Sequence[Given] = (),
) -> PageStatement:
    """The SELECT of a page: the filters the params give, `extra` ones (what the caller may see) and `column =
    value` for each of `within` (the parent of a nested list), after the cursor in the sort's order (ties broken
    by the unique `tie`), limit + 1 rows."""
    active = [*given(declared, params), *extra]
    inside = tuple((within or {}).items())
    sort_key = sorts[query.sort]
    values: dict[str, Any] = {"page_limit": query.limit + 1}
    for found in active:
        values.update(found.named())
    values.update((f"within_{name}", value) for name, value in inside)
    if query.cursor is not None:
        values["after_key"], values["after_id"] = cursor_values(query.cursor, query.sort, sort_key, table.c[tie])

    def build() -> Select[Any]:
        clauses = [clause for found in active for clause in found.filter.build(found.shape, found.binds())]
        clauses += [table.c[name] == bindparam(f"within_{name}") for name, _ in inside]
        stmt = _page_select(table, sorts, read_model, tie).where(*clauses)
        if sort_key.column.key not in table.c:
            stmt = stmt.add_columns(sort_key.column)
        cursor = None
        if query.cursor is not None:
            cursor = bindparam("after_key", type_=sort_key.column.type), bindparam("after_id", type_=table.c[tie].type)
        return seek(stmt, sort_key, table.c[tie], cursor).limit(bindparam("page_limit", type_=Integer()))

    shapes = tuple((found.filter.param, found.shape, len(found.values)) for found in active)
    key = (table, read_model, query.sort, query.cursor is not None, shapes, tuple(name for name, _ in inside))
    return PageStatement(key, build, values)


async def read_page(
    connection: AsyncConnection,
    table: Table,
    sorts: Mapping[str, SortKey],
    declared: Sequence[Filter],
    params: Any,
    query: ListQuery,
    read_model: type[BaseModel] | None = None,
    *,
    within: Mapping[str, Any] | None = None,
    tie: str = "id",
    extra: Sequence[Given] = (),
) -> PageResult:
    """One keyset page: an index seek after the cursor, limit + 1 rows to know whether another page follows;
    only the columns of `read_model`, as JSON-ready values, from a statement kept per shape."""
    page = page_statement(table, sorts, declared, params, query, read_model, within, tie, extra)
    rows = await fetch_bound(connection, page.key, page.build, page.values)
    total = None
    if query.include_total:
        counted = where(declared, params, {table.c[name]: value for name, value in (within or {}).items()}, extra)
        total = (await connection.execute(select(func.count()).select_from(table).where(*counted))).scalar_one()
    return PageResult(
        rows=rows[: query.limit],
        next_cursor=next_cursor(rows, query.limit, sorts[query.sort], query.sort, tie),
        total=total,
    )


_adapters: dict[type[Any], TypeAdapter[Any]] = {}
_plain_models: dict[type[BaseModel], bool] = {}
_JSON_NATIVE: frozenset[Any] = frozenset({str, int, float, bool, datetime, date, uuid.UUID, type(None), Any})


def _page_adapter(read_model: type[BaseModel]) -> TypeAdapter[Any]:
    adapter = _adapters.get(read_model)
    if adapter is None:
        adapter = _adapters[read_model] = TypeAdapter(Page[read_model])  # type: ignore[valid-type]
    return adapter


def _written_alike(annotation: Any) -> bool:
    """Whether orjson writes values of this type exactly as pydantic does (UTC datetimes with `Z` given)."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType, list):
        return all(_written_alike(arg) for arg in get_args(annotation))
    if origin is dict:
        key, value = get_args(annotation)
        return key is str and _written_alike(value)
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        # An object kept as JSON from its model's own dump: its keys already in the model's order.
        return _plain(annotation)
    return annotation in _JSON_NATIVE


def _plain(read_model: type[BaseModel]) -> bool:
    """A model whose JSON is its fields' values as orjson writes them: no serializer, alias, exclusion or
    computed field, and only types written alike. Rows from our own tables then need no validation."""
    plain = _plain_models.get(read_model)
    if plain is None:
        decorators = read_model.__pydantic_decorators__
        plain = _plain_models[read_model] = (
            not read_model.model_computed_fields
            and not decorators.field_serializers
            and not decorators.model_serializers
            and all(
                _written_alike(field.annotation)
                and field.alias is None
                and field.serialization_alias is None
                and not field.exclude
                and not any(isinstance(m, PlainSerializer | WrapSerializer) for m in field.metadata)
                for field in read_model.model_fields.values()
            )
        )
    return plain


def _uuid_text(value: Any) -> str:
    """asyncpg hands back its own UUID class, a uuid.UUID that orjson does not take for one."""
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _highlighted_body(read_model: type[BaseModel], page: PageResult, highlights: Sequence[str | None]) -> bytes:
    """The page with each item's `highlight` after its fields."""
    adapter = _page_adapter(read_model)
    body: dict[str, Any] = {"items": [dict(row) for row in page.rows], "next_cursor": page.next_cursor}
    if page.total is not None:
        body["total"] = page.total
    dumped = adapter.dump_python(adapter.validate_python(body), mode="json", exclude_unset=True)
    for item, highlight in zip(dumped["items"], highlights, strict=True):
        item["highlight"] = highlight
    return orjson.dumps(dumped)


def page_body(read_model: type[BaseModel], page: PageResult) -> bytes:
    """The page as JSON in one pass: orjson straight from the rows when the model is plain, else pydantic's
    validation and serialisation."""
    fields = read_model.model_fields
    if _plain(read_model):
        rows = page.rows
        if page.highlights is not None:
            rows = [
                {**{name: row[name] for name in fields}, "highlight": highlight}
                for row, highlight in zip(rows, page.highlights, strict=True)
            ]
        elif rows and tuple(rows[0]) != tuple(fields):
            rows = [{name: row[name] for name in fields} for row in rows]
        body: dict[str, Any] = {"items": rows, "next_cursor": page.next_cursor}
        if page.total is not None:
            body["total"] = page.total
        return orjson.dumps(body, default=_uuid_text, option=orjson.OPT_UTC_Z)
    if page.highlights is not None:
        return _highlighted_body(read_model, page, page.highlights)
    body = {"items": [dict(row) for row in page.rows], "next_cursor": page.next_cursor}
    if page.total is not None:
        body["total"] = page.total
    adapter = _page_adapter(read_model)
    return adapter.dump_json(adapter.validate_python(body), exclude_unset=True)


def json_page_response(request: Request, read_model: type[BaseModel], page: PageResult) -> Response:
    """The page as JSON, with `Link: <…>; rel="next"` when another page follows."""
    headers = {}
    if page.next_cursor is not None:
        headers["Link"] = f'<{this_url_with(request, cursor=page.next_cursor)}>; rel="next"'
    return Response(page_body(read_model, page), media_type="application/json", headers=headers)
