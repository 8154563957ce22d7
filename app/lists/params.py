"""The query parameters every list shares, and whether a request asks for a page or for an export.

An export is the whole filtered, sorted list (`?output=csv|jsonl|xlsx|ods`, `?format=…` or `Accept`): `limit`,
`cursor` and `include_total` do not apply to it.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import Request

from app.core.errors import FieldError, InvalidInput
from app.core.schemas import AwareInstant
from app.exports.csv import DIALECT_HELP, Dialect, Separator, csv_requested
from app.exports.jsonl import JSONL_MEDIA_TYPE
from app.lists.pages import ListQuery
from app.lists.pagination import DEFAULT_LIMIT, MAX_LIMIT

OUTPUTS = ("json", "csv", "jsonl", "xlsx", "ods")


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
        description="Words to find, all of them, in French: accents, case and elisions ignored, plurals and "
        'inflections found (`laboratoires` finds « laboratoire »); `"a phrase"`, `a OR b`, `-excluded`, `prefix*` '
        "(docs/search.md). With `q`, the default sort is `relevance`.",
    )
    highlight: bool = Field(
        default=False,
        description="With `q`: each item also carries `highlight`, an HTML-escaped extract of its title or text "
        "around the words found, each within `<mark>…</mark>` (null when none is shown).",
    )
    updated_since: AwareInstant | None = Field(
        default=None, description="Only items updated at or after this instant (RFC 3339), for incremental sync."
    )

    output: Literal["json", "csv", "jsonl", "xlsx", "ods"] | None = Field(
        default=None,
        description="`csv`, `jsonl`, `xlsx` or `ods` answers with the whole filtered list, streamed (`limit`, "
        "`cursor` and `include_total` do not apply); `json` (the default) with a page. `format=csv` (or another "
        "of them) says the same, and so do `Accept: text/csv` and `Accept: application/x-ndjson`.",
    )
    separator: Separator = Field(
        default=Separator.comma, description="CSV field separator: `comma`, or `semicolon` for French-locale Excel."
    )
    dialect: Dialect = Field(default=Dialect.standard, description=DIALECT_HELP)

    @model_validator(mode="before")
    @classmethod
    def _format_as_output(cls, data: Any) -> Any:
        """`format=csv|jsonl|json` is the export switch api.md names; no event format has those codes."""
        if isinstance(data, dict) and data.get("format") in OUTPUTS:
            switch = data["format"]
            data = {name: value for name, value in data.items() if name != "format"}
            data.setdefault("output", switch)
        return data


def export_requested(request: Request) -> tuple[str, Separator, Dialect] | None:
    """`(output, separator, dialect)` when the list is asked for as an export, `None` for a JSON page."""
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
    raw_dialect = request.query_params.get("dialect", Dialect.standard.value)
    if raw_dialect not in {dialect.value for dialect in Dialect}:
        choices = ", ".join(dialect.value for dialect in Dialect)
        errors.append(FieldError(loc=["query", "dialect"], msg=f"must be one of {choices}", type="enum"))
    if errors:
        raise InvalidInput(errors)
    separator, dialect = Separator(raw_separator), Dialect(raw_dialect)
    if output == "json":
        return None
    if output is not None:
        return output, separator, dialect
    if csv_requested(request):
        return "csv", separator, dialect
    accept = request.headers.get("accept", "").lower()
    if JSONL_MEDIA_TYPE in accept and "application/json" not in accept:
        return "jsonl", separator, dialect
    return None


LIST_EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {"description": "A page as JSON, or the whole list in the `output` asked for"}
}
"""The `responses=` entry of a list route; its exports' media types are added from app.exports.outputs."""
