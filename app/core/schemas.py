"""Bases for request and response shapes, and the reusable field types with their rules."""

import re
import unicodedata
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Generic, Optional, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
)

from app.core.text import fold


def _no_nul(value: Any) -> Any:
    """Refuse NUL in text, also inside lists and objects (their keys included)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    items = value.items() if isinstance(value, dict) else value if isinstance(value, list | tuple) else ()
    for item in items:
        _no_nul(item)
    return value


class Input(BaseModel):
    """A request body: unknown fields are refused, and no text may carry NUL (PostgreSQL cannot store it).

    The NUL check runs on every field before its own validation, so the error names the field.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        return _no_nul(value)


class Read(BaseModel):
    """A response body built from a table row; fields have no defaults so OpenAPI marks them required."""

    model_config = ConfigDict(from_attributes=True)


class EntityRead(Read):
    """What every domain entity shows: identity, timestamps and the version behind its ETag."""

    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    version: int


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a keyset-paginated list."""

    items: list[ItemT]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")
    total: int | None = Field(default=None, description="Count of all matching items, with `include_total=true`.")


def _check_slug(value: str) -> str:
    try:
        uuid.UUID(value)
    except ValueError:
        return value
    raise ValueError("a slug may not look like a UUID (items are addressed by either)")


def url_unsafe(char: str) -> bool:
    """A character a URL never carries as itself: a space or line break, a control character, or an invisible
    format character (a right-to-left override…); stored, it would cut a calendar feed, a header or a log line,
    or disguise the link. A URL that means one percent-encodes it."""
    return char.isspace() or unicodedata.category(char) in {"Cc", "Cf"}


def _check_url(value: str) -> str:
    if any(map(url_unsafe, value)):
        raise ValueError("must be an absolute http(s) URL without spaces or control characters (percent-encode them)")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown IANA time zone (e.g. Europe/Paris, Indian/Reunion)") from None
    return value


def _check_code(value: str) -> str:
    return value if re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value) else fold(value).replace(" ", "-")


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
# A day's margin at both ends of Python's calendar: any offset or time zone then still converts to UTC.
_EARLIEST = date.min + timedelta(days=1)
_LATEST = date.max - timedelta(days=1)


def _not_a_number(value: Any) -> Any:
    """Pydantic reads a number, also one sent as text, as Unix time: `0` would be stored as 1970-01-01."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("give a date (YYYY-MM-DD) or an RFC 3339 date-time, not a number")
    return value


def _convertible(value: datetime) -> datetime:
    """Instants next to year 1 or 9999 overflow when moved to UTC: refused here rather than failing later."""
    if not _EARLIEST <= value.date() <= _LATEST:
        raise ValueError(f"must be between {_EARLIEST} and {_LATEST}")
    return value


Name = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=r"\S")]
ShortText = Annotated[str, StringConstraints(max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
Slug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=120, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"),
    AfterValidator(_check_slug),
]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
Url = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_check_url)]
Email = Annotated[str, StringConstraints(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_check_timezone)]
Count = Annotated[int, Field(ge=0, le=2_147_483_647)]
Cents = Annotated[int, Field(gt=0, le=9_000_000_000_000_000, description="Integer euro cents.")]
ThemeCode = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_check_code)]
Day = Annotated[date, BeforeValidator(_not_a_number)]
Instant = Annotated[datetime, BeforeValidator(_not_a_number), AfterValidator(_convertible)]
AwareInstant = Annotated[AwareDatetime, BeforeValidator(_not_a_number), AfterValidator(_convertible)]

InputT = TypeVar("InputT", bound=Input)


def partial(model: type[InputT], name: str, doc: str) -> type[Input]:
    """The PATCH shape of a create schema: the same fields, all optional, unknown fields still refused."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        optional = Optional[annotation]  # noqa: UP045 (a runtime union with a typing special form)
        fields[field_name] = (optional, Field(default=None, description=info.description))
    return create_model(name, __base__=Input, __doc__=doc, **fields)


def merge_patch(create_schema: type[InputT], entity: Any, patch: Input) -> InputT:
    """Apply a JSON merge patch to an entity's current state and validate the result as a whole.

    Validating the merged document with the create schema means a PATCH obeys exactly the rules of a POST,
    cross-field ones included (an `ends_on` patched before the stored `starts_on` is refused).
    """
    current = {name: getattr(entity, name, None) for name in create_schema.model_fields}
    current.update(patch.model_dump(exclude_unset=True))
    try:
        return create_schema.model_validate(current)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**err, "loc": ("body", *err["loc"])} for err in exc.errors(include_url=False)]
        ) from None


def ends_after(start_field: str) -> Callable[[Any, ValidationInfo], Any]:
    """A field validator for an end that must be on or after `start_field` (declared before it)."""

    def check(value: Any, info: ValidationInfo) -> Any:
        start = info.data.get(start_field)
        if value is not None and start is not None and value < start:
            raise ValueError(f"must be on or after {start_field}")
        return value

    return check
