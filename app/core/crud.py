"""Generic data access for the domain's resources: load by id or slug, keyset lists, insert, update, delete.

Every write of every slice goes through `insert`, `update` and `delete` here, so the rules they share —
versioning, timestamps, the folded search text, unique fields answered with 409, references that must exist,
deletes refused while other rows still point at the entity, an audit entry in the same transaction — live in
one place.
"""

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, ScalarSelect, Select, Table, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlmodel import SQLModel

from app.core import audit
from app.core.errors import Conflict, FieldError, InvalidInput, NotFound, PreconditionFailed
from app.core.pagination import SortKey, next_cursor, seek
from app.core.reads import fetch_rows
from app.core.text import fold, like_escape, search_text, slugify
from app.models.base import Entity, utcnow

ModelT = TypeVar("ModelT", bound=Entity)

# Set on the session when the request carried If-Match, so a lost race answers 412 rather than 409.
IF_MATCH_GIVEN = "if_match_given"


@dataclass(frozen=True)
class Reference:
    """A foreign key given in a body: which model it must name, and the noun used in error messages."""

    model: type[SQLModel]
    noun: str


@dataclass(frozen=True)
class Blocker:
    """Rows of another table that point at this entity and forbid deleting it (label, pointing column)."""

    label: str
    column: InstrumentedAttribute[Any]


@dataclass(frozen=True)
class ResourceSpec(Generic[ModelT]):
    """What the generic operations need to know about one resource."""

    model: type[ModelT]
    noun: str
    sorts: Mapping[str, SortKey]
    default_sort: str
    slug_field: str | None = None
    slug_source: str | None = None
    search_fields: tuple[str, ...] = ()
    unique_fields: tuple[str, ...] = ()
    references: Mapping[str, Reference] = field(default_factory=dict)
    blockers: tuple[Blocker, ...] = ()

    @property
    def table(self) -> Table:
        return self.model.__table__  # type: ignore[attr-defined,no-any-return]

    @property
    def entity_type(self) -> str:
        """The name the audit trail and the change feed give the entity: `FundingStream` → `funding_stream`."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.model.__name__).lower()

    def column(self, name: str) -> KeyedColumnElement[Any]:
        return self.table.c[name]


@dataclass(frozen=True)
class ListQuery:
    """The paging part of a list request, after validation."""

    sort: str
    limit: int
    cursor: str | None = None
    include_total: bool = False


@dataclass(frozen=True)
class PageResult:
    """Rows of one page as plain dicts (no ORM objects on the hot path), and the paging answer."""

    rows: Sequence[Mapping[str, Any]]
    next_cursor: str | None
    total: int | None


def _parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def identity_clause(spec: ResourceSpec[Any], ident: str) -> ColumnElement[bool]:
    """`id = :ident` when it is a UUID, else the slug (or code) column."""
    as_uuid = _parse_uuid(ident)
    if as_uuid is not None or spec.slug_field is None:
        return spec.column("id") == as_uuid
    return spec.column(spec.slug_field) == ident


async def get(session: AsyncSession, spec: ResourceSpec[ModelT], ident: str) -> ModelT:
    """The entity addressed by id or slug, or 404."""
    found = (await session.execute(select(spec.model).where(identity_clause(spec, ident)))).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No {spec.noun} with id or slug '{ident}'.")
    return found


def reference_ids(model: type[Entity], value: str, *extra_keys: str) -> Select[Any]:
    """Ids of the rows a filter value names: by id, slug, external_id or other unique keys."""
    table = model.__table__  # type: ignore[attr-defined]
    as_uuid = _parse_uuid(value)
    if as_uuid is not None:
        return select(table.c.id).where(table.c.id == as_uuid)
    keys = [k for k in ("slug", "external_id", *extra_keys) if k in table.c]
    return select(table.c.id).where(or_(*(table.c[k] == value for k in keys)))


def reference_id(model: type[Entity], value: str) -> ScalarSelect[Any]:
    """The id of the one row a filter value names — by id, else slug, else external_id — as a scalar subquery.

    `column = (SELECT …)` is evaluated once and then seeks an index on (column, sort key) in order, where
    `column IN (SELECT …)` makes the planner guess: on a million events, the events of one campaign (all in one
    November) were found by walking every earlier event, 2 s instead of a millisecond.
    """
    table = model.__table__  # type: ignore[attr-defined]
    as_uuid = _parse_uuid(value)
    if as_uuid is not None:
        return select(table.c.id).where(table.c.id == as_uuid).scalar_subquery()
    keys = [k for k in ("slug", "external_id") if k in table.c]
    # A slug and another row's external_id may be the same text: the slug wins.
    preference = case(*((table.c[k] == value, rank) for rank, k in enumerate(keys)), else_=len(keys))
    matches = select(table.c.id).where(or_(*(table.c[k] == value for k in keys)))
    return matches.order_by(preference).limit(1).scalar_subquery()


def search_clauses(spec: ResourceSpec[Any], q: str | None) -> list[ColumnElement[bool]]:
    """Every word of `q` must appear in the folded search text: accents and case never matter."""
    if not q:
        return []
    column = spec.column("search_text")
    return [column.like(f"%{like_escape(word)}%", escape="\\") for word in fold(q).split()]


def common_filters(spec: ResourceSpec[Any], q: str | None, updated_since: datetime | None) -> list[ColumnElement[bool]]:
    """The filters every list takes: words to find, and `updated_since` for incremental sync."""
    where = search_clauses(spec, q)
    if updated_since is not None:
        where.append(spec.column("updated_at") >= updated_since)
    return where


_selected: dict[tuple[Table, type[BaseModel] | None], Select[Any]] = {}


def _page_select(spec: ResourceSpec[Any], read_model: type[BaseModel] | None) -> Select[Any]:
    """`SELECT` of the columns the response shows, in its order (every column but the search text when it is
    not said); built once per list, since statements are immutable and each request only adds to a copy."""
    stmt = _selected.get((spec.table, read_model))
    if stmt is None:
        table = spec.table
        if read_model is None:
            columns = [c for c in table.c if c.key != "search_text"]
        else:
            # The cursor needs the sort keys and the id, shown or not.
            needed = {"id", *(key.column.key for key in spec.sorts.values())}
            columns = [table.c[name] for name in read_model.model_fields if name in table.c]
            columns += [c for c in table.c if c.key in needed and c.key not in read_model.model_fields]
        stmt = _selected[(spec.table, read_model)] = select(*columns)
    return stmt


async def list_page(
    connection: AsyncConnection,
    spec: ResourceSpec[Any],
    where: Sequence[ColumnElement[bool]],
    query: ListQuery,
    read_model: type[BaseModel] | None = None,
) -> PageResult:
    """One keyset page: an index seek after the cursor, limit + 1 rows to know whether another page follows.

    Only the columns of `read_model` are read, as JSON-ready values (`reads.fetch_rows`): no ORM object, no
    SQLAlchemy row on the hot path.
    """
    rows = await fetch_rows(connection, page_statement(spec, where, query, read_model))
    total = None
    if query.include_total:
        total = (await connection.execute(select(func.count()).select_from(spec.table).where(*where))).scalar_one()
    key = spec.sorts[query.sort]
    return PageResult(
        rows=rows[: query.limit], next_cursor=next_cursor(rows, query.limit, key, query.sort), total=total
    )


def page_statement(
    spec: ResourceSpec[Any], where: Sequence[ColumnElement[bool]], query: ListQuery, read_model: type[BaseModel] | None
) -> Select[Any]:
    """The SELECT of a page: after the cursor in the sort's order, limit + 1 rows."""
    key = spec.sorts[query.sort]
    stmt = seek(_page_select(spec, read_model).where(*where), key, spec.table.c.id, query.cursor, query.sort)
    return stmt.limit(query.limit + 1)


async def _check_references(session: AsyncSession, spec: ResourceSpec[Any], values: Mapping[str, Any]) -> None:
    """Each reference given must name an existing row (the session's identity map answers repeats for free)."""
    errors = []
    for name, ref in spec.references.items():
        value = values.get(name)
        if value is not None and await session.get(ref.model, value) is None:
            errors.append(FieldError(loc=["body", name], msg=f"no {ref.noun} '{value}'", type="reference_not_found"))
    if errors:
        raise InvalidInput(errors)


async def _check_unique(
    session: AsyncSession, spec: ResourceSpec[Any], values: Mapping[str, Any], current: Entity | None
) -> None:
    given = {name: values[name] for name in spec.unique_fields if values.get(name) is not None}
    if not given:
        return
    stmt = select(*(spec.column(name) for name in given)).where(or_(*(spec.column(n) == v for n, v in given.items())))
    if current is not None:
        stmt = stmt.where(spec.column("id") != current.id)
    row = (await session.execute(stmt.limit(1))).mappings().first()
    if row is not None:
        taken = next(name for name, value in given.items() if row[name] == value)
        raise Conflict(f"Another {spec.noun} already has {taken} '{given[taken]}'.")


async def _free_slug(session: AsyncSession, spec: ResourceSpec[Any], source: str) -> str:
    """The slug derived from a name, suffixed -2, -3… until no other entity holds it."""
    assert spec.slug_field is not None
    base = (slugify(source) or spec.noun)[:110].strip("-")
    if _parse_uuid(base) is not None:
        base = f"{spec.noun}-{base}"
    column = spec.column(spec.slug_field)
    taken = set(
        (
            await session.execute(
                select(column).where(or_(column == base, column.like(f"{like_escape(base)}-%", escape="\\")))
            )
        ).scalars()
    )
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def search_text_for(spec: ResourceSpec[Any], values: Mapping[str, Any]) -> str:
    """The folded words `q` finds an entity by (also written by bulk imports, which bypass `insert`)."""
    parts = (values.get(f) for f in spec.search_fields)
    return search_text(*(" ".join(map(str, p)) if isinstance(p, list) else str(p) for p in parts if p is not None))


def _audit(
    session: AsyncSession,
    spec: ResourceSpec[Any],
    action: str,
    entity: Entity,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    audit.record(
        session,
        action=action,
        entity_type=spec.entity_type,
        entity_id=entity.id,
        version=entity.version,
        before=before,
        after=after,
    )


async def _flush(session: AsyncSession, spec: ResourceSpec[Any]) -> None:
    try:
        await session.flush()
    except StaleDataError as exc:
        # The row's version moved since it was read: another writer got there first.
        if session.info.get(IF_MATCH_GIVEN):
            raise PreconditionFailed(f"The {spec.noun} changed since the version given in If-Match.") from exc
        raise Conflict(f"The {spec.noun} changed while this request was applied; read it again and retry.") from exc
    except IntegrityError as exc:
        # A concurrent writer took a unique value between our check and our write.
        raise Conflict(f"The {spec.noun} conflicts with another one (a unique field is already taken).") from exc


async def insert(session: AsyncSession, spec: ResourceSpec[ModelT], values: dict[str, Any]) -> ModelT:
    """Create an entity after checking its references and unique fields; slugs are derived when not given."""
    await _check_references(session, spec, values)
    if spec.slug_field and spec.slug_source and not values.get(spec.slug_field):
        values[spec.slug_field] = await _free_slug(session, spec, str(values[spec.slug_source]))
    await _check_unique(session, spec, values, None)
    if "search_text" in spec.table.c:
        values["search_text"] = search_text_for(spec, values)
    entity = spec.model(**values)
    session.add(entity)
    await _flush(session, spec)
    _audit(session, spec, "create", entity, {}, audit.state(entity))
    return entity


async def update(session: AsyncSession, spec: ResourceSpec[ModelT], entity: ModelT, values: dict[str, Any]) -> ModelT:
    """Write new values onto an entity; its version (see Entity) and updated_at move only when something changed."""
    changed = {name: value for name, value in values.items() if getattr(entity, name) != value}
    if spec.slug_field and spec.slug_field in changed and not changed[spec.slug_field]:
        del changed[spec.slug_field]
    if not changed:
        return entity
    await _check_references(session, spec, changed)
    await _check_unique(session, spec, changed, entity)
    before = audit.state(entity)
    for name, value in changed.items():
        setattr(entity, name, value)
    if "search_text" in spec.table.c:
        entity.search_text = search_text_for(spec, entity.model_dump())
    entity.updated_at = utcnow()
    await _flush(session, spec)
    _audit(session, spec, "update", entity, before, audit.state(entity))
    return entity


async def delete(session: AsyncSession, spec: ResourceSpec[ModelT], entity: ModelT) -> None:
    """Remove an entity, unless other rows still point at it: then 409 with their counts by kind."""
    counts = []
    for blocker in spec.blockers:
        count = (await session.execute(select(func.count()).where(blocker.column == entity.id))).scalar_one()
        if count:
            counts.append(f"{count} {blocker.label}")
    if counts:
        raise Conflict(f"This {spec.noun} cannot be deleted while it has {', '.join(counts)}.")
    last = audit.state(entity)
    await session.delete(entity)
    await _flush(session, spec)
    _audit(session, spec, "delete", entity, last, {})
