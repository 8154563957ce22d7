"""A list of the API, declared once by its slice; its route, the fast path, exports and the CLI all read it."""

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, get_args

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import KeyedColumnElement
from starlette.requests import Request
from starlette.responses import Response

from app.core.db import reading
from app.core.errors import FieldError, InvalidInput
from app.core.security import ANONYMOUS, CALLER_STATE, Caller
from app.exports.csv import Separator
from app.lists import export
from app.lists.filters import Filter, Given, where
from app.lists.pages import PageResult, json_page_response, read_page
from app.lists.pagination import SortKey
from app.lists.params import PageParams, export_requested
from app.search.analysis import SearchQuery, parse, ranks, snippet
from app.search.sql import RANK, RELEVANCE, Relevance

HIGHLIGHTED = ("title", "name", "description", "summary", "results", "lessons", "purpose")
"""The texts a highlight is cut from, the first that holds a word found."""


def _sorts(table: Table, params: type[PageParams]) -> dict[str, SortKey]:
    """Each choice of the params' `sort` (`name`, `-name`…) as the column it orders by and its direction;
    `relevance`, how well each row matches `q`, best first (app.search.sql)."""
    choices = get_args(params.model_fields["sort"].annotation)
    return {
        choice: SortKey(Relevance(table).label(RANK), descending=True)
        if choice == RELEVANCE
        else SortKey(table.c[choice.lstrip("-")], choice.startswith("-"))
        for choice in choices
    }


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
    sorts: dict[str, SortKey] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sorts", _sorts(self.table, self.params))

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

    async def respond(self, request: Request, params: Any, within: Mapping[str, Any] | None = None) -> Response:
        """A page as JSON, or the whole list as CSV or JSON Lines when the request asks for an export; the caller
        is the one the access check resolved."""
        caller: Caller = getattr(request.state, CALLER_STATE, ANONYMOUS)
        asked = export_requested(request)
        if asked is not None:
            output, separator = asked
            extension = "csv" if output == "csv" else "jsonl"
            return await export.streamed(
                request,
                lambda engine: self.export_chunks(engine, params, caller, output, separator, within),
                export.media_type(output),
                f'attachment; filename="{self.name}.{extension}"',
            )
        async with reading(request.app.state.reader) as connection:
            page = await self.page(connection, params, caller, within)
        q = getattr(params, "q", None)
        if getattr(params, "highlight", False) and q:
            page = replace(page, highlights=self.highlights(page, parse(q)))
        return json_page_response(request, self.read_model, page)

    def highlights(self, page: PageResult, query: SearchQuery) -> list[str | None]:
        """Each row's extract around the words `query` finds, from the first of its texts that has one."""
        fields = [name for name in HIGHLIGHTED if name in self.read_model.model_fields]
        return [next((found for name in fields if (found := snippet(row[name], query))), None) for row in page.rows]

    def records(
        self, engine: AsyncEngine, params: Any, caller: Caller, within: Mapping[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching item `caller` may see as its JSON object, in the sort's order (the list's default one
        for `relevance`: an export is the whole list, not its best matches), read a chunk at a time."""
        where = self.where(params, caller, within)
        sort = params.sort if params.sort != RELEVANCE else self.params.model_fields["sort"].default
        return export.records(engine, self.table, self.sorts[sort], where, self.read_model, self.tie)

    def export_chunks(
        self,
        engine: AsyncEngine,
        params: Any,
        caller: Caller,
        output: str,
        separator: Separator = Separator.comma,
        within: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[bytes]:
        """The whole list in its sort's order, encoded as `csv` or `jsonl`."""
        return export.encoded(
            self.records(engine, params, caller, within), list(self.read_model.model_fields), output, separator
        )
