"""Shapes of the reference data, and the filter types that accept friendly spellings of it."""

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from app.core.schemas import Read
from app.core.text import slugify
from app.lists.params import PageParams
from app.reference.data import region_code_for


class RegionRead(Read):
    """A French region: INSEE code, name, and the time zone local times are read in."""

    code: str
    name: str
    timezone: str


class ThemeRead(Read):
    """A theme: stable code, French label."""

    code: str
    label: str


class EventFormatRead(Read):
    """An event format: stable code, French label."""

    code: str
    label: str


class ReferenceParams(PageParams):
    """A reference list's query string: paging, in code order."""

    sort: Literal["code"] = Field(default="code", description="By code, the one order of a reference list.")


def _region(value: str) -> str:
    code = region_code_for(value)
    if code is None:
        raise ValueError("unknown region: give its INSEE code (53) or its name (Bretagne)")
    return code


RegionParam = Annotated[str, StringConstraints(max_length=100), AfterValidator(_region)]
"""A region by INSEE code or name, accents and case ignored; resolved to the code."""

CodeParam = Annotated[str, StringConstraints(max_length=100), AfterValidator(slugify)]
"""A theme or format code in any case, with or without accents: `Service-Usager` is `service-usager`."""
