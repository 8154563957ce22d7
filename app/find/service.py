"""One search across labs, projects, events and organizations: each list's own conditions for `q` and for what
the caller may see (published rows only: `/search` takes no `publication`), ranked together by relevance and
keyset-paginated by (rank, type, id)."""

import math
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, Text, and_, func, literal, null, or_, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import BadRequest, FieldError, InvalidInput
from app.core.security import Caller
from app.events.service import EVENTS
from app.find.schemas import Kind, SearchFacets, SearchHit, SearchParams, SearchResults
from app.labs.service import LABS
from app.lists.listing import Listing
from app.lists.pagination import decode_cursor, encode_cursor
from app.organizations.service import ORGANIZATIONS
from app.projects.service import PROJECTS
from app.search.analysis import fts_match, parse, snippet, tsquery
from app.search.sql import RELEVANCE, Relevance

SORT = RELEVANCE
FACETS = {"region": "region_code", "theme": "theme_code"}


@dataclass(frozen=True)
class Searched:
    """A kind of item: its list (filters, visibility), the column shown as its title and the one its snippet
    is cut from."""

    listing: Listing
    title: str
    body: str | None


SEARCHED: dict[Kind, Searched] = {
    "lab": Searched(LABS, "name", "description"),
    "project": Searched(PROJECTS, "title", "summary"),
    "event": Searched(EVENTS, "title", "description"),
    "organization": Searched(ORGANIZATIONS, "name", None),
}


def _conditions(kind: Kind, q: str, caller: Caller) -> list[ColumnElement[bool]]:
    searched = SEARCHED[kind]
    return searched.listing.where(searched.listing.params.model_validate({"q": q}), caller)


def _optional(kind: Kind, column: str) -> ColumnElement[Any]:
    table = SEARCHED[kind].listing.table
    return table.c[column] if column in table.c else null()


def _hits(kind: Kind, q: str, caller: Caller) -> Select[Any]:
    searched = SEARCHED[kind]
    table = searched.listing.table
    return select(
        literal(kind, String()).label("type"),
        table.c.id.label("id"),
        _optional(kind, "slug").label("slug"),
        table.c[searched.title].label("title"),
        (table.c[searched.body] if searched.body else literal(None, Text())).label("body"),
        Relevance(table).label("rank"),
    ).where(*_conditions(kind, q, caller))


def _after(cursor: str) -> tuple[float, str, uuid.UUID]:
    rank, key = decode_cursor(cursor, SORT)
    kind, _, ident = str(key).partition("/")
    try:
        if type(rank) not in (int, float) or not math.isfinite(rank) or kind not in SEARCHED:
            raise ValueError(kind)
        return float(rank), kind, uuid.UUID(ident)
    except ValueError:
        raise BadRequest("The cursor is not valid; start again without one.") from None


async def _facets(session: AsyncSession, kinds: tuple[Kind, ...], q: str, caller: Caller) -> SearchFacets:
    types: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    themes: Counter[str] = Counter()
    for kind in kinds:
        table = SEARCHED[kind].listing.table
        grouped = {name: table.c[column] for name, column in FACETS.items() if column in table.c}
        stmt = (
            select(*(column.label(name) for name, column in grouped.items()), func.count().label("n"))
            .select_from(table)
            .where(*_conditions(kind, q, caller))
            .group_by(*grouped.values())
        )
        for row in (await session.execute(stmt)).mappings():
            types[kind] += row["n"]
            if row.get("region") is not None:
                regions[row["region"]] += row["n"]
            if row.get("theme") is not None:
                themes[row["theme"]] += row["n"]
    return SearchFacets(
        type={k: types[k] for k in kinds}, region=dict(sorted(regions.items())), theme=dict(sorted(themes.items()))
    )


async def search(session: AsyncSession, params: SearchParams, caller: Caller) -> SearchResults:
    """A page of the best matches first, and the facets of all of them."""
    query = parse(params.q)
    if not query.groups:
        error = FieldError(
            loc=["query", "q"], msg="needs words to find (not only stop words or exclusions)", type="value_error"
        )
        raise InvalidInput([error])
    kinds = params.kinds()
    hits = union_all(*(_hits(kind, params.q, caller) for kind in kinds)).subquery("hits")
    stmt = select(hits).order_by(hits.c.rank.desc(), hits.c.type, hits.c.id).limit(params.limit + 1)
    if params.cursor is not None:
        rank, kind, ident = _after(params.cursor)
        stmt = stmt.where(
            or_(hits.c.rank < rank, and_(hits.c.rank == rank, tuple_(hits.c.type, hits.c.id) > (kind, ident)))
        )
    values = {"q_0": tsquery(query), "q_1": fts_match(query)}
    rows = (await session.execute(stmt, values)).mappings().all()
    items = [
        SearchHit(
            type=row["type"],
            id=row["id"],
            slug=row["slug"],
            title=row["title"],
            snippet=snippet(row["body"], query),
            rank=row["rank"],
        )
        for row in rows[: params.limit]
    ]
    following = None
    if len(rows) > params.limit:
        last = rows[params.limit - 1]
        following = encode_cursor(SORT, [last["rank"], f"{last['type']}/{last['id']}"])
    return SearchResults(items=items, next_cursor=following, facets=await _facets(session, kinds, params.q, caller))
