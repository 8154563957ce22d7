"""`lab-registry serve`: production options handed to uvicorn, a fresh metrics directory for several workers,
and SQLite refused beyond one worker. (Real servers are started in test_postgres.py.)"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import Settings, get_settings
from app.ops.logging import configure_logging
from app.ops.metrics import MULTIPROC_DIR

runner = CliRunner()
POSTGRES_URL = "postgresql+asyncpg://lab@127.0.0.1:5432/lab_registry"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings read afresh, and the variables `serve` may set put back as they were afterwards."""
    for name in (MULTIPROC_DIR, "LOG_FORMAT"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()
    configure_logging(Settings(log_format="json"))


@pytest.fixture
def uvicorn_run(environment: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace uvicorn.run: record its arguments and what the workers would find in their environment."""
    calls: list[dict[str, Any]] = []

    def run(app: str, **options: Any) -> None:
        directory = os.environ.get(MULTIPROC_DIR)
        calls.append(
            {
                "app": app,
                **options,
                "env_metrics_dir": directory,
                "metrics_dir_files": sorted(os.listdir(directory)) if directory else None,
                "env_log_format": os.environ.get("LOG_FORMAT"),
            }
        )

    environment.setattr("app.cli.uvicorn.run", run)
    return calls


class TestServe:
    def test_sqlite_refuses_several_workers_with_a_clear_message(
        self, uvicorn_run: list[dict[str, Any]], environment: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        environment.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}")
        result = runner.invoke(cli, ["serve", "--workers", "2"])
        assert result.exit_code == 2
        output = " ".join(result.output.split())
        assert "SQLite takes one writer at a time" in output
        assert "--workers 1" in output
        assert "PostgreSQL" in output
        assert uvicorn_run == []

    def test_sqlite_serves_one_worker(
        self, uvicorn_run: list[dict[str, Any]], environment: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        environment.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}")
        result = runner.invoke(cli, ["serve"])
        assert result.exit_code == 0, result.output
        (call,) = uvicorn_run
        assert call["workers"] == 1
        assert call["env_metrics_dir"] is None

    def test_production_options_on_postgres(
        self, uvicorn_run: list[dict[str, Any]], environment: pytest.MonkeyPatch
    ) -> None:
        environment.setenv("DATABASE_URL", POSTGRES_URL)
        args = ["serve", "--workers", "3", "--host", "0.0.0.0", "--port", "8080", "--graceful-timeout", "40"]
        result = runner.invoke(cli, [*args, "--forwarded-allow-ips", "10.0.0.1", "--log-format", "console"])
        assert result.exit_code == 0, result.output
        (call,) = uvicorn_run
        assert call["app"] == "app.main:app"
        assert (call["host"], call["port"], call["workers"]) == ("0.0.0.0", 8080, 3)
        assert (call["loop"], call["http"]) == ("uvloop", "app.ops.protocol:HeadLimitedProtocol")
        assert call["h11_max_incomplete_event_size"] == 32_768
        assert call["timeout_graceful_shutdown"] == 40
        assert call["forwarded_allow_ips"] == "10.0.0.1"
        assert call["proxy_headers"] is True
        assert call["access_log"] is False
        assert call["log_config"] is None
        assert call["env_log_format"] == "console"

    def test_several_workers_get_a_fresh_metrics_directory_removed_at_exit(
        self, uvicorn_run: list[dict[str, Any]], environment: pytest.MonkeyPatch
    ) -> None:
        environment.setenv("DATABASE_URL", POSTGRES_URL)
        result = runner.invoke(cli, ["serve", "--workers", "2"])
        assert result.exit_code == 0, result.output
        (call,) = uvicorn_run
        assert call["metrics_dir_files"] == []
        assert not Path(call["env_metrics_dir"]).exists()

    def test_a_configured_metrics_directory_is_emptied_of_a_previous_run(
        self, uvicorn_run: list[dict[str, Any]], environment: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        directory = tmp_path / "metrics"
        directory.mkdir()
        (directory / "counter_4242.db").write_bytes(b"stale")
        (directory / "README").write_text("kept", encoding="utf-8")
        environment.setenv("DATABASE_URL", POSTGRES_URL)
        environment.setenv(MULTIPROC_DIR, str(directory))
        result = runner.invoke(cli, ["serve", "--workers", "2"])
        assert result.exit_code == 0, result.output
        (call,) = uvicorn_run
        assert call["env_metrics_dir"] == str(directory)
        assert call["metrics_dir_files"] == ["README"]
        assert directory.exists()
