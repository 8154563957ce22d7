"""Generic data access for the domain's resources: load by id or slug, insert, update, delete.

Every write of every slice (and the importer's slugs and search text) goes through here, so versioning,
timestamps, unique fields (409), references that must exist, deletes refused while rows point at the entity and
the audit entry in the same transaction live in one place.
"""

import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Table, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlmodel import SQLModel

from app.audit import trail
from app.core.errors import Conflict, FieldError, InvalidInput, NotFound, PreconditionFailed
from app.core.text import like_escape, parse_uuid, slugify
from app.models.base import Entity, utcnow
from app.search.analysis import stems

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


Guard = Callable[[AsyncSession, str, Mapping[str, Any] | None, Mapping[str, Any] | None], Awaitable[None]]
"""`guard(session, action, current values or None, new values or None)`: raises Forbidden for what the caller
may not write."""


@dataclass(frozen=True)
class ResourceSpec(Generic[ModelT]):
    """What the generic operations need to know about one resource."""

    model: type[ModelT]
    noun: str
    slug_field: str | None = None
    slug_source: str | None = None
    search_fields: tuple[str, ...] = ()
    unique_fields: tuple[str, ...] = ()
    references: Mapping[str, Reference] = field(default_factory=dict)
    blockers: tuple[Blocker, ...] = ()
    guard: Guard | None = None
    """Who may write it (app.auth.permissions): called before each create, update and delete, and by the
    importer for each row."""

    @property
    def table(self) -> Table:
        return self.model.__table__  # type: ignore[attr-defined,no-any-return]

    @property
    def entity_type(self) -> str:
        """The name the audit trail and the change feed give the entity: `FundingStream` → `funding_stream`."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.model.__name__).lower()

    def column(self, name: str) -> KeyedColumnElement[Any]:
        return self.table.c[name]


def identity_clause(spec: ResourceSpec[Any], ident: str) -> ColumnElement[bool]:
    """`id = :ident` when it is a UUID, else the slug (or code) column."""
    as_uuid = parse_uuid(ident)
    if as_uuid is not None or spec.slug_field is None:
        return spec.column("id") == as_uuid
    return spec.column(spec.slug_field) == ident


async def get(session: AsyncSession, spec: ResourceSpec[ModelT], ident: str) -> ModelT:
    """The entity addressed by id or slug, or 404."""
    found = (await session.execute(select(spec.model).where(identity_clause(spec, ident)))).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No {spec.noun} with id or slug '{ident}'.")
    return found


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


def slug_base(spec: ResourceSpec[Any], source: str) -> str:
    """The slug a name gives (a UUID-like one prefixed with the noun: items are addressed by id or slug)."""
    base = (slugify(source) or spec.noun)[:110].strip("-")
    return f"{spec.noun}-{base}" if parse_uuid(base) is not None else base


async def free_slug(
    session: AsyncSession, spec: ResourceSpec[Any], base: str, *, also_taken: Collection[str] = ()
) -> str:
    """`base`, suffixed -2, -3… until neither another entity nor `also_taken` holds it."""
    assert spec.slug_field is not None
    column = spec.column(spec.slug_field)
    pattern = column.like(f"{like_escape(base)}-%", escape="\\")
    taken = {*(await session.execute(select(column).where(or_(column == base, pattern)))).scalars(), *also_taken}
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def searched(values: Mapping[str, Any], name: str) -> Any:
    """A search field's value: `place.name` is the key `name` of the object `place` (None when absent)."""
    field, _, key = name.partition(".")
    value = values.get(field)
    if key:
        return value.get(key) if isinstance(value, Mapping) else None
    return value


def search_columns(spec: ResourceSpec[Any], values: Mapping[str, Any]) -> dict[str, str]:
    """The stems `q` finds an entity by (app.search): its first search field as its title, the others as its
    body. Also written by bulk imports, which bypass `insert`."""
    parts = [searched(values, name) for name in spec.search_fields]
    texts = [" ".join(map(str, p)) if isinstance(p, list) else str(p) if p is not None else "" for p in parts]
    return {"search_title": stems(*texts[:1]), "search_text": stems(*texts[1:])}


def _audit(
    session: AsyncSession,
    spec: ResourceSpec[Any],
    action: str,
    entity: Entity,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    trail.record(
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


def values_of(entity: Entity) -> dict[str, Any]:
    """An entity's columns, as Python values."""
    return {column.key: getattr(entity, column.key) for column in entity.__table__.c}  # type: ignore[attr-defined]


async def insert(session: AsyncSession, spec: ResourceSpec[ModelT], values: dict[str, Any]) -> ModelT:
    """Create an entity after checking who may, its references and unique fields; slugs are derived when not
    given."""
    if spec.guard is not None:
        await spec.guard(session, "create", None, values)
    await _check_references(session, spec, values)
    if spec.slug_field and spec.slug_source and not values.get(spec.slug_field):
        values[spec.slug_field] = await free_slug(session, spec, slug_base(spec, str(values[spec.slug_source])))
    await _check_unique(session, spec, values, None)
    if "search_text" in spec.table.c:
        values.update(search_columns(spec, values))
    entity = spec.model(**values)
    session.add(entity)
    await _flush(session, spec)
    _audit(session, spec, "create", entity, {}, trail.state(entity))
    return entity


async def update(session: AsyncSession, spec: ResourceSpec[ModelT], entity: ModelT, values: dict[str, Any]) -> ModelT:
    """Write new values onto an entity; its version (see Entity) and updated_at move only when something changed."""
    changed = {name: value for name, value in values.items() if getattr(entity, name) != value}
    if spec.slug_field and spec.slug_field in changed and not changed[spec.slug_field]:
        del changed[spec.slug_field]
    if spec.guard is not None:
        current = values_of(entity)
        await spec.guard(session, "update", current, {**current, **changed})
    if not changed:
        return entity
    await _check_references(session, spec, changed)
    await _check_unique(session, spec, changed, entity)
    before = trail.state(entity)
    for name, value in changed.items():
        setattr(entity, name, value)
    if "search_text" in spec.table.c:
        for name, value in search_columns(spec, entity.model_dump()).items():
            setattr(entity, name, value)
    entity.updated_at = utcnow()
    await _flush(session, spec)
    _audit(session, spec, "update", entity, before, trail.state(entity))
    return entity


async def delete(session: AsyncSession, spec: ResourceSpec[ModelT], entity: ModelT) -> None:
    """Remove an entity, unless other rows still point at it: then 409 with their counts by kind."""
    if spec.guard is not None:
        await spec.guard(session, "delete", values_of(entity), None)
    counts = []
    for blocker in spec.blockers:
        count = (await session.execute(select(func.count()).where(blocker.column == entity.id))).scalar_one()
        if count:
            counts.append(f"{count} {blocker.label}")
    if counts:
        raise Conflict(f"This {spec.noun} cannot be deleted while it has {', '.join(counts)}.")
    last = trail.state(entity)
    await session.delete(entity)
    await _flush(session, spec)
    _audit(session, spec, "delete", entity, last, {})
