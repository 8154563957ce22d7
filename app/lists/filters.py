"""List filters as data: each query parameter's condition declared once per list.

One declaration gives both the conditions that exports and stats add to their statements (`where`) and the shape
of a list page (`given`), which the page's statement is compiled for once (see docs/architecture.md).
"""

import math
import operator
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    String,
    Table,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.sql.elements import ClauseElement, KeyedColumnElement

from app.core.text import like_escape, parse_uuid
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


EARTH_RADIUS_KM = 6371.0088
"""The mean radius of the WGS84 ellipsoid: great-circle distances are within 0.5 % of the geodesic ones."""
_KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180


def distance_km(
    latitude: KeyedColumnElement[Any], longitude: KeyedColumnElement[Any], point: Sequence[Any]
) -> ColumnElement[float]:
    """The great-circle distance in km from the row's point to `point` (latitude, longitude: values or bound
    parameters), by the haversine formula, in functions both engines have (SQLite ≥ 3.35 has its math functions)."""
    half_lat = func.radians(latitude - point[0]) / 2
    half_lon = func.radians(longitude - point[1]) / 2
    sin_lat, sin_lon = func.sin(half_lat), func.sin(half_lon)
    chord = sin_lat * sin_lat + func.cos(func.radians(point[0])) * func.cos(func.radians(latitude)) * sin_lon * sin_lon
    distance: ColumnElement[float] = 2 * EARTH_RADIUS_KM * func.asin(func.sqrt(chord))
    return distance


def near(param: str, latitude: KeyedColumnElement[Any], longitude: KeyedColumnElement[Any]) -> Filter:
    """Rows within `radius` km of a point, the value being (latitude, longitude, radius). The box around the
    circle is compared first, on the coordinates the sort's index carries, so the distance is computed only for
    the rows in it (docs/architecture.md, "Distance"); the values are the point, the radius and the box (south,
    north, west, east: a box that would cross ±180° or a pole compares latitudes only)."""

    def prepare(value: Any) -> Prepared:
        point_lat, point_lon, radius = value
        span_lat = radius / _KM_PER_DEGREE
        south, north = point_lat - span_lat, point_lat + span_lat
        cos_lat = math.cos(math.radians(point_lat))
        span_lon = span_lat / cos_lat if cos_lat > 1e-6 else 360.0
        west, east = point_lon - span_lon, point_lon + span_lon
        with_longitudes = south > -90 and north < 90 and west > -180 and east < 180
        box = (south, north, west, east) if with_longitudes else (south, north)
        return with_longitudes, (point_lat, point_lon, radius, *box)

    def build(_shape: Hashable, values: Sequence[Any]) -> list[ColumnElement[bool]]:
        clauses = [latitude.between(values[3], values[4])]
        if len(values) == 7:
            clauses.append(longitude.between(values[5], values[6]))
        return [*clauses, distance_km(latitude, longitude, values[:2]) <= values[2]]

    return Filter(param, prepare, build)


def within_box(
    param: str, latitude: KeyedColumnElement[Any], longitude: KeyedColumnElement[Any], parse: Callable[[Any], Any]
) -> Filter:
    """Rows whose point lies in a box: `parse(value)` gives (west, south, east, north), RFC 7946's order."""

    def prepare(value: Any) -> Prepared:
        return None, tuple(parse(value))

    def build(_shape: Hashable, values: Sequence[Any]) -> list[ColumnElement[bool]]:
        west, south, east, north = values
        return [latitude.between(south, north), longitude.between(west, east)]

    return Filter(param, prepare, build)


def holds(param: str, column: KeyedColumnElement[Any]) -> Filter:
    """A JSON list of codes holds the value: its text holds the quoted code (codes have no quote nor escape),
    which both engines read alike."""

    def prepare(value: Any) -> Prepared:
        return None, (f'%"{like_escape(str(value))}"%',)

    return Filter(param, prepare, lambda _shape, values: [sql_cast(column, String).like(values[0], escape="\\")])


def not_passed(param: str, column: KeyedColumnElement[Any], now: Callable[[], Any]) -> Filter:
    """`true`: the instant is not passed (or there is none); `false`: it is passed."""

    def prepare(value: Any) -> Prepared:
        return bool(value), (now(),)

    def build(still: Hashable, values: Sequence[Any]) -> list[ColumnElement[bool]]:
        return [or_(column.is_(None), column > values[0])] if still else [column <= values[0]]

    return Filter(param, prepare, build)


def through(declared: Filter, column: KeyedColumnElement[Any], table: Table) -> Filter:
    """Another list's filter applied to the rows of `table` that `column` points at (`table.id`): the agenda of
    sessions takes every filter of the event list this way, those added later included."""

    def build(shape: Hashable, values: Sequence[Any]) -> list[ColumnElement[bool]]:
        return [column.in_(select(table.c.id).where(*declared.build(shape, values)))]

    return Filter(declared.param, declared.prepare, build)


def given_through(found: Given, column: KeyedColumnElement[Any], table: Table) -> Given:
    """A given filter of another list (what a caller may see of it) applied through `column`, as `through`."""
    return Given(through(found.filter, column, table), found.shape, found.values)
