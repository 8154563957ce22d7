"""Real servers for the tests that need real concurrency: several requests truly in flight at once, several
worker processes, each with its own connections to the database.

    with serve(database_url, workers=2) as base_url:
        key = create_api_key(database_url, scopes="read,write")
        async with httpx2.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key}"}) as http:
            ...

`serve` runs `lab-registry serve` in a subprocess against a migrated database (conftest's `database_url`),
waits until it answers, yields its base URL, and stops it on the way out, also when the test failed. The CLI
refuses more than one worker on SQLite. The server's output goes to a temporary file, shown when it does not
start. Keys for it come from the CLI (`create_api_key`) or from conftest's `make_key`, which writes to the same
database.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

import httpx2

ROOT = Path(__file__).resolve().parents[1]
LAB_REGISTRY = str(Path(sys.executable).with_name("lab-registry"))
READY_PATH = "/api/v1/regions"


class ServerError(RuntimeError):
    """The server did not start, or did not answer in time; the message carries its output."""


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(database_url: str, extra: Mapping[str, str] | None) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", **(extra or {})}


def _output(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-4000:]


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log: IO[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"the server exited with status {process.returncode}:\n{_output(log)}")
        try:
            if httpx2.get(base_url + READY_PATH, timeout=1.0).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    raise ServerError(f"the server did not answer {READY_PATH} within {timeout:.0f} s:\n{_output(log)}")


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM lets uvicorn finish its requests and stop its workers; a server still up after `timeout`, or one
    that died by itself, is killed with its whole process group (its own), so that no worker is left behind."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            pass
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextmanager
def serve(
    database_url: str,
    *,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 30.0,
    stop_timeout: float = 10.0,
) -> Iterator[str]:
    """Run `lab-registry serve --workers N` on a free port of 127.0.0.1 and yield its base URL.

    `env` adds or overrides environment variables (settings such as PUBLIC_READS) for the server only.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [LAB_REGISTRY, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=_environment(database_url, env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_ready(process, base_url, log, startup_timeout)
            yield base_url
        finally:
            _stop(process, stop_timeout)


def create_api_key(database_url: str, *, name: str = "tests", scopes: str = "read,write") -> str:
    """A new API key in that database, through the CLI as an operator would create it (last line of output)."""
    result = subprocess.run(
        [LAB_REGISTRY, "create-api-key", "--name", name, "--scopes", scopes],
        cwd=ROOT,
        env=_environment(database_url, None),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise ServerError(f"create-api-key failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout.strip().splitlines()[-1]
