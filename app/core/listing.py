"""The query parameters every list shares, and the response that carries a page (body and `Link`)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from starlette.requests import Request
from starlette.responses import Response

from app.core.crud import ListQuery, PageResult
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.core.schemas import Page


class ListParams(BaseModel):
    """Paging, search and incremental sync; each list adds its own filters and `sort` choices."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1–500).")
    cursor: str | None = Field(default=None, max_length=2000, description="The `next_cursor` of the previous page.")
    include_total: bool = Field(default=False, description="Also count every matching item (costs one more query).")
    q: str | None = Field(
        default=None,
        max_length=200,
        description="Words to find, accents and case ignored: `ecoresponsable` finds « écoresponsable ».",
    )
    updated_since: datetime | None = Field(
        default=None, description="Only items updated at or after this instant (RFC 3339), for incremental sync."
    )

    def list_query(self, sort: str) -> ListQuery:
        return ListQuery(sort=sort, limit=self.limit, cursor=self.cursor, include_total=self.include_total)


_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def _page_adapter(read_model: type[BaseModel]) -> TypeAdapter[Any]:
    adapter = _adapters.get(read_model)
    if adapter is None:
        adapter = _adapters[read_model] = TypeAdapter(Page[read_model])  # type: ignore[valid-type]
    return adapter


def page_response(request: Request, read_model: type[BaseModel], page: PageResult) -> Response:
    """Serialise a page in one pass and add `Link: <…>; rel="next"` when another page follows."""
    body: dict[str, Any] = {"items": [dict(row) for row in page.rows], "next_cursor": page.next_cursor}
    if page.total is not None:
        body["total"] = page.total
    adapter = _page_adapter(read_model)
    content = adapter.dump_json(adapter.validate_python(body), exclude_unset=True)
    headers = {}
    if page.next_cursor is not None:
        headers["Link"] = f'<{request.url.include_query_params(cursor=page.next_cursor)}>; rel="next"'
    return Response(content, media_type="application/json", headers=headers)
