"""What of the unpublished a caller may see, written once: a `publish` or unbound `write` key sees every row, a
key bound to labs its labs' rows, anyone else only what is published. Lists, items, exports, stats, the change
feed and webhooks all ask here."""

import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, or_, type_coerce

from app.audit.trail import PUBLISHED
from app.core.errors import Forbidden
from app.core.security import Caller
from app.lists.filters import Filter, Given
from app.publication.rules import Publication

ANY = "any"


@dataclass(frozen=True)
class Sight:
    """The unpublished rows a caller may see: all of them, or those of some labs (none when empty)."""

    everything: bool
    labs: frozenset[uuid.UUID] = frozenset()

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.labs


def sight(caller: Caller) -> Sight:
    if not (caller.holds("write") or caller.holds("publish")):
        return Sight(False)
    return Sight(True) if caller.labs is None else Sight(False, caller.labs)


def can_see(caller: Caller, publication: str, lab_id: uuid.UUID | None) -> bool:
    """Whether one row exists for the caller (an item it may not see is a 404, not a 403)."""
    if publication == PUBLISHED:
        return True
    seen = sight(caller)
    return seen.everything or lab_id in seen.labs


def states(asked: str | None) -> tuple[str, ...]:
    """The publication states a `publication` query parameter asks for: published by default, `any` for all."""
    if not asked:
        return (PUBLISHED,)
    if asked == ANY:
        return tuple(sorted(Publication))
    return tuple(sorted({part.strip() for part in asked.split(",") if part.strip()}))


def _build(table: Table) -> Callable[[Hashable, Sequence[Any]], list[ColumnElement[bool]]]:
    def build(shape: Hashable, values: Sequence[Any]) -> list[ColumnElement[bool]]:
        assert isinstance(shape, tuple)
        kind, count = shape[0], shape[1]
        if kind == PUBLISHED:
            return [table.c.publication == PUBLISHED]
        asked: list[ColumnElement[bool]] = [table.c.publication.in_(list(values[:count]))]
        if kind == "labs":
            # Typed as the column, so that a named parameter binds a UUID as the engine stores it.
            labs = [type_coerce(value, table.c.lab_id.type) for value in values[count:]]
            asked.append(or_(table.c.publication == PUBLISHED, table.c.lab_id.in_(labs)))
        return asked

    return build


def visibility(table: Table) -> Callable[[Caller, Any], Given]:
    """The condition a list of `table` (events, projects) adds for a caller and its `publication` parameter,
    as a filter of its own (a page's statement is kept per shape: published only, all, or some labs' rows)."""
    declared = Filter("visible", lambda value: value, _build(table))

    def given(caller: Caller, params: Any) -> Given:
        asked = states(getattr(params, "publication", None))
        if asked == (PUBLISHED,):
            return Given(declared, (PUBLISHED, 0), ())
        seen = sight(caller)
        if seen.nothing:
            raise Forbidden(
                "Only a key that may see unpublished rows (`write` or `publish`) asks for them: "
                f"`publication={','.join(asked)}` needs one."
            )
        if seen.everything:
            return Given(declared, ("all", len(asked)), asked)
        labs = tuple(sorted(seen.labs))
        return Given(declared, ("labs", len(asked), len(labs)), (*asked, *labs))

    return given
