"""HTTP route of bulk imports: a CSV or JSON Lines file (the body, or a form's file), answered with a report."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from app.auth.dependencies import require, resolve_caller
from app.auth.schemas import Scope
from app.core.db import SessionDep
from app.core.errors import PROBLEM_JSON, NotFound, error_responses
from app.imports.bodies import FILE_FIELD, MULTIPART, read_import_body
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
        MULTIPART: {
            "schema": {
                "type": "object",
                "title": "ImportFile",
                "properties": {
                    FILE_FIELD: {
                        "type": "string",
                        "format": "binary",
                        "contentMediaType": "application/octet-stream",
                        "description": "The file: a .csv, or a .jsonl or .ndjson (JSON Lines), typed by its part's "
                        "Content-Type (which may declare a charset) or else by its extension.",
                    }
                },
                "required": [FILE_FIELD],
                "additionalProperties": False,
            },
            "encoding": {FILE_FIELD: {"contentType": "text/csv, application/x-ndjson, application/octet-stream"}},
        },
    },
}


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

    The file is the body itself (`text/csv`, `application/x-ndjson`), or the part `file` of a
    `multipart/form-data` form.

    Columns are the JSON field names; references may be given by friendlier columns (`lab`, `organization`,
    `project`, `campaign`, `stream`, `allocation` by slug, code, external_id or id; `theme` by code or French
    label; `region` by INSEE code or name). Dates may be French (`25/11/2020`, `25/11/2020 14:30`), decimals may
    use a comma. A row identical to what is stored is `unchanged` and not rewritten.

    The encoding is recognised (UTF-8, with or without BOM, or Windows-1252) unless `Content-Type` (the part's, in
    a form) declares a `charset`: utf-8, utf-8-sig, windows-1252, iso-8859-1, iso-8859-15 or us-ascii (or a usual
    alias); any other is 415. The file is read whole before the import takes the database's write lock. The report says
    whether the rows were written (`applied`), what was done (`created`…, 0 when
    nothing was) and what the file amounts to (`would_create`…), and lists the first 1000 errors.
    """
    require(await resolve_caller(request), SCOPES.get(resource, Scope.write))  # type: ignore[call-overload]
    if resource not in set(ImportResource):
        raise NotFound(f"Nothing to import as '{resource}': the resources are {', '.join(ImportResource)}.")
    max_line_chars = request.app.state.settings.max_import_line_chars
    body = await read_import_body(request, max_line_chars)
    return await import_body(
        session,
        ImportResource(resource),
        body.upload.chunks(),
        jsonl=body.jsonl,
        charset=body.charset,
        dry_run=options.dry_run,
        atomic=options.atomic,
        max_line_chars=max_line_chars,
    )
