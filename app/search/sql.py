"""`q` in SQL, one construct for both engines: PostgreSQL matches the stored `search_vector` (a GIN index) with
`to_tsquery('lab_french', …)`; SQLite matches the table's FTS5 index `<table>_fts` (external content over
`search_title` and `search_text`, kept by triggers). The statement is written once and compiled per dialect, so
lists, stats, exports and counts all take the same condition (docs/search.md)."""

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Float, Table, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

VECTOR = "search_vector"
"""PostgreSQL's stored tsvector column (generated; not on the model, which both engines share)."""
CONFIGURATION = "lab_french"
INDEXED = frozenset({"search_title", "search_text"})
"""The stems SQLite indexes (app.search.analysis), written beside an entity and never shown."""


def fts_table(table: str) -> str:
    return f"{table}_fts"


class TextMatch(ColumnElement[bool]):
    """Rows matching a parsed `q`: `tsquery` on PostgreSQL; `match` (unless None) and not `excluded` (unless
    None) on SQLite. The three are bound values (or parameters), so a statement is kept per shape."""

    type = Boolean()
    inherit_cache = False
    _is_implicitly_boolean = True

    def __init__(self, table: Table, tsquery: Any, match: Any | None, excluded: Any | None) -> None:
        self.table = table
        self.tsquery = tsquery
        self.matched = match
        self.excluded = excluded


@compiles(TextMatch, "postgresql")
def _postgresql(element: TextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    name = compiler.preparer.format_table(element.table)
    query = compiler.process(element.tsquery, **kw)
    return f"{name}.{VECTOR} @@ to_tsquery('{CONFIGURATION}', {query})"


@compiles(TextMatch, "sqlite")
def _sqlite(element: TextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    name = compiler.preparer.format_table(element.table)
    fts = compiler.preparer.quote(fts_table(element.table.name))
    clauses = []
    if element.matched is not None:
        value = compiler.process(element.matched, **kw)
        clauses.append(f"{name}.rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {value})")
    if element.excluded is not None:
        value = compiler.process(element.excluded, **kw)
        clauses.append(f"{name}.rowid NOT IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {value})")
    return " AND ".join(clauses)


RELEVANCE = "relevance"
RANK = "rank"


class Relevance(ColumnElement[float]):
    """How well a row matches the `q` a list's search filter binds (`q_0`, the tsquery; `q_1`, the FTS5 match:
    relevance is asked only of a `q` with words to find), higher first. PostgreSQL: `ts_rank_cd` (title weighted
    A, 1.0; the rest B, 0.4); SQLite: FTS5's `bm25`, negated, the title column weighted 10 against 1."""

    type = Float()
    inherit_cache = False

    def __init__(self, table: Table) -> None:
        self.table = table


@compiles(Relevance, "postgresql")
def _postgresql_rank(element: Relevance, compiler: SQLCompiler, **kw: Any) -> str:
    name = compiler.preparer.format_table(element.table)
    query = compiler.process(bindparam("q_0"), **kw)
    return f"ts_rank_cd({name}.{VECTOR}, to_tsquery('{CONFIGURATION}', {query}))"


@compiles(Relevance, "sqlite")
def _sqlite_rank(element: Relevance, compiler: SQLCompiler, **kw: Any) -> str:
    name = compiler.preparer.format_table(element.table)
    fts = compiler.preparer.quote(fts_table(element.table.name))
    match = compiler.process(bindparam("q_1"), **kw)
    # The matches are ranked once per statement (a materialized CTE, which SQLite indexes by rowid), then each
    # row looks its rank up: bm25 asked row by row re-reads the word's whole doclist each time (quadratic).
    ranked = f"SELECT rowid AS ranked_rowid, -bm25({fts}, 10.0, 1.0) AS ranked FROM {fts} WHERE {fts} MATCH {match}"
    return f"(WITH ranks AS MATERIALIZED ({ranked}) SELECT ranked FROM ranks WHERE ranked_rowid = {name}.rowid)"
