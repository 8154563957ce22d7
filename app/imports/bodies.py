"""The body of an import as sent: the file itself (`text/csv` or JSON Lines), or the file as the part `file` of a
`multipart/form-data` form (Swagger UI's file picker, generated clients, `curl -F file=@rows.csv`).

Either way the file is read whole, spooled (memory up to a megabyte, disk beyond), before the import starts; the
body's size limit, the charset allow-list and the line-length limit apply alike.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from app.core.errors import BadRequest
from app.imports.reading import PIECE_BYTES, ImportFileError, UnsupportedMediaType, Upload, charset_name

CSV_TYPES = frozenset({"text/csv", "application/csv"})
JSONL_TYPES = frozenset(
    {"application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines"}
)
MULTIPART = "multipart/form-data"
FILE_FIELD = "file"
UNTYPED = frozenset({"", "application/octet-stream", "text/plain"})
"""A part's types that say nothing of the format: its file name's extension does (`.csv`, `.jsonl`, `.ndjson`)."""
SUFFIXES = {".csv": False, ".jsonl": True, ".ndjson": True}


@dataclass
class ImportBody:
    upload: Upload
    jsonl: bool
    charset: str | None
    """The declared charset's name in CHARSETS; None: recognised from the bytes."""


def _content_type(header: str) -> tuple[str, str | None]:
    """The media type and the declared charset (415 when it is not one of CHARSETS)."""
    media_type, *parameters = header.split(";")
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            declared = value.strip().strip('"')
            charset = charset_name(declared) if declared else None
    return media_type.strip().lower(), charset


def _is_jsonl(media_type: str, filename: str | None = None) -> bool:
    """Whether the file is JSON Lines (else CSV), by its media type, or for an untyped part by its extension."""
    if media_type in CSV_TYPES:
        return False
    if media_type in JSONL_TYPES:
        return True
    suffix = PurePosixPath(filename or "").suffix.lower()
    if filename is not None and media_type in UNTYPED and suffix in SUFFIXES:
        return SUFFIXES[suffix]
    raise UnsupportedMediaType(
        f"Send the file as text/csv (',' or ';' separated, UTF-8 or Windows-1252) or application/x-ndjson "
        f"(JSON Lines), raw or as the part '{FILE_FIELD}' of a {MULTIPART} form (a .csv, .jsonl or .ndjson file), "
        f"not '{media_type or 'no Content-Type'}'."
    )


async def read_import_body(request: Request, max_line_chars: int) -> ImportBody:
    """The file of an import request, read whole; its media type and charset are checked before it is read."""
    media_type, charset = _content_type(request.headers.get("content-type", ""))
    if media_type != MULTIPART:
        jsonl = _is_jsonl(media_type)
        return ImportBody(await Upload.read(request.stream(), max_line_chars), jsonl, charset)
    part = await _file_part(request)
    try:
        part_type, charset = _content_type(part.content_type or "")
        jsonl = _is_jsonl(part_type, part.filename)
        return ImportBody(await Upload.read(_pieces(part), max_line_chars), jsonl, charset)
    finally:
        await part.close()


class _Form(MultiPartParser):
    """Starlette's parser, which also refuses a form cut short (no closing boundary): Starlette would return
    the parts finished so far and leave the cut part's spool open."""

    ended = False

    def on_end(self) -> None:
        self.ended = True

    async def parse(self) -> FormData:
        form = await super().parse()
        if not self.ended:
            for file in self._files_to_close_on_error:
                file.close()
            await form.close()
            raise MultiPartException("the body ends before the form's closing boundary.")
        return form


async def _file_part(request: Request) -> UploadFile:
    """The form's one file, `file`; any other field, a second file or a malformed form is a 400."""
    parser = _Form(request.headers, request.stream(), max_files=1, max_fields=0)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadRequest(
            f"The {MULTIPART} body must hold one part, the file named '{FILE_FIELD}': {exc.message}"
        ) from None
    part = form.get(FILE_FIELD)
    if not isinstance(part, UploadFile):
        await form.close()
        raise ImportFileError(f"The {MULTIPART} body holds no file named '{FILE_FIELD}': send the file in that part.")
    return part


async def _pieces(part: UploadFile) -> AsyncIterator[bytes]:
    while piece := await part.read(PIECE_BYTES):
        yield piece
