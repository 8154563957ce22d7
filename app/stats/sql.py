"""SQL expressions the engines spell differently: calendar keys of a date, and a column read without its index.

Each is written once per dialect (SQLite, the default, and PostgreSQL) so the statements stay engine-neutral.
"""

from typing import Any

from sqlalchemy import ColumnElement, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class unordered(FunctionElement[Any]):
    """A column read as a plain value: SQLite then scans the table instead of walking the column's index in order
    and fetching every row from it, which is several times slower on a large table. A no-op elsewhere."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type


class month_of(FunctionElement[str]):
    """`YYYY-MM` of a date."""

    type = String()
    inherit_cache = True


class iso_week_of(FunctionElement[str]):
    """`YYYY-Www` of a date: its ISO 8601 week and the ISO year that week belongs to."""

    type = String()
    inherit_cache = True


class year_of(FunctionElement[str]):
    """`YYYY` of a date."""

    type = String()
    inherit_cache = True


@compiles(unordered)
def _unordered_sqlite(element: unordered, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


@compiles(unordered, "postgresql")
def _unordered_postgresql(element: unordered, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(month_of)
def _month_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of, "postgresql")
def _month_postgresql(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@compiles(iso_week_of)
def _week_sqlite(element: iso_week_of, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite before 3.46 has no %G/%V: the ISO week is the one of the week's Thursday (same ISO year), and the
    # Thursday of a date's Monday-to-Sunday week is reached by stepping back 3 days, then forward to a Thursday.
    thursday = f"date({compiler.process(element.clauses, **kw)}, '-3 days', 'weekday 4')"
    return f"printf('%s-W%02d', strftime('%Y', {thursday}), (CAST(strftime('%j', {thursday}) AS INTEGER) - 1) / 7 + 1)"


@compiles(iso_week_of, "postgresql")
def _week_postgresql(element: iso_week_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"""to_char({compiler.process(element.clauses, **kw)}, 'IYYY-"W"IW')"""


@compiles(year_of)
def _year_sqlite(element: year_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y', {compiler.process(element.clauses, **kw)})"


@compiles(year_of, "postgresql")
def _year_postgresql(element: year_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY')"
