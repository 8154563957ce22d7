"""French full-text search: stems beside each searched row, PostgreSQL's tsvector and GIN index, SQLite's FTS5.

Each searched table gets `search_title` (the stems of its title) and `search_text` now holds the stems of the
rest (it held folded words); both are computed for the rows there are. PostgreSQL gets the `unaccent` extension,
the `lab_french` configuration and a generated `search_vector` per table (its title weighted A); SQLite an FTS5
table over the stems, kept by triggers. On a managed PostgreSQL the migrating role must be allowed to create
`unaccent` (docs/search.md).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:00:00+00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from app.core.text import fold
from app.crud import searched
from app.search import schema
from app.search.analysis import stems

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each searched table: its title column, and its other searched columns (True: JSON; `place.name` is a key of
# the JSON object `place`).
SEARCHED: dict[str, tuple[str, dict[str, bool]]] = {
    "organizations": ("name", {"siret": False, "rna": False}),
    "campaigns": ("name", {"description": False}),
    "funding_streams": ("name", {"code": False, "description": False}),
    "allocations": ("reference", {"purpose": False}),
    "labs": ("name", {"city": False, "description": False}),
    "projects": ("title", {"summary": False, "results": False, "lessons": False}),
    "events": (
        "title",
        {"description": False, "city": False, "tags": True, "place.name": True, "place.address": True},
    ),
}
BATCH = 1000


def _text(value: object) -> str:
    if value is None:
        return ""
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def _rewrite(table: str, title: str, body: dict[str, bool], stemmed: bool) -> None:
    """Write each row's search columns: stems (upgrade) or the folded words of old (downgrade)."""
    connection = op.get_bind()
    columns = [title, *body]
    stored = list(dict.fromkeys(c.split(".")[0] for c in columns))
    json = {c.split(".")[0] for c, is_json in body.items() if is_json}
    source = sa.table(
        table,
        sa.column("id", sa.Uuid()),
        *(sa.column(c, sa.JSON() if c in json else sa.Text()) for c in stored),
        sa.column("search_title", sa.Text()),
        sa.column("search_text", sa.Text()),
    )
    read = connection.execute(sa.select(source.c.id, *(source.c[c] for c in stored))).all()
    rows = [(row[0], *(searched(dict(zip(stored, row[1:], strict=True)), c) for c in columns)) for row in read]
    written: dict[str, Any] = {"search_text": sa.bindparam("new_text")}
    if stemmed:
        written["search_title"] = sa.bindparam("new_title")
    update = source.update().where(source.c.id == sa.bindparam("row_id")).values(**written)
    for start in range(0, len(rows), BATCH):
        values = []
        for row in rows[start : start + BATCH]:
            title_text, *rest = (_text(value) for value in row[1:])
            if stemmed:
                values.append({"row_id": row[0], "new_title": stems(title_text), "new_text": stems(*rest)})
            else:
                values.append({"row_id": row[0], "new_text": fold(" ".join(t for t in (title_text, *rest) if t))})
        if values:
            connection.execute(update, values)


def upgrade() -> None:
    connection = op.get_bind()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        schema.create_configuration(connection)
    for table, (title, body) in SEARCHED.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("search_title", sa.Text(), nullable=False, server_default=""))
        _rewrite(table, title, body, stemmed=True)
        if postgresql:
            schema.install_postgresql(connection, table, title, body)
        else:
            schema.install_sqlite(connection, table)


def downgrade() -> None:
    connection = op.get_bind()
    postgresql = connection.dialect.name == "postgresql"
    for table, (title, body) in SEARCHED.items():
        if postgresql:
            schema.drop_postgresql(connection, table)
        else:
            schema.drop_sqlite(connection, table)
        _rewrite(table, title, body, stemmed=False)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("search_title")
    if postgresql:
        connection.exec_driver_sql("DROP TEXT SEARCH CONFIGURATION IF EXISTS lab_french")
