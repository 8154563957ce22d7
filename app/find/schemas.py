"""The query string and the answer of `/search`."""

import uuid
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from app.lists.params import PageParams

Kind = Literal["lab", "project", "event", "organization"]
KINDS: tuple[Kind, ...] = ("lab", "project", "event", "organization")


class SearchParams(PageParams):
    """Words to find, and the kinds of items to find them in."""

    q: str = Field(min_length=1, max_length=200, description="Words to find, as the lists' `q` (docs/search.md).")
    types: str = Field(
        default=",".join(KINDS),
        max_length=200,
        description="Kinds of items, comma-separated: `lab`, `project`, `event`, `organization` (all by default).",
    )

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: str) -> str:
        asked = [part.strip() for part in value.split(",") if part.strip()]
        unknown = sorted(set(asked) - set(KINDS))
        if not asked or unknown:
            raise ValueError(
                f"must name some of {', '.join(KINDS)}" + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            )
        return ",".join(kind for kind in KINDS if kind in asked)

    def kinds(self) -> tuple[Kind, ...]:
        return tuple(kind for kind in KINDS if kind in self.types.split(","))


class SearchHit(BaseModel):
    type: Kind
    id: uuid.UUID
    slug: str | None = Field(description="Events have none.")
    title: str
    snippet: str | None = Field(
        description="An HTML-escaped extract around the words found, each within `<mark>…</mark>`; null when only "
        "the title or a field not shown matched."
    )
    rank: float = Field(description="Higher is better; comparable within one answer only (docs/search.md).")


class SearchFacets(BaseModel):
    """How many items the same `q` finds, by kind, by region code and by theme code (all pages together)."""

    type: dict[str, int]
    region: dict[str, int]
    theme: dict[str, int]


class SearchResults(BaseModel):
    items: list[SearchHit]
    next_cursor: str | None
    facets: SearchFacets
