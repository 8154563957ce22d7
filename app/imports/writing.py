"""Writing a batch of imported rows through each engine's fast path — PostgreSQL `COPY` into a staging table then
one `INSERT … SELECT` / `UPDATE … FROM`, SQLite `executemany` — with no ORM object per row; audit entries are
staged and appended to the trail once, numbered, at the end.
"""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Table, bindparam, column, insert, table, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import trail
from app.core.db import json_text
from app.models.audit import AuditEntry
from app.search import schema
from app.search.sql import INDEXED

AUDIT_TABLE: Table = AuditEntry.__table__  # type: ignore[attr-defined]
AUDIT_COLUMNS = (
    "at",
    "actor",
    "actor_key_id",
    "action",
    "entity_type",
    "entity_id",
    "version",
    "changes",
    "data",
    "request_id",
    "public_action",
    "lab_id",
)
AUDIT_JSON = frozenset({"changes", "data"})


class Writer:
    """Writes batches for one table in the session's transaction."""

    def __init__(self, session: AsyncSession, table: Table) -> None:
        self.session = session
        self.table = table
        self.columns = [c.key for c in table.c]
        self._json = frozenset(c.key for c in table.c if isinstance(c.type, JSON))
        self._postgres = session.get_bind().dialect.name == "postgresql"
        self._searched = not self._postgres and INDEXED <= set(self.columns)
        self._stage: str | None = None
        self._audit_stage: str | None = None
        self._audited = 0

    async def _driver(self) -> Any:
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        return raw.driver_connection

    async def _copy(
        self, table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]], json_columns: frozenset[str]
    ) -> None:
        # asyncpg's binary COPY takes str subclasses (enums) as they are; JSON goes as its text.
        json_at = [i for i, name in enumerate(columns) if name in json_columns]
        records = []
        for row in rows:
            record = [row[name] for name in columns]
            for i in json_at:
                record[i] = json_text(record[i])
            records.append(record)
        await (await self._driver()).copy_records_to_table(table, records=records, columns=list(columns))

    async def _staged(self, rows: Sequence[Mapping[str, Any]]) -> str:
        if self._stage is None:
            self._stage = f"import_stage_{uuid.uuid4().hex[:12]}"
            await self.session.execute(
                text(f"CREATE TEMPORARY TABLE {self._stage} (LIKE {self.table.name} INCLUDING DEFAULTS) ON COMMIT DROP")
            )
        else:
            await self.session.execute(text(f"TRUNCATE {self._stage}"))
        await self._copy(self._stage, self.columns, rows, self._json)
        return self._stage

    async def insert(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        if not self._postgres:
            await self._insert_sqlite(rows)
            return
        stage = await self._staged(rows)
        names = ", ".join(self.columns)
        await self.session.execute(text(f"INSERT INTO {self.table.name} ({names}) SELECT {names} FROM {stage}"))

    async def _insert_sqlite(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """`executemany`; a searched table's text index takes the batch in one statement (app.search.schema)."""
        if not self._searched:
            await self.session.execute(insert(self.table), list(rows))
            return
        name = self.table.name
        after = (await self.session.execute(text(f"SELECT coalesce(max(rowid), 0) FROM {name}"))).scalar_one()
        lift, index, restore = schema.sqlite_bulk_insert(name)
        await self.session.execute(text(lift))
        await self.session.execute(insert(self.table), list(rows))
        await self.session.execute(text(index), {"after": after})
        await self.session.execute(text(restore))

    async def update(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Each row carries every column; the row with its id takes them all."""
        if not rows:
            return
        changing = [name for name in self.columns if name not in ("id", "created_at")]
        if not self._postgres:
            stmt = (
                update(self.table)
                .where(self.table.c.id == bindparam("row_id"))
                .values({name: bindparam(name) for name in changing})
            )
            await self.session.execute(stmt, [{**row, "row_id": row["id"]} for row in rows])
            return
        stage = await self._staged(rows)
        targets = ", ".join(changing)
        sources = ", ".join(f"s.{name}" for name in changing)
        await self.session.execute(
            text(f"UPDATE {self.table.name} AS t SET ({targets}) = ({sources}) FROM {stage} AS s WHERE t.id = s.id")
        )

    async def audit(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Stage audit entries, numbered 1, 2, 3… in file order; `finish` moves them into the trail."""
        if not entries:
            return
        if self._audit_stage is None:
            self._audit_stage = f"import_audit_{uuid.uuid4().hex[:12]}"
            like = (
                f"(LIKE {AUDIT_TABLE.name} INCLUDING DEFAULTS) ON COMMIT DROP"
                if self._postgres
                else f"AS SELECT * FROM {AUDIT_TABLE.name} WHERE 0"
            )
            await self.session.execute(text(f"CREATE TEMPORARY TABLE {self._audit_stage} {like}"))
        numbered = [{**entry, "seq": self._audited + n} for n, entry in enumerate(entries, start=1)]
        self._audited += len(entries)
        if self._postgres:
            await self._copy(self._audit_stage, (*AUDIT_COLUMNS, "seq"), numbered, AUDIT_JSON)
        else:
            stage = table(self._audit_stage, *(column(c.key, c.type) for c in AUDIT_TABLE.c))
            await self.session.execute(insert(stage), numbered)

    async def finish(self) -> None:
        """Append the staged audit entries to the trail in commit order (see `trail.append_staged`)."""
        if self._audit_stage is not None:
            await trail.append_staged(self.session, self._audit_stage, AUDIT_COLUMNS)
            await self.session.execute(text(f"DROP TABLE {self._audit_stage}"))
        if self._stage is not None:
            await self.session.execute(text(f"DROP TABLE {self._stage}"))
