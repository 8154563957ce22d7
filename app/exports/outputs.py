"""Every answer other than JSON, declared once: its media type, its schema and a line saying what it is.

A route offers the outputs its `output` query parameter names (a list: csv, jsonl; stats: csv). `document` adds
each of them to the OpenAPI document as a media type of that route's JSON 200, after JSON, which stays first
(generators such as openapi-python-client parse a 200 by its first media type). A new output is one entry here
plus its value in the `output` parameter. A route that answers in one format only (`/events.ics`) declares its 200
with `only`.
"""

from dataclasses import dataclass
from typing import Any

from app.exports.csv import CSV_MEDIA_TYPE
from app.exports.jsonl import JSONL_MEDIA_TYPE
from app.exports.sheets import ODS_MEDIA_TYPE, XLSX_MEDIA_TYPE

JSON = "application/json"


@dataclass(frozen=True)
class Output:
    media_type: str
    schema: dict[str, Any]
    description: str


TEXT: dict[str, Any] = {"type": "string"}
BINARY: dict[str, Any] = {"type": "string", "format": "binary"}

OUTPUTS: dict[str, Output] = {
    "csv": Output(CSV_MEDIA_TYPE, TEXT, "CSV (RFC 4180, UTF-8 with a BOM, a header row; `separator=semicolon`)"),
    "jsonl": Output(JSONL_MEDIA_TYPE, TEXT, "JSON Lines: one item a line, as in a page's `items`"),
    "ics": Output("text/calendar", TEXT, "iCalendar (RFC 5545): one VEVENT an event"),
    "xlsx": Output(XLSX_MEDIA_TYPE, BINARY, "Excel workbook (Office Open XML): typed cells, a frozen header row"),
    "ods": Output(ODS_MEDIA_TYPE, BINARY, "OpenDocument spreadsheet (ODF): typed cells, a frozen header row"),
}


def only(name: str) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry of a route answering in this output only."""
    output = OUTPUTS[name]
    return {200: {"description": output.description, "content": {output.media_type: {"schema": output.schema}}}}


def _choices(operation: dict[str, Any]) -> list[str]:
    """The values of the operation's `output` query parameter."""
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "output" and parameter["in"] == "query":
            schema = parameter["schema"]
            for choice in [schema, *schema.get("anyOf", [])]:
                if "enum" in choice:
                    return list(choice["enum"])
    return []


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare each route's `output` choices as media types of its JSON 200, and say which answers which."""
    for item in schema.get("paths", {}).values():
        operation = item.get("get")
        if operation is None:
            continue
        answer = operation.get("responses", {}).get("200", {})
        content = answer.get("content", {})
        if JSON not in content:
            continue
        offered = [name for name in _choices(operation) if name in OUTPUTS]
        for name in offered:
            output = OUTPUTS[name]
            content.setdefault(output.media_type, {}).setdefault("schema", output.schema)
        if offered:
            lines = "; ".join(f"`output={name}`: {OUTPUTS[name].description}" for name in offered)
            answer["description"] = f"{answer['description'].rstrip('.')}. {lines}."
    return schema
