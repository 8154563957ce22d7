"""List filters as data: each query parameter's condition declared once per list.

One declaration gives both the conditions that exports and stats add to their statements (`where`) and the shape
of a list page (`given`), which the page's statement is compiled for once (see docs/architecture.md).
"""

import operator
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, ScalarSelect, Select, String, Table, bindparam, case, literal, or_, select
from sqlalchemy.sql.elements import ClauseElement, KeyedColumnElement

from app.core.text import parse_uuid
from app.search.analysis import fts_excluded, fts_match, parse, tsquery
from app.search.sql import TextMatch

Prepared = tuple[Hashable, tuple[Any, ...]]
Compare = Callable[[Any, Any], ColumnElement[bool]]


@dataclass(frozen=True)
class Filter:
    """A query parameter's condition. `prepare` turns the parameter's value into a shape and the values the
    condition binds; `build` writes the condition for a shape from those values, given either as themselves or
    as named parameters. What `build` writes must depend only on the shape and the number of values."""

    param: str
    prepare: Callable[[Any], Prepared]
    build: Callable[[Hashable, Sequence[Any]], list[ColumnElement[bool]]]


@dataclass(frozen=True)
class Given:
    """A filter the request gives, with its shape and values."""

    filter: Filter
    shape: Hashable
    values: tuple[Any, ...]

    def binds(self) -> list[Any]:
        """Named parameters in place of the values, for a statement kept per shape."""
        return [bindparam(f"{self.filter.param}_{index}") for index in range(len(self.values))]

    def named(self) -> dict[str, Any]:
        """The values under the names `binds` gives them."""
        return {f"{self.filter.param}_{index}": value for index, value in enumerate(self.values)}


def given(filters: Sequence[Filter], params: Any) -> list[Given]:
    """The filters the params give a value (an empty text, as `?region=`, gives none)."""
    found = []
    for declared in filters:
        value = getattr(params, declared.param, None)
        if value is None or value == "":
            continue
        shape, values = declared.prepare(value)
        found.append(Given(declared, shape, values))
    return found


def where(
    filters: Sequence[Filter],
    params: Any,
    within: Mapping[KeyedColumnElement[Any], Any] | None = None,
    extra: Sequence[Given] = (),
) -> list[ColumnElement[bool]]:
    """The conditions of the filters the params give and of `extra` ones, plus `column = value` for each of
    `within`."""
    active = [*given(filters, params), *extra]
    clauses = [clause for found in active for clause in found.filter.build(found.shape, found.values)]
    clauses += [column == value for column, value in (within or {}).items()]
    return clauses


def compare(
    param: str, column: KeyedColumnElement[Any], how: Compare = operator.eq, convert: Callable[[Any], Any] | None = None
) -> Filter:
    """`column <how> value` (equality by default), the value first converted when `convert` is given."""

    def prepare(value: Any) -> Prepared:
        return None, (value if convert is None else convert(value),)

    return Filter(param, prepare, lambda _shape, values: [how(column, values[0])])


def search(table: Table, param: str = "q") -> Filter:
    """French full-text `q` (app.search): stems, accents, case and elisions folded, web-search syntax; every
    group of words must match. A `q` of stop words only filters nothing."""

    def prepare(value: str) -> Prepared:
        query = parse(value)
        if query.empty:
            return None, ()
        match, excluded = fts_match(query), fts_excluded(query)
        return (bool(match), bool(excluded)), (tsquery(query), *(v for v in (match, excluded) if v))

    def build(shape: Hashable, values: Sequence[Any]) -> list[ColumnElement[bool]]:
        if shape is None:
            return []
        has_match, has_excluded = cast(tuple[bool, bool], shape)
        bound = [v if isinstance(v, ClauseElement) else literal(v, String()) for v in values]
        match = bound[1] if has_match else None
        excluded = bound[-1] if has_excluded else None
        return [TextMatch(table, bound[0], match, excluded)]

    return Filter(param, prepare, build)


def common(table: Table) -> tuple[Filter, ...]:
    """The filters every list takes: words to find (where the table has a search text), and `updated_since`
    for incremental sync."""
    since = compare("updated_since", table.c.updated_at, operator.ge)
    return (since,) if "search_text" not in table.c else (search(table), since)


def table_of(model: Any) -> Table:
    """A model's table (SQLModel types it loosely)."""
    table: Table = model.__table__
    return table


def reference_shape(value: str) -> Prepared:
    """A filter value naming a row: by id when it is a UUID (shape True, the UUID), else by its text."""
    as_uuid = parse_uuid(value)
    return (True, (as_uuid,)) if as_uuid is not None else (False, (value,))


def named_ids(model: Any, by_id: bool, value: Any, extra_keys: Sequence[str] = ()) -> Select[Any]:
    """Ids of the rows `value` names (see `reference_shape`): its id, else slug, external_id or `extra_keys`."""
    table = table_of(model)
    if by_id:
        return select(table.c.id).where(table.c.id == value)
    keys = [k for k in ("slug", "external_id", *extra_keys) if k in table.c]
    return select(table.c.id).where(or_(*(table.c[k] == value for k in keys)))


def reference_ids(model: Any, value: str, *extra_keys: str) -> Select[Any]:
    """Ids of the rows a filter value names: by id, slug, external_id or other unique keys."""
    by_id, (named,) = reference_shape(value)
    return named_ids(model, bool(by_id), named, extra_keys)


def _named_id(model: Any, by_id: bool, value: Any) -> ScalarSelect[Any]:
    """The id of the one row a value names — by id, else slug, else external_id — as a scalar subquery:
    `column = (SELECT …)` seeks an index on (column, sort key), where `IN (SELECT …)` makes the planner guess."""
    if by_id:
        return named_ids(model, by_id, value).scalar_subquery()
    table = table_of(model)
    keys = [k for k in ("slug", "external_id") if k in table.c]
    # A slug and another row's external_id may be the same text: the slug wins.
    preference = case(*((table.c[k] == value, rank) for rank, k in enumerate(keys)), else_=len(keys))
    return named_ids(model, by_id, value).order_by(preference).limit(1).scalar_subquery()


def reference(
    param: str, column: KeyedColumnElement[Any], model: Any, *, one: bool = False, correlate: bool = True
) -> Filter:
    """`column` holds a row of `model` the value names by id, slug or external_id; `one`: the row the value names
    first, compared with `=`; `correlate=False` when the rows named are of the list's own table."""

    def build(by_id: Hashable, values: Sequence[Any]) -> list[ColumnElement[bool]]:
        if one:
            return [column == _named_id(model, bool(by_id), values[0])]
        ids = named_ids(model, bool(by_id), values[0])
        return [column.in_(ids if correlate else ids.correlate(None))]

    return Filter(param, reference_shape, build)
