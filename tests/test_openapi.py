"""The committed openapi.yaml is the app's contract: up to date, and documenting every operation and its errors."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from app.cli import render_openapi
from app.exports.outputs import OUTPUTS

OPENAPI_FILE = Path(__file__).resolve().parents[1] / "openapi.yaml"
PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def rendered() -> str:
    return render_openapi()


@pytest.fixture(scope="module")
def document(rendered: str) -> dict[str, Any]:
    """The rendered document, read back by libyaml's parser (PyYAML's own takes seconds over it)."""
    loaded: dict[str, Any] = yaml.load(rendered, Loader=yaml.CSafeLoader)
    return loaded


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_committed_file_is_up_to_date(rendered: str) -> None:
    committed = OPENAPI_FILE.read_text(encoding="utf-8") if OPENAPI_FILE.exists() else ""
    assert committed == rendered, "openapi.yaml differs from the app: run `lab-registry openapi`"


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


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    # The OpenAPI linter of CI (Python only, no npm): the document against the 3.1 specification's schema, with
    # every $ref resolved.
    validate(document)


def test_servers_and_license_are_set(document: dict[str, Any]) -> None:
    assert [server["url"] for server in document["servers"]] == ["/"]
    assert document["info"]["license"] == {"name": "Licence Ouverte 2.0 (Etalab)", "identifier": "etalab-2.0"}


def test_operation_ids_are_unique_and_responses_described(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            assert response.get("description"), f"{method} {path} {status} has no description"


def output_choices(operation: dict[str, Any]) -> list[str]:
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "output":
            return [v for choice in parameter["schema"]["anyOf"] for v in choice.get("enum", []) if v != "json"]
    return []


def test_every_output_is_declared_by_its_media_type(document: dict[str, Any]) -> None:
    declared = 0
    for method, path, operation in operations(document):
        content = operation["responses"].get("200", {}).get("content", {})
        if "application/json" not in content:
            continue
        assert next(iter(content)) == "application/json", f"{method} {path}: JSON must stay the first media type"
        for name in output_choices(operation):
            media_type = OUTPUTS[name].media_type
            assert content.get(media_type, {}).get("schema") == OUTPUTS[name].schema, f"{method} {path} {name}"
            declared += 1
    assert declared > 20


def test_geojson_is_a_feature_collection(document: dict[str, Any]) -> None:
    content = document["paths"]["/api/v1/labs.geojson"]["get"]["responses"]["200"]["content"]
    assert list(content) == ["application/geo+json"]
    name = content["application/geo+json"]["schema"]["$ref"].rsplit("/", 1)[1]
    schemas = document["components"]["schemas"]
    assert schemas[name]["properties"]["type"]["const"] == "FeatureCollection"
    feature = schemas[name]["properties"]["features"]["items"]["$ref"].rsplit("/", 1)[1]
    assert schemas[feature]["properties"]["properties"] == {"$ref": "#/components/schemas/LabRead"}
    assert {"$ref": "#/components/schemas/Point"} in schemas[feature]["properties"]["geometry"]["anyOf"]


def test_imports_take_a_form_file_and_the_raw_bodies(document: dict[str, Any]) -> None:
    content = document["paths"]["/api/v1/imports/{resource}"]["post"]["requestBody"]["content"]
    assert set(content) == {"text/csv", "application/x-ndjson", "multipart/form-data"}
    form = content["multipart/form-data"]["schema"]
    assert form["required"] == ["file"]
    assert form["properties"]["file"]["format"] == "binary"


def test_response_headers_are_declared(document: dict[str, Any]) -> None:
    assert set(document["components"]["headers"]) == {"ETag", "Link", "Location", "Retry-After"}
    paths = document["paths"]
    assert "Link" in paths["/api/v1/events"]["get"]["responses"]["200"]["headers"]
    assert "ETag" in paths["/api/v1/events/{event}"]["get"]["responses"]["200"]["headers"]
    assert "ETag" in paths["/api/v1/events/{event}"]["get"]["responses"]["304"]["headers"]
    assert "ETag" in paths["/api/v1/events/{event}"]["patch"]["responses"]["200"]["headers"]
    assert {"Location", "ETag", "Idempotent-Replayed"} <= set(
        paths["/api/v1/events"]["post"]["responses"]["201"]["headers"]
    )
    for method, path, operation in operations(document):
        responses = operation["responses"]
        if "201" in responses:
            assert "Location" in responses["201"]["headers"], f"{method} {path}"
        if "503" in responses:
            assert "Retry-After" in responses["503"]["headers"], f"{method} {path}"


def test_every_schema_has_a_name_of_its_own(document: dict[str, Any]) -> None:
    # Two models of one name are told apart by FastAPI with their module's path (`app__stats__schemas__X`), a name
    # generators then take for a duplicate and drop, with every operation using it.
    assert [name for name in document["components"]["schemas"] if "__" in name] == []
