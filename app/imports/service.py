"""Bulk import: a streamed file of rows upserted in batches, with the rules of the single-row API.

Each batch of `BATCH_ROWS` records goes through the same steps:

1. cells become field values (`app.imports.cells`: French dates, decimal commas, lists…); friendly columns
   (`lab`, `theme`, `region`…) are resolved to ids and codes, one query per referenced table and batch;
2. each row is matched to what is stored, by `id`, `external_id`, then `slug` (or a stream's `code`; a
   partner's project, organization and role), one query per batch that also locks the matched rows;
3. the stored values merged with the given ones are validated by the resource's create schema, as a PATCH
   is; the resource's rules (`app.imports.resources`) complete the row: time zones, money, lifecycle;
4. a row identical to what is stored is `unchanged` and not written; the others are written set-based
   (`app.imports.writing`) with their audit entries, which the change feed and webhooks read.

A key seen twice in one file is rejected on its second line: keys are kept in a temporary table, so a
million-row file does not keep a million keys in memory. With `dry_run`, or once an atomic import rejected a
row, nothing more is written and the rest is only validated; an atomic import with rejections raises
`ImportRejected` and its transaction rolls back. The report says which (`applied`) and what the file amounts
to either way (`would_create`…), listing the first `MAX_REPORTED_ERRORS` errors with their full count.

CSV cells left empty are "not given": a new row takes the field's default, a stored row keeps its value (a
JSON line's explicit `null` does clear a field).
"""

import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import ValidationError
from sqlalchemy import Table, bindparam, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app import crud
from app.audit import trail
from app.core.errors import AppError, Forbidden
from app.core.text import fold, slugify
from app.imports.cells import Kind, convert, kinds
from app.imports.reading import BodyReader, ImportFileError, Record
from app.imports.resources import SPECS, ImportSpec, RowError
from app.imports.schemas import MAX_REPORTED_ERRORS, ImportReport, ImportResource, RowProblem
from app.imports.writing import Writer
from app.models import EventFormat, Theme
from app.models.base import utcnow
from app.ops import metrics
from app.reference.data import region_code_for

BATCH_ROWS = 2000
READ_ONLY_COLUMNS = frozenset({"created_at", "updated_at", "version"})
NOT_COMPARED = frozenset({"id", "created_at", "updated_at", "version", "search_title", "search_text"})


class ImportRejected(AppError):
    """An atomic import rejected rows: nothing was written; the answer carries the whole report."""

    status = 422
    slug = "import-rejected"

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{report.rejected} of {report.read} rows were rejected; nothing was written.")
        self.extensions = report.model_dump(mode="json")


@dataclass
class Counts:
    """What the rows read so far amount to (written or not), and their errors: `errors` keeps the first ones for
    the report, `batch_errors` those of the batch in progress until it ends."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    error_count: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    batch_errors: list[RowProblem] = field(default_factory=list)


class Columns:
    """The file's columns mapped to the resource's fields; unknown ones refuse the file, naming the known ones."""

    def __init__(self, spec: ImportSpec) -> None:
        self.spec = spec
        self.names: dict[str, str | None] = dict.fromkeys(READ_ONLY_COLUMNS)
        self.names["id"] = "id"
        for name in spec.schema.model_fields:
            self.names[name] = name
        for ref in spec.references:
            self.names[ref.field] = ref.field
            for alias in ref.columns:
                self.names[alias] = ref.field
        for alias, target in (("region", "region_code"), ("theme", "theme_code")):
            if target in spec.schema.model_fields:
                self.names[alias] = target
        self.names.update(dict.fromkeys(spec.read_only))
        self.kinds = kinds(spec.schema)
        for column, (field_name, key) in spec.nested.items():
            self.names[column] = f"{field_name}.{key}"
            inner = spec.schema.model_fields[field_name].annotation
            self.kinds[f"{field_name}.{key}"] = kinds(next(a for a in get_args(inner) if a is not type(None)))[key]
        # Read once: pydantic computes `model_fields` anew at each access on the class.
        self.fields = frozenset(spec.schema.model_fields)

    def field_for(self, column: str) -> str | None:
        key = column.strip().lower()
        if key not in self.names:
            known = sorted(self.names)
            listed = ", ".join(known)
            error = ImportFileError(f"Unknown column '{column}' for {self.spec.name}. Known columns: {listed}.")
            error.extensions = {"known_columns": known}
            raise error
        return self.names[key]

    def header(self, cells: list[str]) -> list[str | None]:
        """The field of each header cell; two columns naming the same field refuse the file."""
        fields: list[str | None] = []
        seen: dict[str, str] = {}
        for cell in cells:
            name = cell.strip()
            target = None if not name else self.field_for(name)
            if target is not None and target in seen:
                raise ImportFileError(f"Columns '{seen[target]}' and '{name}' give the same field ({target}).")
            if target is not None:
                seen[target] = name
            fields.append(target)
        return fields


@dataclass
class Catalog:
    """The reference tables, loaded once per import: themes by code or French label, formats, regions."""

    themes: dict[str, str]
    formats: dict[str, str]

    @classmethod
    async def load(cls, session: AsyncSession) -> "Catalog":
        themes: dict[str, str] = {}
        for code, label in (await session.execute(select(Theme.code, Theme.label))).all():  # type: ignore[call-overload]
            themes[fold(code)] = themes[fold(label)] = themes[slugify(label)] = code
        formats: dict[str, str] = {}
        for code, label in (await session.execute(select(EventFormat.code, EventFormat.label))).all():  # type: ignore[call-overload]
            formats[fold(code)] = formats[fold(label)] = formats[slugify(label)] = code
        return cls(themes=themes, formats=formats)

    def theme(self, value: str) -> str | None:
        found = self.themes.get(value)
        if found is None:
            found = self.themes.get(fold(value)) or self.themes.get(slugify(value))
            if found is not None:
                self.themes[value] = found
        return found

    def format(self, value: str) -> str | None:
        found = self.formats.get(value)
        if found is None:
            found = self.formats.get(fold(value)) or self.formats.get(slugify(value))
            if found is not None:
                self.formats[value] = found
        return found


class Resolver:
    """References by id, slug, external_id or code, resolved a batch at a time and remembered for the import."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._known: dict[type, dict[str, Mapping[str, Any] | None]] = {}

    def _cache(self, model: type) -> dict[str, Mapping[str, Any] | None]:
        return self._known.setdefault(model, {})

    async def prefetch(self, model: type, values: set[str]) -> None:
        cache = self._cache(model)
        wanted = {value for value in values if value not in cache}
        if not wanted:
            return
        table: Table = model.__table__  # type: ignore[attr-defined]
        ids = [as_uuid for value in wanted if (as_uuid := _uuid(value)) is not None]
        texts = [value for value in wanted if _uuid(value) is None]
        clauses = [table.c.id.in_(ids)] if ids else []
        keys = [name for name in ("slug", "external_id") if name in table.c]
        clauses += [table.c[name].in_(texts) for name in keys if texts]
        if "code" in table.c and texts:
            clauses.append(table.c.code.in_([value.upper() for value in texts]))
        for value in wanted:
            cache[value] = None
        if not clauses:
            return
        rows = (await self.session.execute(select(table).where(or_(*clauses)))).mappings().all()
        for row in rows:
            self.remember(model, dict(row))

    def remember(self, model: type, row: Mapping[str, Any]) -> None:
        cache = self._cache(model)
        compact = {name: row[name] for name in ("id", "region_code") if name in row}
        cache[str(row["id"])] = compact
        for name in ("slug", "external_id", "code"):
            if row.get(name):
                cache[str(row[name])] = compact
        if row.get("code"):
            cache[str(row["code"]).lower()] = compact

    def get(self, model: type, value: str) -> Mapping[str, Any] | None:
        cache = self._cache(model)
        found = cache.get(value)
        if found is None and _uuid(value) is not None:
            found = cache.get(str(uuid.UUID(value)))
        return found


def _uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@dataclass
class Row:
    """One record on its way through a batch."""

    line: int
    given: dict[str, Any]
    raw: dict[str, Any]
    columns: dict[str, str]
    keys: list[str] = field(default_factory=list)
    # References to rows of the same resource not found when the batch was resolved (field → value).
    later: dict[str, str] = field(default_factory=dict)
    # The stored row's id, or the one a new row will get.
    id: uuid.UUID | None = None
    # The slug a new row would derive from its name, and whether no stored row holds it.
    slug: tuple[str, bool] | None = None
    existing: Mapping[str, Any] | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def column(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.columns.get(name, name)


class DuplicateKeys:
    """The keys of the rows accepted so far, in a temporary table: a repeated key names its first line."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.name = f"import_keys_{uuid.uuid4().hex[:12]}"
        self._postgres = session.get_bind().dialect.name == "postgresql"

    async def create(self) -> None:
        suffix = " ON COMMIT DROP" if self._postgres else ""
        await self.session.execute(
            text(f"CREATE TEMPORARY TABLE {self.name} (key VARCHAR(500) PRIMARY KEY, line INTEGER NOT NULL){suffix}")
        )

    async def drop(self) -> None:
        await self.session.execute(text(f"DROP TABLE IF EXISTS {self.name}"))

    async def lines(self, keys: list[str]) -> dict[str, int]:
        if not keys:
            return {}
        stmt = text(f"SELECT key, line FROM {self.name} WHERE key IN :keys").bindparams(
            bindparam("keys", expanding=True)
        )
        rows = (await self.session.execute(stmt, {"keys": keys})).all()
        return {key: line for key, line in rows}  # noqa: C416 (rows are Row objects, not pairs to dict())

    async def add(self, pairs: list[tuple[str, int]]) -> None:
        if not pairs:
            return
        if self._postgres:
            raw = await (await self.session.connection()).get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.copy_records_to_table(self.name, records=pairs, columns=["key", "line"])
            return
        await self.session.execute(
            text(f"INSERT INTO {self.name} (key, line) VALUES (:key, :line)"),
            [{"key": key, "line": line} for key, line in pairs],
        )


class Importer:
    """One import: reads records, processes them a batch at a time, and counts what happened."""

    def __init__(
        self, session: AsyncSession, resource: ImportResource, *, dry_run: bool, atomic: bool, max_errors: int | None
    ) -> None:
        self.session = session
        self.spec = SPECS[resource]
        self.resource = resource
        self.dry_run = dry_run
        self.atomic = atomic
        self.max_errors = max_errors
        self.columns = Columns(self.spec)
        self.counts = Counts()
        self.resolver = Resolver(session)
        self.keys = DuplicateKeys(session)
        self.writer = Writer(session, self.spec.resource.table)
        self.rules = self.spec.rules(session)
        self.now = utcnow()
        self.actor = trail.actor_of(session)
        self.request_id = trail.request_id_of(session)
        self.catalog: Catalog | None = None
        self.header: list[str | None] | None = None
        self.header_names: list[str] = []
        # Slugs given to new rows by this import (a file may hold two "Mairie de Paris" with their own ids).
        self.slugs: set[str] = set()

    @property
    def writing(self) -> bool:
        """Whether rows are written: not in a dry run, nor once an atomic import rejected a row."""
        return not self.dry_run and not (self.atomic and (self.counts.error_count or self.counts.batch_errors))

    def report(self) -> ImportReport:
        counts = self.counts
        applied = self.writing
        return ImportReport(
            resource=self.resource,
            dry_run=self.dry_run,
            atomic=self.atomic,
            applied=applied,
            read=counts.read,
            created=counts.created if applied else 0,
            updated=counts.updated if applied else 0,
            unchanged=counts.unchanged if applied else 0,
            would_create=counts.created,
            would_update=counts.updated,
            would_leave_unchanged=counts.unchanged,
            rejected=counts.rejected,
            error_count=counts.error_count,
            errors_truncated=len(counts.errors) < counts.error_count,
            errors=counts.errors,
        )

    def reject(self, row: Row | Record, name: str | None, message: str, value: Any = None) -> None:
        if isinstance(row, Row):
            column = row.column(name)
            if value is None and name is not None:
                value = row.raw.get(name)
        else:
            column = name
        self.counts.batch_errors.append(RowProblem(line=row.line, column=column, value=value, message=message))

    def _count_errors(self) -> None:
        """The batch's errors, in file order: counted, and kept while the report has room for them (batches come
        in file order, so the errors kept are the file's first)."""
        counts = self.counts
        batch = sorted(counts.batch_errors, key=lambda error: error.line)
        counts.batch_errors = []
        counts.rejected += len({error.line for error in batch})
        counts.error_count += len(batch)
        room = len(batch) if self.max_errors is None else max(self.max_errors - len(counts.errors), 0)
        counts.errors.extend(batch[:room])

    async def run(
        self, chunks: AsyncIterator[bytes], *, jsonl: bool, charset: str | None, max_line_chars: int
    ) -> ImportReport:
        """Read, check and write the whole body; raises ImportRejected when atomic and any row was rejected."""
        reader = BodyReader(jsonl=jsonl, charset=charset, max_line_chars=max_line_chars)
        self.catalog = await Catalog.load(self.session)
        await self.keys.create()
        batch: list[Record] = []
        async for record in reader.records(chunks):
            if self.header is None and not jsonl:
                self.header_names = reader.header or []
                self.header = self.columns.header(self.header_names)
            batch.append(record)
            if len(batch) >= BATCH_ROWS:
                await self._batch(batch)
                batch = []
        if not jsonl and self.header is None:
            if reader.header is None:
                raise ImportFileError("The file has no header line.")
            self.header_names = reader.header
            self.header = self.columns.header(reader.header)
        await self._batch(batch)
        if self.counts.read == 0:
            raise ImportFileError("The file has no rows to import (a header alone, or only blank lines).")
        await self.keys.drop()
        if self.writing:
            await self.writer.finish()
        report = self.report()
        self._count_metrics(report)
        if self.atomic and report.rejected:
            raise ImportRejected(report)
        return report

    def _count_metrics(self, report: ImportReport) -> None:
        """Rows by outcome, of the imports that were not dry runs: what was written, and what was rejected."""
        if self.dry_run:
            return
        outcomes = {
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
        }
        for outcome, number in outcomes.items():
            if number:
                metrics.IMPORT_ROWS.labels(self.resource.value, outcome).inc(number)

    # -- a batch ----------------------------------------------------------------------------------------------

    async def _batch(self, records: list[Record]) -> None:
        if not records:
            return
        self.counts.read += len(records)
        rows = [row for record in records if (row := self._row(record)) is not None]
        rows = await self._resolve(rows)
        await self._match(rows)
        rows = self._resolve_within_batch(rows)
        rows = await self._validate(rows)
        rows = await self._deduplicate(rows)
        await self.rules.prepare(rows)
        creates: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        entries: list[dict[str, Any]] = []
        for row in rows:
            try:
                await self.rules.complete(row)
                await self._may_write(row)
            except RowError as exc:
                self.reject(row, exc.field, exc.message)
                continue
            await self._classify(row, creates, updates, entries)
        self._count_errors()
        if self.writing:
            await self.writer.insert(creates)
            await self.writer.update(updates)
            await self.writer.audit(entries)
            await self.rules.written(creates, updates, self.actor.name)

    def _row(self, record: Record) -> Row | None:
        if record.error is not None:
            self.reject(record, None, record.error)
            return None
        given: dict[str, Any] = {}
        raw: dict[str, Any] = {}
        columns: dict[str, str] = {}
        if record.cells is not None:
            assert self.header is not None
            if len(record.cells) != len(self.header):
                self.reject(
                    record, None, f"the row has {len(record.cells)} cells where the header has {len(self.header)}"
                )
                return None
            for name, target, cell in zip(self.header_names, self.header, record.cells, strict=True):
                if not cell.strip():
                    continue
                if target is None:
                    if not name.strip():
                        self.reject(record, None, "a value stands in a column without a name", cell)
                        return None
                    continue
                raw[target], columns[target] = cell, name.strip()
                given[target] = convert(self.columns.kinds.get(target, Kind.text), cell)
        else:
            assert record.values is not None
            for name, value in record.values.items():
                target = self.columns.field_for(name)
                if target is None:
                    continue
                raw[target], columns[target] = value, name
                given[target] = convert(self.columns.kinds.get(target, Kind.text), value)
        return Row(line=record.line, given=given, raw=raw, columns=columns)

    async def _resolve(self, rows: list[Row]) -> list[Row]:
        """Friendly references to ids and codes; a reference to nothing rejects its row."""
        assert self.catalog is not None
        for ref in self.spec.references:
            wanted = {str(row.given[ref.field]) for row in rows if row.given.get(ref.field) is not None}
            await self.resolver.prefetch(ref.model, wanted)
        kept = []
        for row in rows:
            problem = self._resolve_row(row)
            if problem is None:
                kept.append(row)
            else:
                self.reject(row, *problem)
        return kept

    def _resolve_row(self, row: Row) -> tuple[str, str] | None:
        assert self.catalog is not None
        for ref in self.spec.references:
            value = row.given.get(ref.field)
            if value is None:
                continue
            found = self.resolver.get(ref.model, str(value))
            if found is None and ref.model is self.spec.resource.model:
                # Maybe a row above in this batch, not written yet: resolved once rows are matched.
                row.later[ref.field] = str(value)
                continue
            if found is None:
                return ref.field, f"no {ref.noun} '{value}' (give its id, slug, code or external_id)"
            row.given[ref.field] = found["id"]
            row.values.setdefault("_refs", {})[ref.field] = found
        if (theme := row.given.get("theme_code")) is not None:
            code = self.catalog.theme(str(theme))
            if code is None:
                return "theme_code", f"no theme '{theme}' (give its code or French label)"
            row.given["theme_code"] = code
        if isinstance(themes := row.given.get("secondary_themes"), list):
            codes = [self.catalog.theme(str(theme)) or theme for theme in themes]
            row.given["secondary_themes"] = codes
        if (event_format := row.given.get("format")) is not None and self.spec.name == "events":
            code = self.catalog.format(str(event_format))
            if code is None:
                return "format", f"no event format '{event_format}'"
            row.given["format"] = code
        if (region := row.given.get("region_code")) is not None:
            code = region_code_for(str(region))
            if code is None:
                return "region_code", f"no region '{region}' (give its INSEE code or name)"
            row.given["region_code"] = code
        return None

    def _identity(self, row: Row) -> dict[str, Any]:
        """The keys a row may match a stored one by, in order of precedence."""
        given = row.given
        keys: dict[str, Any] = {}
        if given.get("id") is not None:
            keys["id"] = _uuid(given["id"])
        if given.get("external_id"):
            keys["external_id"] = str(given["external_id"])
        slug = self.spec.resource.slug_field
        if slug is not None:
            if given.get(slug):
                keys[slug] = str(given[slug]).upper() if slug == "code" else str(given[slug])
            elif self.spec.resource.slug_source and given.get(self.spec.resource.slug_source):
                keys["derived"] = crud.slug_base(self.spec.resource, str(given[self.spec.resource.slug_source]))
        if self.spec.natural_key and all(given.get(name) is not None for name in self.spec.natural_key):
            keys["natural"] = tuple(str(given[name]) for name in self.spec.natural_key)
        return keys

    async def _match(self, rows: list[Row]) -> None:
        """Find each row's stored counterpart in one query for the batch, locking what it finds."""
        table = self.spec.resource.table
        identities = [self._identity(row) for row in rows]
        slug = self.spec.resource.slug_field
        clauses = []
        ids = [keys["id"] for keys in identities if keys.get("id") is not None]
        if ids:
            clauses.append(table.c.id.in_(ids))
        external = [keys["external_id"] for keys in identities if "external_id" in keys]
        if external:
            clauses.append(table.c.external_id.in_(external))
        if slug is not None:
            slugs = [keys[name] for keys in identities for name in (slug, "derived") if name in keys]
            if slugs:
                clauses.append(table.c[slug].in_(slugs))
        natural = [keys["natural"] for keys in identities if "natural" in keys]
        if natural:
            columns = [table.c[name] for name in self.spec.natural_key]
            clauses.append(tuple_(*columns).in_([tuple(_typed(v) for v in key) for key in natural]))
        found: dict[tuple[str, Any], Mapping[str, Any]] = {}
        if clauses:
            stmt = select(table).where(or_(*clauses)).with_for_update(key_share=True)
            for stored_row in (await self.session.execute(stmt)).mappings().all():
                stored = dict(stored_row)
                found[("id", stored["id"])] = stored
                if stored.get("external_id"):
                    found[("external_id", stored["external_id"])] = stored
                if slug is not None:
                    found[(slug, stored[slug])] = stored
                    found[("derived", stored[slug])] = stored
                if self.spec.natural_key:
                    found[("natural", tuple(str(stored[name]) for name in self.spec.natural_key))] = stored
        for row, keys in zip(rows, identities, strict=True):
            derived = keys.pop("derived", None)
            if derived is not None:
                row.slug = (derived, ("derived", derived) not in found)
                if not keys:
                    # Nothing but a name: the row is the stored one its slug would be, and its slug is its key.
                    keys["slug"] = derived
            row.keys = [f"{name}:{value}" for name, value in keys.items()]
            row.values["_taken"] = {
                name: found[(name, value)] for name, value in keys.items() if (name, value) in found
            }
            for name, value in keys.items():
                if (name, value) in found:
                    row.existing = found[(name, value)]
                    break

    def _resolve_within_batch(self, rows: list[Row]) -> list[Row]:
        """References to rows above in the same batch (a project replicating another), by their keys."""
        above: dict[str, uuid.UUID] = {}
        kept = []
        for row in rows:
            row.id = row.existing["id"] if row.existing is not None else (_uuid(row.given.get("id")) or uuid.uuid4())
            unresolved = None
            for name, value in row.later.items():
                if value in above:
                    row.given[name] = above[value]
                else:
                    unresolved = name
            if unresolved is not None:
                self.reject(
                    row,
                    unresolved,
                    f"no {self.spec.resource.noun} '{row.later[unresolved]}' (give its id, slug "
                    "or external_id; a row of the file must come before the rows naming it)",
                )
                continue
            for key in row.keys:
                above[key.partition(":")[2]] = row.id
            above[str(row.id)] = row.id
            kept.append(row)
        return kept

    async def _validate(self, rows: list[Row]) -> list[Row]:
        """Stored values merged with the given ones, validated as a whole by the create schema."""
        schema = self.spec.schema
        fields = self.columns.fields
        kept = []
        for row in rows:
            extra = row.values
            conflict = self._held_elsewhere(row)
            if conflict is not None:
                self.reject(row, *conflict)
                continue
            if row.given.get("id") is not None and _uuid(row.given["id"]) is None:
                self.reject(row, "id", "not a valid UUID")
                continue
            stored = row.existing or {}
            base = {name: stored[name] for name in fields if name in stored}
            data = {**base, **{k: v for k, v in row.given.items() if k in fields}}
            for given_name, value in row.given.items():
                # A nested column (`address`) sets its key of the object, over what the row or the store has.
                field_name, dot, key = given_name.partition(".")
                if dot:
                    data[field_name] = {**(data.get(field_name) or {}), key: value}
            try:
                validated = schema.model_validate(data)
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    inner = ".".join(str(part) for part in error["loc"][:2])
                    at = inner if inner in row.columns else str(error["loc"][0]) if error["loc"] else None
                    self.reject(row, at, error["msg"].removeprefix("Value error, "))
                continue
            row.values = {**validated.model_dump(), "_refs": extra.get("_refs", {})}
            parent = self.spec.parent
            if parent is not None:
                value = row.given.get(parent, row.existing[parent] if row.existing is not None else None)
                if value is None:
                    self.reject(row, parent, f"required: the {parent.removesuffix('_id')} this row belongs to")
                    continue
                if row.existing is not None and value != row.existing[parent]:
                    self.reject(row, parent, f"a stored {self.spec.resource.noun} cannot move to another one")
                    continue
                row.values[parent] = value
            if row.existing is None and not row.keys and not self.spec.keyless:
                self.reject(row, "external_id", self.spec.key_hint)
                continue
            kept.append(row)
        return kept

    def _held_elsewhere(self, row: Row) -> tuple[str, str] | None:
        """A unique value the row gives that another stored row holds (the row would take it from it)."""
        taken: dict[str, Mapping[str, Any]] = row.values.pop("_taken", {})
        for name, stored in taken.items():
            if row.existing is not None and stored["id"] != row.existing["id"]:
                noun = self.spec.resource.noun
                return name, f"{name} '{row.raw.get(name, '')}' already belongs to another {noun} ({stored['id']})"
        return None

    async def _deduplicate(self, rows: list[Row]) -> list[Row]:
        """A key given twice in the file: the later row is rejected, naming the line that had it first."""
        earlier = await self.keys.lines([key for row in rows for key in row.keys])
        kept = []
        for row in rows:
            repeated = next((key for key in row.keys if key in earlier), None)
            if repeated is not None:
                name, _, value = repeated.partition(":")
                column = name if name in row.columns else ("external_id" if name == "natural" else name)
                self.reject(
                    row, column, f"{name} '{value}' appears twice in the file: already on line {earlier[repeated]}"
                )
                continue
            for key in row.keys:
                earlier[key] = row.line
            kept.append(row)
        await self.keys.add([(key, row.line) for row in kept for key in row.keys])
        return kept

    async def _classify(
        self,
        row: Row,
        creates: list[dict[str, Any]],
        updates: list[dict[str, Any]],
        entries: list[dict[str, Any]],
    ) -> None:
        values = {name: value for name, value in row.values.items() if not name.startswith("_")}
        resource = self.spec.resource
        if row.existing is None:
            new = {
                **values,
                "id": row.id,
                "created_at": self.now,
                "updated_at": self.now,
                "version": 1,
            }
            if resource.slug_field and not new.get(resource.slug_field) and row.slug is not None:
                new[resource.slug_field] = await self._free_slug(*row.slug)
            if "search_text" in resource.table.c:
                new.update(crud.search_columns(resource, new))
            row_full = {name: new.get(name) for name in self.writer.columns}
            creates.append(row_full)
            self.counts.created += 1
            self._remember(row_full)
            entries.append(self._entry("create", row_full, {}))
            return
        stored = dict(row.existing)
        merged = {**stored, **{name: value for name, value in values.items() if name in stored}}
        if all(merged[name] == stored[name] for name in stored if name not in NOT_COMPARED):
            self.counts.unchanged += 1
            return
        merged.update(updated_at=self.now, version=stored["version"] + 1)
        if "search_text" in resource.table.c:
            merged.update(crud.search_columns(resource, merged))
        updates.append(merged)
        self.counts.updated += 1
        self._remember(merged)
        entries.append(self._entry("update", merged, stored))

    async def _may_write(self, row: Row) -> None:
        """The resource's guard (who may write it), as for a single write."""
        guard = self.spec.resource.guard
        if guard is None:
            return
        values = {name: value for name, value in row.values.items() if not name.startswith("_")}
        current = dict(row.existing) if row.existing is not None else None
        try:
            await guard(self.session, "update" if current else "create", current, {**(current or {}), **values})
        except Forbidden as exc:
            raise RowError("lab_id" if "lab_id" in values else None, exc.detail) from None

    async def _free_slug(self, base: str, free: bool) -> str:
        """The derived slug, as `crud.free_slug` gives it, also kept from the earlier rows of the file; no query
        when the batch found no stored row holding it."""
        slug = (
            base
            if free and base not in self.slugs
            else await crud.free_slug(self.session, self.spec.resource, base, also_taken=self.slugs)
        )
        self.slugs.add(slug)
        return slug

    def _remember(self, row: Mapping[str, Any]) -> None:
        """Later rows of the same file may name this one (a project replicating another)."""
        model = self.spec.resource.model
        if any(ref.model is model for ref in self.spec.references):
            self.resolver.remember(model, row)

    def _entry(self, action: str, after: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
        """The row's audit entry, as a single write's (`trail.entry`), staged for the end of the import."""
        described = trail.entry(
            self.session,
            action=action,
            entity_type=self.spec.resource.entity_type,
            entity_id=after["id"],
            version=after["version"],
            before=trail.state(before) if before else {},
            after=trail.state(after),
        )
        return {**described, "at": self.now}


def _typed(value: str) -> Any:
    return _uuid(value) or value


async def import_body(
    session: AsyncSession,
    resource: ImportResource,
    chunks: AsyncIterator[bytes],
    *,
    jsonl: bool,
    charset: str | None,
    dry_run: bool,
    atomic: bool,
    max_line_chars: int,
    max_errors: int | None = MAX_REPORTED_ERRORS,
) -> ImportReport:
    """Import a body into the session's transaction (the caller commits, or rolls back on ImportRejected).

    The report lists the first `max_errors` errors (all of them with None: the CLI's rejected rows file).
    """
    importer = Importer(session, resource, dry_run=dry_run, atomic=atomic, max_errors=max_errors)
    return await importer.run(chunks, jsonl=jsonl, charset=charset, max_line_chars=max_line_chars)
