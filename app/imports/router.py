"""HTTP route of bulk imports: a CSV or JSON Lines body, streamed, answered with a report."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from app.auth.dependencies import require, resolve_caller
from app.auth.schemas import Scope
from app.core.db import SessionDep
from app.core.errors import PROBLEM_JSON, NotFound, error_responses
from app.imports.reading import UnsupportedMediaType, Upload, charset_name
from app.imports.schemas import ImportOptions, ImportRejectedProblem, ImportReport, ImportResource
from app.imports.service import import_body
from app.lists.query import QueryModel

router = APIRouter(prefix="/imports", tags=["imports"])

SCOPES = {
    ImportResource.funding_streams: Scope.funding,
    ImportResource.allocations: Scope.funding,
    ImportResource.disbursements: Scope.funding,
}
"""The scope an import needs beyond `write`: the money is written with `funding` only, as through its routes."""

CSV_TYPES = frozenset({"text/csv", "application/csv"})
JSONL_TYPES = frozenset(
    {"application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines"}
)

REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "text/csv": {
            "schema": {"type": "string"},
            "example": "external_id;title;theme;format;attendance_mode;audience;starts_at;ends_at;lab\r\n"
            "evt-1;Atelier design;Design;atelier;in-person;agents;17/11/2020 10:00;17/11/2020 12:00;lab-bretagne\r\n",
        },
        "application/x-ndjson": {
            "schema": {"type": "string"},
            "example": '{"external_id": "org-1", "name": "Ville de Rennes", "kind": "collectivite", "region": "53"}\n',
        },
    },
}


def _media_type(request: Request) -> tuple[bool, str | None]:
    """Whether the body is JSON Lines, and the charset it declares (None: recognised from the bytes); a media
    type or charset that is not accepted is refused here, before the body is read."""
    media_type, *parameters = request.headers.get("content-type", "").split(";")
    media_type = media_type.strip().lower()
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
            if charset is not None:
                charset = charset_name(charset)
    if media_type in CSV_TYPES:
        return False, charset
    if media_type in JSONL_TYPES:
        return True, charset
    raise UnsupportedMediaType(
        f"Send the file as text/csv (',' or ';' separated, UTF-8 or Windows-1252) or application/x-ndjson "
        f"(JSON Lines), not '{media_type or 'no Content-Type'}'."
    )


@router.post(
    "/{resource}",
    response_model=ImportReport,
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={
        **error_responses(400, 404, 409, 413, 415),
        422: {
            "model": ImportRejectedProblem,
            "description": "Rows were rejected by an atomic import (the report is in the problem), or the file "
            "cannot be read at all (empty, header only, unknown columns, undecodable bytes, a line longer than "
            "MAX_IMPORT_LINE_CHARS, a cell csv cannot read: `line` and `column` name it).",
            "content": {PROBLEM_JSON: {}},
        },
    },
)
async def import_rows(
    session: SessionDep,
    request: Request,
    resource: Annotated[
        str, Path(description="What the rows are.", json_schema_extra={"enum": [r.value for r in ImportResource]})
    ],
    options: QueryModel[ImportOptions],
) -> ImportReport:
    """Upsert rows from a CSV or JSON Lines file, by `external_id` (or slug, or a stream's code).

    Columns are the JSON field names; references may be given by friendlier columns (`lab`, `organization`,
    `project`, `campaign`, `stream`, `allocation` by slug, code, external_id or id; `theme` by code or French
    label; `region` by INSEE code or name). Dates may be French (`25/11/2020`, `25/11/2020 14:30`), decimals may
    use a comma. A row identical to what is stored is `unchanged` and not rewritten.

    The encoding is recognised (UTF-8, with or without BOM, or Windows-1252) unless `Content-Type` declares a
    `charset`: utf-8, utf-8-sig, windows-1252, iso-8859-1, iso-8859-15 or us-ascii (or a usual alias); any
    other is 415. The file is read whole before the import takes the database's write lock. The report says
    whether the rows were written (`applied`), what was done (`created`…, 0 when
    nothing was) and what the file amounts to (`would_create`…), and lists the first 1000 errors.
    """
    require(await resolve_caller(request), SCOPES.get(resource, Scope.write))  # type: ignore[call-overload]
    if resource not in set(ImportResource):
        raise NotFound(f"Nothing to import as '{resource}': the resources are {', '.join(ImportResource)}.")
    jsonl, charset = _media_type(request)
    max_line_chars = request.app.state.settings.max_import_line_chars
    upload = await Upload.read(request.stream(), max_line_chars)
    return await import_body(
        session,
        ImportResource(resource),
        upload.chunks(),
        jsonl=jsonl,
        charset=charset,
        dry_run=options.dry_run,
        atomic=options.atomic,
        max_line_chars=max_line_chars,
    )
