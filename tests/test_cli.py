"""The `lab-registry` command line: the OpenAPI check and migrations, as a script would run them."""

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel
from typer.testing import CliRunner

import app.models  # noqa: F401  (registers every table on the metadata)
from app.cli import cli
from app.core.config import get_settings
from app.core.migrations import alembic_config

OPENAPI_FILE = Path(__file__).resolve().parents[1] / "openapi.yaml"

runner = CliRunner()


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Settings are read once per process: forget them so the command reads this test's environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class TestOpenapiCheck:
    def test_passes_on_the_committed_file(self) -> None:
        result = runner.invoke(cli, ["openapi", "--check", "-o", str(OPENAPI_FILE)])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output

    def test_fails_on_a_modified_copy(self, tmp_path: Path) -> None:
        copy = tmp_path / "openapi.yaml"
        modified = OPENAPI_FILE.read_text(encoding="utf-8").replace("Lab Registry", "Lab Registre", 1)
        copy.write_text(modified, encoding="utf-8")
        result = runner.invoke(cli, ["openapi", "--check", "-o", str(copy)])
        assert result.exit_code == 1
        assert "lab-registry openapi" in result.output
        assert copy.read_text(encoding="utf-8") == modified

    def test_fails_when_the_file_is_missing(self, tmp_path: Path) -> None:
        missing = tmp_path / "openapi.yaml"
        result = runner.invoke(cli, ["openapi", "--check", "-o", str(missing)])
        assert result.exit_code == 1
        assert "is missing: run `lab-registry openapi`" in result.output
        assert not missing.exists()


class TestMigrate:
    @pytest.mark.usefixtures("fresh_settings")
    def test_creates_the_schema_named_by_database_url(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        path = tmp_path / "registry.db"
        monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
        result = runner.invoke(cli, ["migrate"])
        assert result.exit_code == 0, result.output
        head = ScriptDirectory.from_config(alembic_config(str(path))).get_current_head()
        with closing(sqlite3.connect(path)) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            (regions,) = connection.execute("SELECT count(*) FROM regions").fetchone()
        assert set(SQLModel.metadata.tables) <= tables
        assert version == head
        assert regions == 18


class TestSeedDemo:
    @pytest.mark.usefixtures("fresh_settings")
    def test_refuses_an_unmigrated_database_with_a_clear_message(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "empty.db"
        monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
        result = runner.invoke(cli, ["seed-demo"])
        assert result.exit_code == 2
        assert "lab-registry migrate" in result.output
        with closing(sqlite3.connect(path)) as connection:
            tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        assert tables == []
