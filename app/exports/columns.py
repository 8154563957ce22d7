"""The columns of an export, read once from the item's model: CSV, spreadsheets and the data package's Table
Schemas all take them from here, so a column's name, order and type are said in one place."""

import types
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from pydantic import BaseModel


@dataclass(frozen=True)
class Column:
    """One column: its name, its Table Schema type (`string`, `integer`, `number`, `boolean`, `date`,
    `datetime`, `array`, `object`), its format (`uuid`), whether a value is always there, and its choices."""

    name: str
    kind: str
    required: bool
    format: str | None = None
    choices: tuple[str, ...] | None = None
    description: str | None = None

    @property
    def is_money(self) -> bool:
        """Integer cents (`amount_cents`), shown in spreadsheets beside their euros."""
        return self.kind == "integer" and self.name.endswith("_cents")


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `Annotated` and `None`, and whether `None` was allowed."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [arg for arg in get_args(annotation) if arg is not type(None)]
        inner, _ = _unwrap(kept[0]) if len(kept) == 1 else (str, False)
        return inner, len(kept) < len(get_args(annotation))
    return annotation, False


def _kind(annotation: Any) -> tuple[str, str | None, tuple[str, ...] | None]:
    origin = get_origin(annotation)
    if origin is Literal:
        return "string", None, tuple(str(arg) for arg in get_args(annotation))
    if origin in (list, tuple, set, frozenset):
        return "array", None, None
    if origin is dict:
        return "object", None, None
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return "string", None, tuple(str(member.value) for member in annotation)
        if issubclass(annotation, bool):
            return "boolean", None, None
        if issubclass(annotation, int):
            return "integer", None, None
        if issubclass(annotation, float | Decimal):
            return "number", None, None
        if issubclass(annotation, datetime):
            return "datetime", None, None
        if issubclass(annotation, date):
            return "date", None, None
        if issubclass(annotation, uuid.UUID):
            return "string", "uuid", None
        if issubclass(annotation, BaseModel | dict):
            return "object", None, None
    return "string", None, None


@cache
def columns(model: type[BaseModel]) -> tuple[Column, ...]:
    """The model's fields as export columns, in the model's order."""
    found = []
    for name, field in model.model_fields.items():
        annotation, optional = _unwrap(field.annotation)
        kind, fmt, choices = _kind(annotation)
        found.append(Column(name, kind, not optional, fmt, choices, field.description))
    return tuple(found)


def table_schema(model: type[BaseModel], primary_key: str | None = "id") -> dict[str, Any]:
    """A Frictionless Table Schema of the model's CSV export (empty cells are nulls)."""
    fields = []
    for column in columns(model):
        field: dict[str, Any] = {"name": column.name, "type": column.kind}
        if column.format:
            field["format"] = column.format
        if column.description:
            field["description"] = column.description
        constraints: dict[str, Any] = {}
        if column.required:
            constraints["required"] = True
        if column.choices:
            constraints["enum"] = list(column.choices)
        if column.name == primary_key:
            constraints["unique"] = True
        if constraints:
            field["constraints"] = constraints
        if column.kind == "boolean":
            field["trueValues"], field["falseValues"] = ["true"], ["false"]
        fields.append(field)
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if primary_key is not None:
        schema["primaryKey"] = [primary_key]
    return schema


UTC_NAME = "UTC"
ZONE = "timezone"


@dataclass(frozen=True)
class Layout:
    """The columns of a spreadsheet: the export's, each `_cents` one followed by its `_euros`, and a `timezone`
    column when datetimes are shown in local time and the rows name no zone of their own."""

    header: list[str]
    money: frozenset[int]
    cents: tuple[int, ...]
    zone_of_row: int | None
    zone_added: bool


def layout(names: Sequence[str], has_datetimes: bool) -> Layout:
    header: list[str] = []
    money: set[int] = set()
    cents = []
    for index, name in enumerate(names):
        header.append(name)
        if name.endswith("_cents"):
            cents.append(index)
            header.append(f"{name.removesuffix('_cents')}_euros")
            money.add(len(header) - 1)
    zone_added = has_datetimes and ZONE not in names
    if zone_added:
        header.append(ZONE)
    zone_of_row = list(names).index(ZONE) if ZONE in names else None
    return Layout(header, frozenset(money), tuple(cents), zone_of_row, zone_added)


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(zone).replace(tzinfo=None)


def _cell(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return _local(value, zone)
    if isinstance(value, uuid.UUID | Enum):
        return str(value.value if isinstance(value, Enum) else value)
    if isinstance(value, list | dict | tuple):
        return orjson.dumps(value, default=str).decode()
    return value


def sheet_row(plan: Layout, row: Sequence[Any]) -> list[Any]:
    """A row's typed cells: datetimes in the row's zone (else UTC), naive; euros beside cents; ids as text."""
    named = row[plan.zone_of_row] if plan.zone_of_row is not None else None
    zone = _zone(named or UTC_NAME)
    cells: list[Any] = []
    for index, value in enumerate(row):
        cells.append(_cell(value, zone))
        if index in plan.cents:
            cells.append(None if value is None else Decimal(value) / 100)
    if plan.zone_added:
        cells.append(UTC_NAME)
    return cells


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return ZoneInfo(UTC_NAME)
