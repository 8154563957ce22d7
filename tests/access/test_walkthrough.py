"""The walkthrough of docs/access.md, run as written against a real server: a lab's key submits an event that is
hidden until the DITP's key publishes it."""

import re
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from tests.factories import create_lab
from tests.servers import ROOT, serve

pytestmark = pytest.mark.anyio

GUIDE = ROOT / "docs" / "access.md"


def walkthrough() -> str:
    """The guide's shell blocks under "A lab publishes an event", joined."""
    section = GUIDE.read_text().split("### A lab publishes an event", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))


async def test_a_lab_submits_and_the_ditp_publishes(client: httpx2.AsyncClient, database_url: str) -> None:
    await create_lab(client, slug="bretagne")
    with serve(database_url) as base_url:
        script = walkthrough().replace("http://127.0.0.1:8000", base_url)
        script = script.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
        hidden = 'curl -s -o /dev/null -w "%{http_code} " $API/events/$EVENT'
        script = script.replace("\ncurl -s -X PATCH", f"\n{hidden}\ncurl -s -o /dev/null -X PATCH")
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", f"{script}\n{hidden}"],
            capture_output=True,
            text=True,
            env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
            timeout=60,
        )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["404", "200"]
    events = (await client.get("/api/v1/events")).json()["items"]
    assert [e["publication"] for e in events] == ["published"]
    history = (await client.get(f"/api/v1/events/{events[0]['id']}/publication-history")).json()
    assert [(h["to"], h["actor"].split(" (")[0]) for h in history] == [
        ("submitted", "Lab Bretagne app"),
        ("published", "DITP moderation"),
    ]
