"""A list of the API, declared once by its slice; its route, the fast path, exports and the CLI all read it."""

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Table, bindparam
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import KeyedColumnElement
from starlette.requests import Request
from starlette.responses import Response

from app.core.db import reading
from app.core.errors import FieldError, InvalidInput
from app.core.security import ANONYMOUS, CALLER_STATE, Caller
from app.exports.columns import Column, flat_columns
from app.exports.csv import Dialect, Separator
from app.exports.tables import SHEETS
from app.lists import export
from app.lists.filters import Filter, Given, given, where
from app.lists.pages import PageResult, json_page_response, read_page
from app.lists.pagination import SortKey
from app.lists.params import PageParams, export_requested
from app.search.analysis import SearchQuery, parse, ranks, snippet
from app.search.sql import RANK, RELEVANCE, Relevance

HIGHLIGHTED = ("title", "name", "description", "summary", "results", "lessons", "purpose")
"""The texts a highlight is cut from, the first that holds a word found."""


@dataclass(frozen=True)
class ComputedSort:
    """A sort by an expression of a filter's values, ascending: the distance from the point of `near`. The
    filter's first `arity` values make the expression; the sort is only given with that filter."""

    filter: str
    arity: int
    expression: Callable[[Sequence[Any]], ColumnElement[Any]]

    def key(self, name: str, values: Sequence[Any]) -> SortKey:
        return SortKey(self.expression(values[: self.arity]).label(name))


def _sorts(table: Table, params: type[PageParams], computed: Mapping[str, ComputedSort]) -> dict[str, SortKey]:
    """Each choice of the params' `sort` (`name`, `-name`…) as the column it orders by and its direction;
    `relevance`, how well each row matches `q`, best first (app.search.sql); a computed sort's expression binds
    the parameters its filter's values are named by (app.lists.filters)."""
    choices = get_args(params.model_fields["sort"].annotation)
    sorts = {
        choice: SortKey(Relevance(table).label(RANK), descending=True)
        if choice == RELEVANCE
        else SortKey(table.c[choice.lstrip("-")], choice.startswith("-"))
        for choice in choices
        if choice not in computed
    }
    for name, sort in computed.items():
        sorts[name] = sort.key(name, [bindparam(f"{sort.filter}_{index}") for index in range(sort.arity)])
    return sorts


@dataclass(frozen=True)
class Listing:
    """What a list reads (`table`), how its query string is read (`params`, whose `sort` choices are the list's
    sorts), its filters and the shape of its items (`read_model`); `name` names its export files, `tie` is the
    unique column that breaks ties between equal sort keys."""

    name: str
    table: Table
    read_model: type[BaseModel]
    params: type[PageParams]
    filters: tuple[Filter, ...]
    tie: str = "id"
    visibility: Callable[[Caller, Any], Given] | None = None
    """What of the list a caller may see (app.publication.visibility), for lists whose rows may be unpublished."""
    computed: Mapping[str, ComputedSort] = field(default_factory=dict)
    flat: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Object fields a CSV export writes as columns of their own: field → {column: the object's key}."""
    sorts: dict[str, SortKey] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sorts", _sorts(self.table, self.params, self.computed))

    def sort_key(self, params: Any) -> SortKey:
        """The sort of an export: the list's default one for `relevance` (an export is the whole list, not its
        best matches); a computed one with the filter's values themselves (no statement is kept)."""
        sort = params.sort if params.sort != RELEVANCE else self.params.model_fields["sort"].default
        computed = self.computed.get(sort)
        if computed is None:
            return self.sorts[sort]
        found = next(g for g in given(self.filters, params) if g.filter.param == computed.filter)
        return computed.key(sort, found.values)

    def _seen(self, caller: Caller, params: Any) -> list[Given]:
        return [] if self.visibility is None else [self.visibility(caller, params)]

    def where(self, params: Any, caller: Caller, within: Mapping[str, Any] | None = None) -> list[ColumnElement[bool]]:
        """The conditions of the filters `params` give, of what `caller` may see and of the parent `within`, for
        exports and stats."""
        parent: dict[KeyedColumnElement[Any], Any] = {
            self.table.c[name]: value for name, value in (within or {}).items()
        }
        return where(self.filters, params, parent, self._seen(caller, params))

    def sort(self, params: Any) -> str:
        """The sort asked for, else `relevance` when `q` has words to find and the list ranks. Relevance asked
        without words to find is a 422: there is nothing to rank by."""
        ranking = RELEVANCE in self.sorts and ranks(getattr(params, "q", None))
        if "sort" not in params.model_fields_set:
            return RELEVANCE if ranking else str(params.sort)
        if params.sort == RELEVANCE and not ranking:
            error = FieldError(loc=["query", "sort"], msg="relevance needs words to find in q", type="value_error")
            raise InvalidInput([error])
        return str(params.sort)

    async def page(
        self, connection: AsyncConnection, params: Any, caller: Caller, within: Mapping[str, Any] | None = None
    ) -> PageResult:
        """One keyset page of the list, of what `caller` may see (see app.lists.pages)."""
        query = params.list_query(self.sort(params))
        return await read_page(
            connection,
            self.table,
            self.sorts,
            self.filters,
            params,
            query,
            self.read_model,
            within=within,
            tie=self.tie,
            extra=self._seen(caller, params),
        )

    async def respond(
        self,
        request: Request,
        params: Any,
        within: Mapping[str, Any] | None = None,
        connection: AsyncConnection | None = None,
    ) -> Response:
        """A page as JSON (read on `connection` if one is lent), or the whole list as CSV, JSON Lines, XLSX or ODS
        when the request asks for an export; the caller is the one the access check resolved."""
        caller: Caller = getattr(request.state, CALLER_STATE, ANONYMOUS)
        asked = export_requested(request)
        if asked is not None:
            output, separator, dialect = asked
            extension = output
            return await export.streamed(
                request,
                lambda engine: self.export_chunks(engine, params, caller, output, separator, within, dialect),
                export.media_type(output),
                f'attachment; filename="{self.name}.{extension}"',
            )
        async with reading(request.app.state.reader, connection) as reader:
            page = await self.page(reader, params, caller, within)
        q = getattr(params, "q", None)
        if getattr(params, "highlight", False) and q:
            page = replace(page, highlights=self.highlights(page, parse(q)))
        return json_page_response(request, self.read_model, page)

    def highlights(self, page: PageResult, query: SearchQuery) -> list[str | None]:
        """Each row's extract around the words `query` finds, from the first of its texts that has one."""
        fields = [name for name in HIGHLIGHTED if name in self.read_model.model_fields]
        return [next((found for name in fields if (found := snippet(row[name], query))), None) for row in page.rows]

    def records(
        self,
        engine: AsyncEngine,
        params: Any,
        caller: Caller,
        within: Mapping[str, Any] | None = None,
        mode: Literal["json", "python"] = "json",
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching item `caller` may see as its JSON object (or its Python values, `mode="python"`), in
        the sort's order (see `sort_key`), read a chunk at a time."""
        where = self.where(params, caller, within)
        return export.records(engine, self.table, self.sort_key(params), where, self.read_model, self.tie, mode)

    def export_chunks(
        self,
        engine: AsyncEngine,
        params: Any,
        caller: Caller,
        output: str,
        separator: Separator = Separator.comma,
        within: Mapping[str, Any] | None = None,
        dialect: Dialect = Dialect.standard,
    ) -> AsyncIterator[bytes]:
        """The whole list in its sort's order, encoded as `csv`, `jsonl`, `xlsx` or `ods`; in tables each object
        of `flat` is written as its columns (so that a spreadsheet reads them, and an import takes them back)."""
        items = self.records(engine, params, caller, within, "python" if output in SHEETS else "json")
        if output != "jsonl" and self.flat:
            items = self._flattened(items)
        return export.encoded(items, self.columns(), self.name, output, separator, dialect)

    def columns(self) -> tuple[Column, ...]:
        """The columns of its tables (CSV, spreadsheets, the data package's schema)."""
        return flat_columns(self.read_model, self.flat)

    async def _flattened(self, items: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
        async for item in items:
            for name, parts in self.flat.items():
                value = item.get(name) or {}
                item.update((column, value.get(key)) for column, key in parts.items())
            yield item
