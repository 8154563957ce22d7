"""A table (a header and rows of Python values) in the format asked for: CSV in either dialect, XLSX or ODS.
Lists, figures and the command line all write their tables here."""

from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import Any

from app.exports.columns import layout, sheet_row
from app.exports.csv import CSV_MEDIA_TYPE, Dialect, Separator, csv_chunks, each_row
from app.exports.sheets import ODS_MEDIA_TYPE, XLSX_MEDIA_TYPE, ods_chunks, xlsx_chunks

SHEETS = ("xlsx", "ods")
MEDIA_TYPES = {
    "csv": f"{CSV_MEDIA_TYPE}; charset=utf-8; header=present",
    "xlsx": XLSX_MEDIA_TYPE,
    "ods": ODS_MEDIA_TYPE,
}


async def table_chunks(
    output: str,
    name: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]] | AsyncIterable[Sequence[Any]],
    *,
    separator: Separator = Separator.comma,
    dialect: Dialect = Dialect.standard,
    has_datetimes: bool = False,
) -> AsyncIterator[bytes]:
    """The table as `csv`, `xlsx` or `ods` (sheet `name`), streamed. In a spreadsheet, `_cents` columns get
    their euros beside them and datetimes are shown in the row's `timezone` (else UTC, in a column added)."""
    if output not in SHEETS:
        async for chunk in csv_chunks(header, each_row(rows), separator, dialect):
            yield chunk
        return
    plan = layout(header, has_datetimes)
    typed = (sheet_row(plan, row) async for row in each_row(rows))
    writer = xlsx_chunks if output == "xlsx" else ods_chunks
    async for chunk in writer(name, plan.header, typed, plan.money):
        yield chunk
