"""The committed openapi.yaml is the app's contract: up to date, and documenting every operation and its errors."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.cli import render_openapi

OPENAPI_FILE = Path(__file__).resolve().parents[1] / "openapi.yaml"
PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(render_openapi())
    return loaded


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_committed_file_is_up_to_date() -> None:
    committed = OPENAPI_FILE.read_text(encoding="utf-8") if OPENAPI_FILE.exists() else ""
    assert committed == render_openapi(), "openapi.yaml differs from the app: run `lab-registry openapi`"


def test_every_operation_is_described_and_tagged(document: dict[str, Any]) -> None:
    tags = {tag["name"] for tag in document["tags"]}
    for method, path, operation in operations(document):
        assert operation.get("summary"), f"{method} {path} has no summary"
        assert operation.get("description"), f"{method} {path} has no description (the route's docstring)"
        assert operation.get("tags"), f"{method} {path} has no tag"
        assert set(operation["tags"]) <= tags, f"{method} {path} uses an undeclared tag"


def test_every_write_documents_422(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        if method != "GET":
            assert "422" in operation["responses"], f"{method} {path} does not document 422"


def test_every_path_with_a_parameter_documents_404(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        if re.search(r"\{[^}]+\}", path):
            assert "404" in operation["responses"], f"{method} {path} does not document 404"


def is_problem(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """The Problem, or a route's extension of it (all of its required members) offered alongside it."""
    if schema == {"$ref": PROBLEM_REF}:
        return True
    choices = schema.get("anyOf", [])
    required = set(document["components"]["schemas"]["Problem"]["required"])
    extensions = [c["$ref"].rsplit("/", 1)[1] for c in choices if c != {"$ref": PROBLEM_REF}]
    return {"$ref": PROBLEM_REF} in choices and all(
        required <= set(document["components"]["schemas"][name]["required"]) for name in extensions
    )


def test_every_error_is_a_problem(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                content = response.get("content", {})
                assert list(content) == [PROBLEM_JSON], f"{method} {path} {status} is not {PROBLEM_JSON}"
                assert is_problem(document, content[PROBLEM_JSON]["schema"]), (
                    f"{method} {path} {status} does not document the Problem body"
                )
