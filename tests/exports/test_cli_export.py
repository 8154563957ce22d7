"""`lab-registry export`: each format written to a file, straight from the database, with filters."""

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
from icalendar import Calendar
from typer.testing import CliRunner, Result

from app.cli import cli
from app.core.config import get_settings
from tests.factories import create_allocation, create_event, create_lab, create_organization, create_stream

pytestmark = pytest.mark.anyio

runner = CliRunner()


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command reads the test database through DATABASE_URL, as it would in production."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def export(*args: str) -> Result:
    """Run the command in a thread of its own: it starts its own event loop, as it does from a shell."""
    return await anyio.to_thread.run_sync(lambda: runner.invoke(cli, ["export", *args]))


@pytest.mark.usefixtures("cli_database")
class TestExportCommand:
    async def test_csv_with_semicolon_and_a_filter(self, client: httpx2.AsyncClient, tmp_path: Path) -> None:
        await create_lab(client, name="Lab Bretagne", region_code="53")
        await create_lab(client, name="Lab Occitanie", region_code="76")
        out = tmp_path / "labs.csv"
        result = await export(
            "--resource", "labs", "--format", "csv", "--separator", "semicolon", "--filter", "region=53", "-o", str(out)
        )
        assert result.exit_code == 0, result.output
        text = out.read_text("utf-8")
        assert text.startswith("\ufeffid;")
        rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
        assert [row["name"] for row in rows] == ["Lab Bretagne"]

    async def test_jsonl_matches_the_http_export(self, client: httpx2.AsyncClient, tmp_path: Path) -> None:
        for _ in range(3):
            await create_organization(client)
        out = tmp_path / "organizations.jsonl"
        result = await export("--resource", "organizations", "--format", "jsonl", "-o", str(out))
        assert result.exit_code == 0, result.output
        http = await client.get("/api/v1/organizations", params={"output": "jsonl"})
        assert out.read_bytes() == http.content
        assert len([json.loads(line) for line in out.read_text().splitlines()]) == 3

    async def test_ics(self, client: httpx2.AsyncClient, tmp_path: Path) -> None:
        event = await create_event(client)
        out = tmp_path / "events.ics"
        result = await export("--resource", "events", "--format", "ics", "-o", str(out))
        assert result.exit_code == 0, result.output
        calendar = Calendar.from_ical(out.read_bytes())
        assert [str(e["uid"]) for e in calendar.walk("VEVENT")] == [f"{event['id']}@lab-registry"]

    async def test_ics_is_named_after_its_filters_and_refuses_a_lab_that_does_not_exist(
        self, client: httpx2.AsyncClient, tmp_path: Path
    ) -> None:
        lab = await create_lab(client, name="Lab d'innovation de Bretagne")
        out = tmp_path / "events.ics"
        result = await export(
            "--resource", "events", "--format", "ics", "--filter", f"lab={lab['slug']}", "-o", str(out)
        )
        assert result.exit_code == 0, result.output
        assert (
            str(Calendar.from_ical(out.read_bytes())["x-wr-calname"]) == "Lab Registry — Lab d'innovation de Bretagne"
        )
        forged = "lab=x\rBEGIN:VEVENT\rSUMMARY:PWNED\rEND:VEVENT"
        result = await export("--resource", "events", "--format", "ics", "--filter", forged, "-o", str(tmp_path / "x"))
        assert result.exit_code == 2, result.output
        assert "bad filter: lab: no lab" in result.output
        assert not (tmp_path / "x").exists()

    async def test_geojson(self, client: httpx2.AsyncClient, tmp_path: Path) -> None:
        await create_lab(client, latitude=48.117, longitude=-1.678)
        out = tmp_path / "labs.geojson"
        result = await export("--resource", "labs", "--format", "geojson", "-o", str(out))
        assert result.exit_code == 0, result.output
        [feature] = json.loads(out.read_text())["features"]
        assert feature["geometry"]["coordinates"] == [-1.678, 48.117]

    async def test_scdl_reports_rows_lacking_an_identifier(self, client: httpx2.AsyncClient, tmp_path: Path) -> None:
        await create_allocation(client, stream_id=(await create_stream(client))["id"], amount_cents=100)
        out = tmp_path / "subventions.csv"
        result = await export("--resource", "allocations", "--format", "scdl", "-o", str(out))
        assert result.exit_code == 0, result.output
        assert "1 row(s) lack a required idAttribuant" in result.output
        [row] = csv.DictReader(io.StringIO(out.read_text("utf-8").removeprefix("\ufeff")))
        assert (row["idAttribuant"], row["montant"]) == ("", "1.00")

    async def test_usage_errors_exit_2(self, tmp_path: Path) -> None:
        out = str(tmp_path / "x")
        for args in (
            ("--resource", "labs", "--format", "ics", "-o", out),
            ("--resource", "unicorns", "--format", "csv", "-o", out),
            ("--resource", "labs", "--format", "xml", "-o", out),
            ("--resource", "labs", "--filter", "region", "-o", out),
            ("--resource", "labs", "--filter", "colour=blue", "-o", out),
        ):
            result = await export(*args)
            assert result.exit_code == 2, (args, result.output)
        assert not (tmp_path / "x").exists()
