"""List filters as data: each query parameter's condition declared once per list.

One declaration gives both the clauses exports, stats and calendars add to their statements (`where`) and the
shape of a list page (`given`): a page's SQL depends on its filters' values only through their shape — which
are given, how many words a search has, whether a reference is an id or a slug — so `crud.list_page` builds
and compiles it once per shape, with named parameters, and a request only computes their values. Building
the statement and SQLAlchemy's cache key again for every page was about 15 % of a list request's CPU
(profiled under load).
"""

import operator
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam
from sqlalchemy.sql.elements import KeyedColumnElement

from app.core.text import fold, like_escape

Prepared = tuple[Hashable, tuple[Any, ...]]
Compare = Callable[[Any, Any], ColumnElement[bool]]


@dataclass(frozen=True)
class Filter:
    """A query parameter's condition. `prepare` turns the parameter's value into a shape and the values the
    condition binds; `build` writes the condition for a shape from those values, given either as themselves
    or as named parameters (the same SQL either way). What `build` writes must depend on nothing but the shape
    and the number of values: a statement built for one request serves every request of that shape."""

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
    filters: Sequence[Filter], params: Any, within: Mapping[KeyedColumnElement[Any], Any] | None = None
) -> list[ColumnElement[bool]]:
    """The conditions of the filters the params give, plus `column = value` for each of `within`."""
    clauses = [clause for found in given(filters, params) for clause in found.filter.build(found.shape, found.values)]
    clauses += [column == value for column, value in (within or {}).items()]
    return clauses


def compare(
    param: str, column: KeyedColumnElement[Any], how: Compare = operator.eq, convert: Callable[[Any], Any] | None = None
) -> Filter:
    """`column <how> value` (equality by default), the value first converted when `convert` is given."""

    def prepare(value: Any) -> Prepared:
        return None, (value if convert is None else convert(value),)

    return Filter(param, prepare, lambda _shape, values: [how(column, values[0])])


def search(column: KeyedColumnElement[Any], param: str = "q") -> Filter:
    """Every word of the value must appear in the folded search text: accents and case never matter."""

    def prepare(value: str) -> Prepared:
        patterns = tuple(f"%{like_escape(word)}%" for word in fold(value).split())
        return len(patterns), patterns

    return Filter(param, prepare, lambda _shape, values: [column.like(value, escape="\\") for value in values])


def common(search_text: KeyedColumnElement[Any] | None, updated_at: KeyedColumnElement[Any]) -> tuple[Filter, ...]:
    """The filters every list takes: words to find (where the list has a search text), and `updated_since`
    for incremental sync."""
    since = compare("updated_since", updated_at, operator.ge)
    return (since,) if search_text is None else (search(search_text), since)
