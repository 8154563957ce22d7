"""`lab-registry import`: a file loaded straight into the test database, or sent to a real server running on it."""

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
from typer.testing import CliRunner, Result

from app.cli import cli
from app.core.config import get_settings
from app.imports.cli_support import answer_outcome
from tests.conftest import KeyMaker
from tests.helpers import total
from tests.servers import free_port, serve

pytestmark = pytest.mark.anyio

runner = CliRunner()

ORGANIZATIONS = "/api/v1/organizations"
GOOD_CSV = (
    "external_id,name,kind,region\norg-1,Mairie de Rennes,collectivite,53\norg-2,Région Bretagne,collectivite,53\n"
)
# Excel's French CSV: Windows-1252, ';', CRLF. Line 2's record spans two lines, so the bad rows start on 4 and 5.
MIXED_CSV = (
    "external_id;name;kind;region\r\n"
    'org-1;"Mairie\r\nde Rennes";collectivite;53\r\n'
    "org-2;Mairie de Saint-Étienne;collectivite;Atlantis\r\n"
    "org-3;;unicorn;84\r\n"
    "org-4;Préfecture de Bretagne;service-deconcentre;53\r\n"
)


BAD_ROWS = "external_id,name,kind,region\norg-0,Mairie,collectivite,53\n" + "".join(
    f"org-{n},Mairie {n},collectivite,Atlantis\n" for n in range(1, 1501)
)
"""One good row, then 1 500 rejected: more than a report lists."""


def figures(output: str) -> dict[str, int]:
    """The counts table of the printed report: each column's name and figure."""
    lines = output.splitlines()
    header = next(line for line in lines if line.startswith("┃ read"))
    values = lines[lines.index(header) + 2]
    names = [name.strip() for name in header.strip("┃").split("┃")]
    return dict(zip(names, (int(value) for value in values.strip("│").split("│")), strict=True))


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command reads the test database through DATABASE_URL, as it would in production; wide lines keep the
    printed messages whole."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def remote(database_url: str) -> Iterator[str]:
    """A real server on the test database, shared by the module's remote tests (it takes a second to start)."""
    with serve(database_url) as base_url:
        yield base_url


async def run(*args: str) -> Result:
    """Run the command in a thread of its own: it starts its own event loop, as it does from a shell."""
    return await anyio.to_thread.run_sync(lambda: runner.invoke(cli, ["import", *args]))


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.usefixtures("cli_database")
class TestLocalImport:
    async def test_loads_a_csv_and_prints_the_report(self, client: httpx2.AsyncClient, tmp_path: Path) -> None:
        result = await run(str(write(tmp_path, "orgs.csv", GOOD_CSV)), "--resource", "organizations")
        assert result.exit_code == 0, result.output
        assert "Import of organizations" in result.output
        assert "┃ read ┃ created ┃ updated ┃ unchanged ┃ rejected ┃" in result.output
        assert "All 2 rows loaded." in result.output
        assert await total(client, ORGANIZATIONS) == 2

    async def test_non_atomic_loads_the_good_rows_and_writes_the_rejected_ones(
        self, client: httpx2.AsyncClient, tmp_path: Path
    ) -> None:
        source = write(tmp_path, "orgs.csv", MIXED_CSV, "cp1252")
        rejects = tmp_path / "rejects.csv"
        result = await run(str(source), "--resource", "organizations", "--no-atomic", "--rejects", str(rejects))
        assert result.exit_code == 1, result.output
        assert "2 of 4 rows rejected; the others were loaded." in result.output
        assert "Wrote 2 rejected row(s)" in result.output
        assert await total(client, ORGANIZATIONS) == 2
        raw = rejects.read_bytes()
        assert raw.count(b"\r\n") == 3
        header, saint_etienne, unnamed = csv.reader(io.StringIO(raw.decode("cp1252"), newline=""), delimiter=";")
        assert header == ["external_id", "name", "kind", "region", "reason"]
        assert saint_etienne == [
            "org-2",
            "Mairie de Saint-Étienne",
            "collectivite",
            "Atlantis",
            "region: no region 'Atlantis' (give its INSEE code or name)",
        ]
        assert unnamed[:4] == ["org-3", "", "unicorn", "84"]
        assert sorted(unnamed[4].split("; ")) == [
            "kind: Input should be 'administration-centrale', 'service-deconcentre', 'collectivite', "
            "'operateur-public', 'association', 'ess', 'entreprise' or 'autre'",
            "name: Field required",
        ]

    async def test_jsonl_rejects_keep_each_object_with_its_reason(
        self, client: httpx2.AsyncClient, tmp_path: Path
    ) -> None:
        lines = [
            {"external_id": "org-1", "name": "Mairie de Rennes", "kind": "collectivite"},
            {"external_id": "org-2", "name": "Nowhere", "kind": "collectivite", "region": "Atlantis"},
        ]
        text = "".join(json.dumps(line) + "\n" for line in lines) + "not json\n"
        source = write(tmp_path, "orgs.ndjson", text)
        rejects = tmp_path / "rejects.jsonl"
        result = await run(str(source), "--resource", "organizations", "--no-atomic", "--rejects", str(rejects))
        assert result.exit_code == 1, result.output
        assert await total(client, ORGANIZATIONS) == 1
        nowhere, garbage = (json.loads(line) for line in rejects.read_text("utf-8").splitlines())
        assert nowhere == {**lines[1], "reason": "region: no region 'Atlantis' (give its INSEE code or name)"}
        assert garbage["raw"] == "not json"
        assert garbage["reason"].startswith("not valid JSON")

    async def test_atomic_with_a_bad_row_writes_nothing(self, client: httpx2.AsyncClient, tmp_path: Path) -> None:
        source = write(tmp_path, "orgs.csv", MIXED_CSV, "cp1252")
        result = await run(str(source), "--resource", "organizations")
        assert result.exit_code == 1, result.output
        assert "2 of 4 rows were rejected; nothing was written." in result.output
        assert "Import of organizations (refused: nothing was written)" in result.output
        assert figures(result.output) == {
            "read": 4,
            "would create": 2,
            "would update": 0,
            "would leave unchanged": 0,
            "rejected": 2,
        }
        assert "no region 'Atlantis'" in result.output
        assert await total(client, ORGANIZATIONS) == 0

    async def test_rejects_get_every_rejected_row_beyond_the_reports_cap(
        self, client: httpx2.AsyncClient, tmp_path: Path
    ) -> None:
        source = write(tmp_path, "orgs.csv", BAD_ROWS)
        rejects = tmp_path / "rejects.csv"
        result = await run(str(source), "--resource", "organizations", "--no-atomic", "--rejects", str(rejects))
        assert result.exit_code == 1, result.output
        assert figures(result.output)["rejected"] == 1500
        assert "… and 1480 more error(s)" in result.output
        assert "Wrote 1500 rejected row(s)" in result.output
        assert len(rejects.read_text().splitlines()) == 1 + 1500
        assert await total(client, ORGANIZATIONS) == 1

    async def test_dry_run_writes_nothing(self, client: httpx2.AsyncClient, tmp_path: Path) -> None:
        result = await run(str(write(tmp_path, "orgs.csv", GOOD_CSV)), "--resource", "organizations", "--dry-run")
        assert result.exit_code == 0, result.output
        assert "Import of organizations (dry run: nothing was written)" in result.output
        assert "┃ read ┃ would create ┃ would update ┃ would leave unchanged ┃ rejected ┃" in result.output
        assert "All 2 rows would load (dry run: nothing was written)." in result.output
        assert await total(client, ORGANIZATIONS) == 0

    async def test_a_refused_file_exits_1_with_the_reason(self, client: httpx2.AsyncClient, tmp_path: Path) -> None:
        source = write(tmp_path, "orgs.csv", "external_id,colour\norg-1,blue\n")
        rejects = tmp_path / "rejects.csv"
        result = await run(str(source), "--resource", "organizations", "--rejects", str(rejects))
        assert result.exit_code == 1, result.output
        assert "Unknown column 'colour' for organizations" in result.output
        assert not rejects.exists()
        assert await total(client, ORGANIZATIONS) == 0

    async def test_usage_errors_exit_2(self, tmp_path: Path) -> None:
        source = str(write(tmp_path, "orgs.csv", GOOD_CSV))
        cases = {
            "No file at": (str(tmp_path / "missing.csv"), "--resource", "organizations"),
            "Unknown resource 'unicorns'": (source, "--resource", "unicorns"),
            "Cannot tell the format of 'orgs.xlsx'": (
                str(write(tmp_path, "orgs.xlsx", GOOD_CSV)),
                "--resource",
                "organizations",
            ),
            "--url and --token go together": (source, "--resource", "organizations", "--url", "http://127.0.0.1:9"),
            "--url and --token go": (source, "--resource", "organizations", "--token", "lr_key"),
            "--rejects must name another file": (source, "--resource", "organizations", "--rejects", source),
        }
        for message, args in cases.items():
            result = await run(*args)
            assert result.exit_code == 2, (args, result.output)
            assert message in result.output, (args, result.output)


@pytest.mark.slow
@pytest.mark.usefixtures("cli_database")
class TestRemoteImport:
    async def test_loads_through_the_api(
        self, client: httpx2.AsyncClient, make_key: KeyMaker, remote: str, tmp_path: Path
    ) -> None:
        key = await make_key("write")
        source = str(write(tmp_path, "orgs.csv", GOOD_CSV))
        result = await run(source, "--resource", "organizations", "--url", remote + "/", "--token", key)
        assert result.exit_code == 0, result.output
        assert "All 2 rows loaded." in result.output
        assert await total(client, ORGANIZATIONS) == 2

    async def test_rejections_atomic_then_not(
        self, client: httpx2.AsyncClient, make_key: KeyMaker, remote: str, tmp_path: Path
    ) -> None:
        key = await make_key("write")
        source = str(write(tmp_path, "orgs.csv", MIXED_CSV, "cp1252"))
        options = ("--resource", "organizations", "--url", remote, "--token", key)
        atomic = await run(source, *options)
        assert atomic.exit_code == 1, atomic.output
        assert "422 " in atomic.output
        assert "2 of 4 rows were rejected; nothing was written." in atomic.output
        assert await total(client, ORGANIZATIONS) == 0
        rejects = tmp_path / "rejects.csv"
        result = await run(source, *options, "--no-atomic", "--rejects", str(rejects))
        assert result.exit_code == 1, result.output
        assert "2 of 4 rows rejected; the others were loaded." in result.output
        assert await total(client, ORGANIZATIONS) == 2
        assert [row[0] for row in csv.reader(io.StringIO(rejects.read_text("cp1252")), delimiter=";")] == [
            "external_id",
            "org-2",
            "org-3",
        ]

    async def test_a_capped_report_says_which_rejected_rows_the_file_lacks(
        self, client: httpx2.AsyncClient, make_key: KeyMaker, remote: str, tmp_path: Path
    ) -> None:
        key = await make_key("write")
        source = str(write(tmp_path, "orgs.csv", BAD_ROWS))
        rejects = tmp_path / "rejects.csv"
        options = ("--resource", "organizations", "--url", remote, "--token", key, "--no-atomic")
        result = await run(source, *options, "--rejects", str(rejects))
        assert result.exit_code == 1, result.output
        assert "Wrote 1000 rejected row(s)" in result.output
        assert "The server listed the first 1000 of 1500 errors" in " ".join(result.output.split())
        assert len(rejects.read_text().splitlines()) == 1 + 1000
        assert await total(client, ORGANIZATIONS) == 1

    async def test_a_refused_key_exits_2_with_the_servers_detail(
        self, client: httpx2.AsyncClient, make_key: KeyMaker, remote: str, tmp_path: Path
    ) -> None:
        source = str(write(tmp_path, "orgs.csv", GOOD_CSV))
        read_only = await make_key("read")
        for token, status in (("lr_not-a-key", "401 Unauthorized"), (read_only, "403 Forbidden")):
            result = await run(source, "--resource", "organizations", "--url", remote, "--token", token)
            assert result.exit_code == 2, result.output
            assert status in result.output
        assert await total(client, ORGANIZATIONS) == 0

    async def test_an_unreachable_server_exits_2(self, tmp_path: Path) -> None:
        url = f"http://127.0.0.1:{free_port()}"
        source = str(write(tmp_path, "orgs.csv", GOOD_CSV))
        result = await run(source, "--resource", "organizations", "--url", url, "--token", "lr_key")
        assert result.exit_code == 2, result.output
        assert f"Cannot reach {url}" in result.output


REQUEST = httpx2.Request("POST", "https://registry.example.fr/api/v1/imports/labs")


@pytest.mark.parametrize(
    ("response", "exit_code", "message"),
    [
        (
            httpx2.Response(308, headers={"location": "https://registry.example.fr/"}, request=REQUEST),
            2,
            "sends the import to https://registry.example.fr/",
        ),
        (httpx2.Response(200, text="<html>Welcome</html>", request=REQUEST), 2, "is --url a Lab Registry?"),
        (httpx2.Response(200, json={"hello": "world"}, request=REQUEST), 2, "is --url a Lab Registry?"),
        (httpx2.Response(502, text="Bad gateway", request=REQUEST), 1, "the server gave no detail."),
        (
            httpx2.Response(413, json={"detail": "The request body exceeds the limit."}, request=REQUEST),
            1,
            "The request body exceeds the limit.",
        ),
    ],
)
def test_answers_without_a_report(response: httpx2.Response, exit_code: int, message: str) -> None:
    """What a proxy, another site or a refusing server may answer is told, not a traceback."""
    outcome = answer_outcome(response)
    assert outcome.report is None
    assert outcome.exit_code == exit_code
    assert outcome.refusal is not None
    assert outcome.refusal.startswith(f"{response.status_code} ")
    assert message in outcome.refusal
