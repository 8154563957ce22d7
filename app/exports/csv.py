"""CSV answers that spreadsheets open right: UTF-8 with a BOM, `,` or `;`, streamed in chunks.

The BOM makes Excel read accents as UTF-8; the `;` separator is what French-locale Excel expects. Rows may come
from a list or from an async iterator over a database cursor: they are encoded a chunk at a time, so a million
rows never sit in memory. Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is
prefixed with `'` (OWASP's advice against CSV injection); numbers are written as they are.
"""

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

CSV_MEDIA_TYPE = "text/csv"
BOM = "\ufeff"
CHUNK_ROWS = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Separator(StrEnum):
    """The field separator of a CSV answer."""

    comma = "comma"
    semicolon = "semicolon"

    @property
    def char(self) -> str:
        return "," if self is Separator.comma else ";"


class Dialect(StrEnum):
    """How numbers and fields are written: `standard` (RFC 4180, `.` decimals) or `excel-fr` (`;` and `,`
    decimals, what French-locale Excel reads)."""

    standard = "standard"
    excel_fr = "excel-fr"


OUTPUT_HELP = (
    "`csv`, `xlsx` or `ods` answers with a table (a spreadsheet is typed, its header frozen); `json` (the default) "
    "in JSON; when absent, `Accept: text/csv` asks for CSV."
)
DIALECT_HELP = "CSV dialect: `excel-fr` writes `;` between fields and decimal commas (the separator is then `;`)."


class CsvOptions(BaseModel):
    """Query parameters of an answer that can also be CSV; mixed into a route's parameter model.

    The switch is `output`, not `format`: lists of events already filter on a `format` field. Unknown
    parameters are refused, as on the lists.
    """

    model_config = ConfigDict(extra="forbid")

    output: Literal["json", "csv", "xlsx", "ods"] | None = Field(default=None, description=OUTPUT_HELP)
    separator: Separator = Field(
        default=Separator.comma, description="CSV field separator: `comma`, or `semicolon` for French-locale Excel."
    )
    dialect: Dialect = Field(default=Dialect.standard, description=DIALECT_HELP)


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {CSV_MEDIA_TYPE: {"example": "\ufeffkey,label,count\r\nservice-usager,Service à l'usager,100\r\n"}},
        "description": "JSON by default; CSV with `output=csv` or `Accept: text/csv`.",
    }
}
"""The `responses=` entry of a route that also answers in CSV (its schema comes from app.exports.outputs)."""


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def csv_requested(request: Request, output: str | None = None) -> bool:
    """CSV when asked by a query switch (`output=csv`) or preferred by `Accept` over JSON."""
    if output is not None:
        return output == "csv"
    preferences: dict[str, float] = {}
    for item in request.headers.get("accept", "").split(","):
        media_type, *parameters = item.split(";")
        preferences[media_type.strip().lower()] = _quality(parameters)
    csv_quality = preferences.get(CSV_MEDIA_TYPE, 0.0)
    return csv_quality > 0 and csv_quality > preferences.get("application/json", 0.0)


def cell(value: Any, decimal_comma: bool = False) -> Any:
    """A value as a spreadsheet should see it: text guarded against formulas, dates ISO, null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | Decimal) and decimal_comma:
        return str(value).replace(".", ",")
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


async def each_row(rows: Iterable[Sequence[Any]] | AsyncIterable[Sequence[Any]]) -> AsyncIterator[Sequence[Any]]:
    """Rows given as a list or read as they come, one at a time."""
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            yield row
    else:
        for row in rows:
            yield row


async def csv_chunks(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]] | AsyncIterable[Sequence[Any]],
    separator: Separator = Separator.comma,
    dialect: Dialect = Dialect.standard,
) -> AsyncIterator[bytes]:
    """The BOM and header, then the rows, encoded `CHUNK_ROWS` at a time (CRLF line ends, as RFC 4180 says)."""
    buffer = io.StringIO()
    french = dialect is Dialect.excel_fr
    writer = csv.writer(buffer, delimiter=";" if french else separator.char, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(header)
    pending = 0
    async for row in each_row(rows):
        writer.writerow([cell(value, french) for value in row])
        pending += 1
        if pending == CHUNK_ROWS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def csv_cells(record: dict[str, Any], fields: Sequence[str]) -> list[Any]:
    """A JSON object as CSV cells: lists and objects stay JSON text."""
    return [
        orjson.dumps(value).decode() if isinstance(value, list | dict) else value
        for value in (record.get(name) for name in fields)
    ]
