"""`GET /api/v1/datapackage.json`: a Frictionless Data Package whose resources are the list exports. Saved beside
the CSV files downloaded over HTTP, or written by `lab-registry export`, `frictionless` validates them all:
types, constraints, primary keys and foreign keys between the lists."""

import json
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from fastapi import FastAPI
from frictionless import Package
from typer.testing import CliRunner

from app.cli import cli
from app.exports.columns import columns
from app.opendata.package import LISTINGS
from tests.factories import (
    create_allocation,
    create_campaign,
    create_event,
    create_lab,
    create_organization,
    create_project,
    create_stream,
)

pytestmark = pytest.mark.anyio


async def a_registry(client: httpx2.AsyncClient) -> None:
    """A row in every list, each pointing at the others."""
    host = await create_organization(client, siret="23350001600040")
    lab = await create_lab(client, host_organization_id=host["id"], latitude=48.11, longitude=-1.68)
    stream = await create_stream(client, managing_organization_id=host["id"])
    project = await create_project(client, lab_id=lab["id"])
    await create_allocation(client, stream_id=stream["id"], project_id=project["id"], subsidy_share="0.5")
    campaign = await create_campaign(client)
    await create_event(client, lab_id=lab["id"], project_id=project["id"], campaign_id=campaign["id"], tags=["a"])


async def descriptor(http: httpx2.AsyncClient) -> dict[str, Any]:
    response = await http.get("/api/v1/datapackage.json")
    assert response.status_code == 200
    package: dict[str, Any] = response.json()
    return package


def validate(folder: Path, package: dict[str, Any]) -> None:
    (folder / "datapackage.json").write_text(json.dumps(package), "utf-8")
    report = Package(str(folder / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


class TestDescriptor:
    async def test_every_export_with_its_keys_and_the_licence(self, anonymous: httpx2.AsyncClient) -> None:
        package = await descriptor(anonymous)
        assert package["licenses"][0]["name"] == "etalab-2.0"
        resources = {resource["name"]: resource for resource in package["resources"]}
        assert list(resources) == [listing.name for listing in LISTINGS]
        events = resources["events"]
        assert events["path"] == "events.csv"
        assert events["sources"][0]["path"].endswith("/api/v1/events?output=csv")
        schema = events["schema"]
        assert [field["name"] for field in schema["fields"]] == [c.name for c in columns(LISTINGS[-1].read_model)]
        assert schema["primaryKey"] == ["id"]
        assert {"fields": ["lab_id"], "reference": {"resource": "labs", "fields": ["id"]}} in schema["foreignKeys"]
        starts_at = next(field for field in schema["fields"] if field["name"] == "starts_at")
        assert (starts_at["type"], starts_at["constraints"]["required"]) == ("datetime", True)


class TestValidation:
    async def test_the_http_exports_validate(self, app: FastAPI, client: httpx2.AsyncClient, tmp_path: Path) -> None:
        await a_registry(client)
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test") as keyless:
            for listing in LISTINGS:
                response = await keyless.get(f"/api/v1/{listing.name}", params={"output": "csv"})
                assert f'filename="{listing.name}.csv"' in response.headers["content-disposition"]
                (tmp_path / f"{listing.name}.csv").write_bytes(response.content)
            validate(tmp_path, await descriptor(keyless))

    @pytest.mark.usefixtures("cli_database")
    async def test_the_cli_exports_validate(self, client: httpx2.AsyncClient, tmp_path: Path) -> None:
        await a_registry(client)
        for listing in LISTINGS:
            args = ["export", "--resource", listing.name, "-o", str(tmp_path / f"{listing.name}.csv")]
            result = await anyio.to_thread.run_sync(lambda: CliRunner().invoke(cli, args))  # noqa: B023
            assert result.exit_code == 0, result.output
        validate(tmp_path, await descriptor(client))

    @pytest.mark.parametrize(("broken", "error"), [("number", "type-error"), ("reference", "foreign-key")])
    async def test_a_broken_file_does_not(
        self, client: httpx2.AsyncClient, tmp_path: Path, broken: str, error: str
    ) -> None:
        await a_registry(client)
        package = await descriptor(client)
        for listing in LISTINGS:
            content = (await client.get(f"/api/v1/{listing.name}", params={"output": "csv"})).content
            (tmp_path / f"{listing.name}.csv").write_bytes(content)
        labs = tmp_path / "labs.csv"
        if broken == "number":
            labs.write_bytes(labs.read_bytes().replace(b"48.11", b"north"))
        else:
            lab_id = (await client.get("/api/v1/labs")).json()["items"][0]["id"].encode()
            labs.write_bytes(labs.read_bytes().replace(lab_id, b"00000000-0000-4000-8000-000000000000"))
        (tmp_path / "datapackage.json").write_text(json.dumps(package), "utf-8")
        report = Package(str(tmp_path / "datapackage.json")).validate()
        assert error in {row[0] for row in report.flatten(["type"])}
