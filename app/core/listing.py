"""The query parameters every list shares, and the response that carries a page (body and `Link`).

Every list also answers as a whole-list export, streamed from the database: `?output=csv` (or `?format=csv`, or
`Accept: text/csv`) and `?output=jsonl` (or `Accept: application/x-ndjson`), with `separator=semicolon` for
French-locale Excel. An export is the whole filtered, sorted list: `limit`, `cursor` and `include_total` do not
apply to it.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import orjson
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, TypeAdapter, WrapSerializer, model_validator
from starlette.requests import Request
from starlette.responses import Response

from app.core.crud import ListQuery, PageResult
from app.core.csvout import Separator, csv_requested
from app.core.errors import FieldError, InvalidInput
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.core.schemas import AwareInstant, Page

JSONL_MEDIA_TYPE = "application/x-ndjson"
OUTPUTS = ("json", "csv", "jsonl")


class PageParams(BaseModel):
    """Paging, which every list takes, the reference lists included."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1–500).")
    cursor: str | None = Field(default=None, max_length=2000, description="The `next_cursor` of the previous page.")
    include_total: bool = Field(default=False, description="Also count every matching item (costs one more query).")

    def list_query(self, sort: str) -> ListQuery:
        return ListQuery(sort=sort, limit=self.limit, cursor=self.cursor, include_total=self.include_total)


class ListParams(PageParams):
    """Paging, search and incremental sync; each list adds its own filters and `sort` choices."""

    q: str | None = Field(
        default=None,
        max_length=200,
        description="Words to find, accents and case ignored: `ecoresponsable` finds « écoresponsable ».",
    )
    updated_since: AwareInstant | None = Field(
        default=None, description="Only items updated at or after this instant (RFC 3339), for incremental sync."
    )

    output: Literal["json", "csv", "jsonl"] | None = Field(
        default=None,
        description="`csv` or `jsonl` answers with the whole filtered list, streamed (`limit`, `cursor` and "
        "`include_total` do not apply); `json` (the default) with a page. `format=csv` (or `jsonl`) says the same, "
        "and so do `Accept: text/csv` and `Accept: application/x-ndjson`.",
    )
    separator: Separator = Field(
        default=Separator.comma, description="CSV field separator: `comma`, or `semicolon` for French-locale Excel."
    )

    @model_validator(mode="before")
    @classmethod
    def _format_as_output(cls, data: Any) -> Any:
        """`format=csv|jsonl|json` is the export switch api.md names; no event format has those codes."""
        if isinstance(data, dict) and data.get("format") in OUTPUTS:
            switch = data["format"]
            data = {name: value for name, value in data.items() if name != "format"}
            data.setdefault("output", switch)
        return data


_adapters: dict[type[Any], TypeAdapter[Any]] = {}
_plain_models: dict[type[BaseModel], bool] = {}
_JSON_NATIVE: frozenset[Any] = frozenset({str, int, bool, datetime, date, uuid.UUID, type(None), Any})


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


def page_body(read_model: type[BaseModel], page: PageResult) -> bytes:
    """The page as JSON in one pass: orjson straight from the rows when the model is plain (the rows are our
    own, typed by their columns), else pydantic's validation and serialisation."""
    fields = read_model.model_fields
    if _plain(read_model):
        rows = page.rows
        if rows and tuple(rows[0]) != tuple(fields):
            rows = [{name: row[name] for name in fields} for row in rows]
        body: dict[str, Any] = {"items": rows, "next_cursor": page.next_cursor}
        if page.total is not None:
            body["total"] = page.total
        return orjson.dumps(body, default=_uuid_text, option=orjson.OPT_UTC_Z)
    body = {"items": [dict(row) for row in page.rows], "next_cursor": page.next_cursor}
    if page.total is not None:
        body["total"] = page.total
    adapter = _page_adapter(read_model)
    return adapter.dump_json(adapter.validate_python(body), exclude_unset=True)


def export_requested(request: Request) -> tuple[str, Separator] | None:
    """`("csv" | "jsonl", separator)` when the list is asked for as an export, `None` for a JSON page."""
    output = request.query_params.get("output")
    if output is None and request.query_params.get("format") in OUTPUTS:
        output = request.query_params["format"]
    raw_separator = request.query_params.get("separator", Separator.comma.value)
    errors = []
    if output is not None and output not in OUTPUTS:
        errors.append(FieldError(loc=["query", "output"], msg=f"must be one of {', '.join(OUTPUTS)}", type="enum"))
    if raw_separator not in Separator.__members__:
        choices = ", ".join(Separator.__members__)
        errors.append(FieldError(loc=["query", "separator"], msg=f"must be one of {choices}", type="enum"))
    if errors:
        raise InvalidInput(errors)
    separator = Separator(raw_separator)
    if output == "json":
        return None
    if output is not None:
        return output, separator
    if csv_requested(request):
        return "csv", separator
    accept = request.headers.get("accept", "").lower()
    if JSONL_MEDIA_TYPE in accept and "application/json" not in accept:
        return "jsonl", separator
    return None


def page_response(request: Request, read_model: type[BaseModel], page: PageResult) -> Response:
    """Serialise a page in one pass and add `Link: <…>; rel="next"` when another page follows.

    Asked for CSV or JSON Lines, the answer is instead the whole list streamed from the database.
    """
    export = export_requested(request)
    if export is not None:
        # Imported here: the exports read every slice's filters, and every slice imports this module.
        from app.exports.lists import list_export_response

        return list_export_response(request, read_model, *export)
    return page_answer(request, read_model, page)


def page_answer(request: Request, read_model: type[BaseModel], page: PageResult) -> Response:
    """The page as JSON, with `Link: <…>; rel="next"` when another page follows."""
    content = page_body(read_model, page)
    headers = {}
    if page.next_cursor is not None:
        headers["Link"] = f'<{request.url.include_query_params(cursor=page.next_cursor)}>; rel="next"'
    return Response(content, media_type="application/json", headers=headers)
