"""Spreadsheet cells read as the values the API's schemas expect: French dates, decimal commas, lists, booleans.

Each field's kind comes from its create schema's annotation, so a cell is converted for what the field is,
then validated by the very schema the JSON API uses. Conversions only rewrite what they recognise; anything
else goes to the schema unchanged and is refused there with the schema's own message.
"""

import re
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, get_args, get_origin

import orjson
from pydantic import BaseModel

from app.exports.csv import FORMULA_STARTS


class Kind(StrEnum):
    text = "text"
    integer = "integer"
    decimal = "decimal"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"
    list = "list"


_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_FRENCH_DATETIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(.*)")
_DIGIT_GROUPS = str.maketrans("", "", " \u00a0\u202f")
_TRUE = frozenset({"true", "1", "oui", "yes", "vrai", "o", "y"})
_FALSE = frozenset({"false", "0", "non", "no", "faux", "n"})
_LIST_SEPARATORS = re.compile(r"[|;,]")


def _base(annotation: Any) -> Any:
    """The type under Optional[...] and Annotated[...]."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
        else:
            return annotation


def kinds(schema: type[BaseModel]) -> dict[str, Kind]:
    """Each field of a schema and the kind of cell it takes."""
    found = {}
    for name, info in schema.model_fields.items():
        base = _base(info.annotation)
        if get_origin(base) is list:
            found[name] = Kind.list
        elif base is bool:
            found[name] = Kind.boolean
        elif base is int:
            found[name] = Kind.integer
        elif base in (float, Decimal):
            found[name] = Kind.decimal
        elif base is datetime:
            found[name] = Kind.datetime
        elif base is date:
            found[name] = Kind.date
        else:
            found[name] = Kind.text
    return found


def _french_date(text: str) -> str:
    match = _FRENCH_DATE.fullmatch(text)
    if match is None:
        return text
    day, month, year = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _french_datetime(text: str) -> str:
    match = _FRENCH_DATETIME.fullmatch(text)
    if match is None:
        return _french_date(text) + "T00:00:00" if _FRENCH_DATE.fullmatch(text) else text.replace(" ", "T", 1)
    day, month, year, hour, minute, second, rest = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}T{int(hour):02d}:{minute}:{second or '00'}{rest.strip()}"


def _list(text: str) -> Any:
    if text.startswith("["):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return text
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


def _boolean(text: str) -> Any:
    folded = text.casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    return text


def convert(kind: Kind, value: Any) -> Any:
    """A cell (or a JSON string value) as its field expects it; other JSON values pass unchanged."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if kind is Kind.text:
        # An export guards formula-like text with a leading quote (see app.exports.csv): take it off again.
        return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text
    if kind is Kind.integer:
        return text.translate(_DIGIT_GROUPS)
    if kind is Kind.decimal:
        return text.translate(_DIGIT_GROUPS).replace(",", ".")
    if kind is Kind.date:
        return _french_date(text)
    if kind is Kind.datetime:
        return _french_datetime(text)
    if kind is Kind.boolean:
        return _boolean(text)
    return _list(text)
