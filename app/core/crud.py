"""Generic data access for the domain's resources: load by id or slug, keyset lists, insert, update, delete.

Every write of every slice goes through `insert`, `update` and `delete` here, so the rules they share —
versioning, timestamps, the folded search text, unique fields answered with 409, references that must exist,
deletes refused while other rows still point at the entity, an audit entry in the same transaction — live in
one place.
"""

import re
import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Integer, ScalarSelect, Select, Table, bindparam, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlmodel import SQLModel

from app.core import audit, filters
from app.core.errors import Conflict, FieldError, InvalidInput, NotFound, PreconditionFailed
from app.core.filters import Filter, Prepared, given, where
from app.core.pagination import SortKey, cursor_values, next_cursor, seek
from app.core.reads import fetch_bound
from app.core.text import like_escape, search_text, slugify
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


def reference_shape(value: str) -> Prepared:
    """A filter value naming a row: by id when it is a UUID (shape True, the UUID), else by its text."""
    as_uuid = _parse_uuid(value)
    return (True, (as_uuid,)) if as_uuid is not None else (False, (value,))


def named_ids(model: type[Entity], by_id: bool, value: Any, extra_keys: Sequence[str] = ()) -> Select[Any]:
    """Ids of the rows `value` names (see `reference_shape`): its id, else slug, external_id or `extra_keys`."""
    table = model.__table__  # type: ignore[attr-defined]
    if by_id:
        return select(table.c.id).where(table.c.id == value)
    keys = [k for k in ("slug", "external_id", *extra_keys) if k in table.c]
    return select(table.c.id).where(or_(*(table.c[k] == value for k in keys)))


def reference_ids(model: type[Entity], value: str, *extra_keys: str) -> Select[Any]:
    """Ids of the rows a filter value names: by id, slug, external_id or other unique keys."""
    by_id, (named,) = reference_shape(value)
    return named_ids(model, bool(by_id), named, extra_keys)


def _named_id(model: type[Entity], by_id: bool, value: Any) -> ScalarSelect[Any]:
    """The id of the one row a filter value names — by id, else slug, else external_id — as a scalar subquery.

    `column = (SELECT …)` is evaluated once and then seeks an index on (column, sort key) in order, where
    `column IN (SELECT …)` makes the planner guess: on a million events, the events of one campaign (all in one
    November) were found by walking every earlier event, 2 s instead of a millisecond.
    """
    table = model.__table__  # type: ignore[attr-defined]
    if by_id:
        return named_ids(model, by_id, value).scalar_subquery()
    keys = [k for k in ("slug", "external_id") if k in table.c]
    # A slug and another row's external_id may be the same text: the slug wins.
    preference = case(*((table.c[k] == value, rank) for rank, k in enumerate(keys)), else_=len(keys))
    return named_ids(model, by_id, value).order_by(preference).limit(1).scalar_subquery()


def reference(
    param: str, column: KeyedColumnElement[Any], model: type[Entity], *, one: bool = False, correlate: bool = True
) -> Filter:
    """`column` holds a row the value names by id, slug or external_id; `one`: the row the value names first,
    compared with `=` (see `_named_id`); `correlate=False` when the rows named are of the list's own table."""

    def build(by_id: Hashable, values: Sequence[Any]) -> list[ColumnElement[bool]]:
        if one:
            return [column == _named_id(model, bool(by_id), values[0])]
        ids = named_ids(model, bool(by_id), values[0])
        return [column.in_(ids if correlate else ids.correlate(None))]

    return Filter(param, reference_shape, build)


def common(spec: ResourceSpec[Any]) -> tuple[Filter, ...]:
    """The filters every list of the resource takes (see `filters.common`)."""
    table = spec.table
    return filters.common(table.c.get("search_text"), table.c.updated_at)


_selected: dict[tuple[Table, type[BaseModel] | None], Select[Any]] = {}


def _page_select(spec: ResourceSpec[Any], read_model: type[BaseModel] | None) -> Select[Any]:
    """`SELECT` of the columns the response shows, in its order (every column but the search text when it is
    not said); built once per list, since statements are immutable and each page's statement adds to a copy."""
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


@dataclass(frozen=True)
class PageStatement:
    """A page's SELECT as `reads.fetch_bound` takes it: what its SQL depends on (`key`), how to build it with
    named parameters (`build`, once per key) and this request's values for them."""

    key: Hashable
    build: Callable[[], Select[Any]]
    values: dict[str, Any]


def page_statement(
    spec: ResourceSpec[Any],
    declared: Sequence[Filter],
    params: Any,
    query: ListQuery,
    read_model: type[BaseModel] | None = None,
    within: Mapping[str, Any] | None = None,
) -> PageStatement:
    """The SELECT of a page: the filters the params give and `column = value` for each of `within` (the parent
    of a nested list), after the cursor in the sort's order, limit + 1 rows."""
    active = given(declared, params)
    inside = tuple((within or {}).items())
    sort_key = spec.sorts[query.sort]
    values: dict[str, Any] = {"page_limit": query.limit + 1}
    for found in active:
        values.update(found.named())
    values.update((f"within_{name}", value) for name, value in inside)
    if query.cursor is not None:
        values["after_key"], values["after_id"] = cursor_values(query.cursor, query.sort, sort_key, spec.table.c.id)

    def build() -> Select[Any]:
        id_type = spec.table.c.id.type
        clauses = [clause for found in active for clause in found.filter.build(found.shape, found.binds())]
        clauses += [spec.column(name) == bindparam(f"within_{name}") for name, _ in inside]
        stmt = _page_select(spec, read_model).where(*clauses)
        cursor = None
        if query.cursor is not None:
            cursor = bindparam("after_key", type_=sort_key.column.type), bindparam("after_id", type_=id_type)
        return seek(stmt, sort_key, spec.table.c.id, cursor).limit(bindparam("page_limit", type_=Integer()))

    shapes = tuple((found.filter.param, found.shape, len(found.values)) for found in active)
    key = (spec.table, read_model, query.sort, query.cursor is not None, shapes, tuple(name for name, _ in inside))
    return PageStatement(key, build, values)


async def list_page(
    connection: AsyncConnection,
    spec: ResourceSpec[Any],
    declared: Sequence[Filter],
    params: Any,
    query: ListQuery,
    read_model: type[BaseModel] | None = None,
    *,
    within: Mapping[str, Any] | None = None,
) -> PageResult:
    """One keyset page: an index seek after the cursor, limit + 1 rows to know whether another page follows.

    Only the columns of `read_model` are read, as JSON-ready values, from a statement kept per shape
    (`reads.fetch_bound`): no ORM object, no SQLAlchemy row, no statement built again on the hot path.
    """
    page = page_statement(spec, declared, params, query, read_model, within)
    rows = await fetch_bound(connection, page.key, page.build, page.values)
    total = None
    if query.include_total:
        counted = where(declared, params, {spec.column(name): value for name, value in (within or {}).items()})
        total = (await connection.execute(select(func.count()).select_from(spec.table).where(*counted))).scalar_one()
    key = spec.sorts[query.sort]
    return PageResult(
        rows=rows[: query.limit], next_cursor=next_cursor(rows, query.limit, key, query.sort), total=total
    )


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
