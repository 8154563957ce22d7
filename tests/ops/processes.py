"""A private PostgreSQL cluster that a test may stop and start, migrated to head: the machine's shared PostgreSQL
is never touched. `lab-registry serve` against it comes from tests.servers."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.core import migrations
from tests.servers import free_port


def postgres_bin() -> Path | None:
    """The directory of initdb/pg_ctl: on PATH, else the newest Debian-style install; None when absent."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    installed = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(installed[-1]).parent if installed else None


def _as_cluster_owner() -> tuple[list[str], int | None]:
    """PostgreSQL refuses to run as root: as root, commands run as the `postgres` user (its uid returned)."""
    if os.geteuid() != 0:
        return [], None
    return ["runuser", "-u", "postgres", "--"], pwd.getpwnam("postgres").pw_uid


class PrivateCluster:
    """A throwaway PostgreSQL cluster on a free port, trust auth, in a temporary directory of its own."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.prefix, owner = _as_cluster_owner()
        self.root = Path(tempfile.mkdtemp(prefix="lr-ops-pg-"))
        if owner is not None:
            os.chown(self.root, owner, -1)
        self.data = self.root / "data"
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        command = [*self.prefix, str(self.bin_dir / tool), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, f"{tool} failed: {result.stdout}\n{result.stderr}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        subprocess.run(
            [*self.prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A private cluster, started and migrated to head, destroyed on the way out (skips without PostgreSQL)."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("initdb/pg_ctl are not installed: no private PostgreSQL cluster can be started")
    cluster = PrivateCluster(bin_dir)
    try:
        cluster.start()
        migrations.upgrade(cluster.url)
        yield cluster
    finally:
        cluster.destroy()
