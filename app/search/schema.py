"""The text indexes each engine keeps beside a searched table, created by migrations (docs/search.md).

They are not on the models, which both engines share: PostgreSQL has a generated `search_vector` column and its
GIN index, SQLite an FTS5 table `<table>_fts` and three triggers. `kept_by_migrations` tells Alembic's
autogenerate to leave them alone. A migration that rebuilds a searched table on SQLite (a batch copy) drops its
triggers and changes its rowids: it calls `install_sqlite` again afterwards.
"""

from typing import Any

from sqlalchemy.engine import Connection

from app.search.sql import CONFIGURATION, VECTOR, fts_table

_FTS_SUFFIXES = ("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config", "_fts_content")


def kept_by_migrations(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's `include_object`: False for the search indexes the models do not declare."""
    if type_ == "table" and name is not None and name.endswith(_FTS_SUFFIXES):
        return False
    if type_ == "column" and name == VECTOR:
        return False
    return not (type_ == "index" and name is not None and name.endswith("_search_vector"))


def create_configuration(connection: Connection) -> None:
    """`lab_french`: the `french` configuration whose words go through `unaccent` before the Snowball stemmer
    (needs the `unaccent` extension, which a managed PostgreSQL allows its owner role to create)."""
    connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    connection.exec_driver_sql(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIGURATION}")
    connection.exec_driver_sql(f"CREATE TEXT SEARCH CONFIGURATION {CONFIGURATION} (COPY = french)")
    connection.exec_driver_sql(
        f"ALTER TEXT SEARCH CONFIGURATION {CONFIGURATION} ALTER MAPPING FOR "
        "asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH unaccent, french_stem"
    )


def _text(column: str, json: bool) -> str:
    """A searched column as text; `place.name` is the key `name` of the JSON object `place`."""
    if "." in column:
        name, key = column.split(".", 1)
        return f"coalesce({name}->>'{key}', '')"
    return f"coalesce({column}::text, '')" if json else f"coalesce({column}, '')"


def install_postgresql(connection: Connection, table: str, title: str, body: dict[str, bool]) -> None:
    """The stored tsvector (title weighted A, the `body` columns B; True marks a JSON column) and its GIN index."""
    body_text = " || ' ' || ".join(_text(column, json) for column, json in body.items()) or "''"
    # NFC first: `unaccent` knows `é`, not `e` followed by a combining accent (Python folds both). Hyphens become
    # spaces, as Python's words split on them: PostgreSQL's parser reads `DEC-2020-042` as `dec`, `-2020`, `-042`.
    title_text = f"translate(normalize({_text(title, False)}, NFC), '-', ' ')"
    body_words = f"translate(normalize({body_text}, NFC), '-', ' ')"
    vector = (
        f"setweight(to_tsvector('{CONFIGURATION}', {title_text}), 'A') || "
        f"setweight(to_tsvector('{CONFIGURATION}', {body_words}), 'B')"
    )
    connection.exec_driver_sql(
        f"ALTER TABLE {table} ADD COLUMN {VECTOR} tsvector GENERATED ALWAYS AS ({vector}) STORED"
    )
    connection.exec_driver_sql(f"CREATE INDEX ix_{table}_{VECTOR} ON {table} USING gin ({VECTOR})")


def drop_postgresql(connection: Connection, table: str) -> None:
    connection.exec_driver_sql(f"DROP INDEX IF EXISTS ix_{table}_{VECTOR}")
    connection.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {VECTOR}")


def install_sqlite(connection: Connection, table: str) -> None:
    """The FTS5 index over the table's stems (external content: the stems are stored once, in the table), the
    triggers that keep it in the writing transaction, and a rebuild from the rows there are."""
    fts = fts_table(table)
    drop_sqlite(connection, table)
    connection.exec_driver_sql(
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_title, search_text, content='{table}', "
        "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')"
    )
    new = _NEW.format(fts=fts)
    old = (
        f"INSERT INTO {fts}({fts}, rowid, search_title, search_text) "
        "VALUES ('delete', old.rowid, old.search_title, old.search_text)"
    )
    connection.exec_driver_sql(sqlite_insert_trigger(table))
    connection.exec_driver_sql(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {old}; END")
    connection.exec_driver_sql(
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_title, search_text ON {table} BEGIN {old}; {new}; END"
    )
    connection.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


_NEW = "INSERT INTO {fts}(rowid, search_title, search_text) VALUES (new.rowid, new.search_title, new.search_text)"


def sqlite_insert_trigger(table: str) -> str:
    """The trigger that indexes each row inserted into `table` (a bulk import lifts it: `sqlite_bulk_insert`)."""
    fts = fts_table(table)
    return f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {_NEW.format(fts=fts)}; END"


def sqlite_bulk_insert(table: str) -> tuple[str, str, str]:
    """A batch of inserts indexed in one statement after them rather than by the trigger row by row (about five
    times cheaper): the statement that lifts the trigger, the one that indexes the rows after rowid `:after`
    (SQLite gives new rows the next rowids, and the batch's transaction is the only writer), and the trigger
    again. All three run in the batch's transaction, so a rollback brings the trigger back."""
    fts = fts_table(table)
    index = (
        f"INSERT INTO {fts}(rowid, search_title, search_text) "
        f"SELECT rowid, search_title, search_text FROM {table} WHERE rowid > :after"
    )
    return f"DROP TRIGGER {fts}_insert", index, sqlite_insert_trigger(table)


def drop_sqlite(connection: Connection, table: str) -> None:
    fts = fts_table(table)
    for trigger in ("insert", "delete", "update"):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {fts}_{trigger}")
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}")
