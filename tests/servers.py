"""Real servers for the tests that need real processes: several requests truly in flight at once, several
worker processes each with its own connections to the database, a server killed or stopped by a signal.

    with serve(database_url, workers=2) as base_url:
        key = create_api_key(database_url, scopes="read,write")
        async with httpx2.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key}"}) as http:
            ...

`serve` runs `lab-registry serve` in a subprocess against a migrated database (conftest's `database_url`),
waits until it answers, yields its base URL, and stops it on the way out, also when the test failed. `Server`
is the same process for a test that needs more of it: its log, its exit code, or a `kill()` as a crash would
do it. The CLI refuses more than one worker on SQLite. The server's output goes to a temporary file, shown
when it does not start. Keys for it come from the CLI (`create_api_key`) or from conftest's `make_key`, which
writes to the same database.
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
from types import TracebackType
from typing import Self

import httpx2

ROOT = Path(__file__).resolve().parents[1]
LAB_REGISTRY = str(Path(sys.executable).with_name("lab-registry"))
READY_PATH = "/ready"
# Each `serve` makes a metrics directory of its own; one inherited from the test's environment would be shared.
_NOT_INHERITED = frozenset({"PROMETHEUS_MULTIPROC_DIR"})


class ServerError(RuntimeError):
    """The server did not start, or did not answer in time; the message carries its output."""


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(database_url: str, extra: Mapping[str, str] | None) -> dict[str, str]:
    inherited = {name: value for name, value in os.environ.items() if name not in _NOT_INHERITED}
    return {**inherited, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", **(extra or {})}


class Server:
    """`lab-registry serve --workers N` on a free port of 127.0.0.1, in a process group of its own.

    As a context manager it waits until the server answers and stops it on the way out. `env` adds or
    overrides environment variables (settings such as PUBLIC_READS) for the server only.
    """

    def __init__(
        self, database_url: str, *, workers: int = 1, env: Mapping[str, str] | None = None, startup_timeout: float = 30
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        command = [LAB_REGISTRY, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=_environment(database_url, env),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def __enter__(self) -> Self:
        try:
            self.wait_until_ready(self.startup_timeout)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def log(self) -> str:
        """Everything the server printed so far, up to its last whole line (JSON lines with LOG_FORMAT=json). Read
        at offsets (`pread`): a seek would move the file offset the server's processes write at, which they share
        with this file, and make them write over earlier lines."""
        printed = b""
        while chunk := os.pread(self._log.fileno(), 1 << 16, len(printed)):
            printed += chunk
        return printed[: printed.rfind(b"\n") + 1].decode(errors="replace")

    def wait_until_ready(self, timeout: float) -> None:
        """Polls READY_PATH with one client: a client each poll would build a TLS context each time (25 ms of CPU,
        taken from the server that is starting)."""
        deadline = time.monotonic() + timeout
        with httpx2.Client(base_url=self.base_url, timeout=1.0) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise ServerError(f"the server exited with status {self.process.returncode}:\n{self.log()[-4000:]}")
                try:
                    if http.get(READY_PATH).status_code == 200:
                        return
                except httpx2.TransportError:
                    pass
                time.sleep(0.1)
        raise ServerError(f"the server did not answer {READY_PATH} within {timeout:.0f} s:\n{self.log()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL to the whole group, as a crash or the OOM killer would: no shutdown code runs anywhere."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM, as an orchestrator stops a container: uvicorn finishes its requests and stops its workers.
        A server still up after `timeout` is killed with its group, so that no worker is left behind. Returns
        the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        return self.process.returncode

    def close(self) -> None:
        self.stop()
        self._log.close()


@contextmanager
def serve(
    database_url: str, *, workers: int = 1, env: Mapping[str, str] | None = None, startup_timeout: float = 30.0
) -> Iterator[str]:
    """Run `lab-registry serve --workers N` on a free port of 127.0.0.1 and yield its base URL."""
    with Server(database_url, workers=workers, env=env, startup_timeout=startup_timeout) as server:
        yield server.base_url


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
