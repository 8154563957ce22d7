"""`status_since` in project imports: the day a phase began, kept in the history as `effective_on`, refused with
the API's words; an exported project loads back unchanged."""

from datetime import timedelta
from typing import Any

import httpx2
import pytest

from app.projects.rules import today
from tests.factories import create_lab
from tests.helpers import assert_problem
from tests.imports.loading import CSV, JSONL, load, loaded

pytestmark = pytest.mark.anyio

HEADER = "external_id,title,kind,theme,lab,status,status_since\r\n"


def row(status: str, since: str = "") -> str:
    return f"{HEADER}prj-1,Accueil en préfecture,project,design,lab-p,{status},{since}\r\n"


async def history(client: httpx2.AsyncClient) -> list[tuple[Any, ...]]:
    response = await client.get("/api/v1/projects/accueil-en-prefecture/history")
    assert response.status_code == 200, response.text
    return [(e["from_status"], e["to_status"], e["effective_on"]) for e in response.json()]


@pytest.fixture(autouse=True)
async def lab(client: httpx2.AsyncClient) -> dict[str, Any]:
    return await create_lab(client, slug="lab-p")


async def test_dated_phases_from_a_file(client: httpx2.AsyncClient) -> None:
    assert (await loaded(client, "projects", row("exploring", "04/03/2019")))["created"] == 1
    assert (await loaded(client, "projects", row("exploring", "2019-03-04")))["unchanged"] == 1
    assert (await loaded(client, "projects", row("exploring")))["unchanged"] == 1
    assert (await loaded(client, "projects", row("piloting", "2020-06-15")))["updated"] == 1
    assert (await loaded(client, "projects", row("scaling")))["updated"] == 1
    assert await history(client) == [
        (None, "exploring", "2019-03-04"),
        ("exploring", "piloting", "2020-06-15"),
        ("piloting", "scaling", today().isoformat()),
    ]
    project = (await client.get("/api/v1/projects/accueil-en-prefecture")).json()
    assert project["status_since"] == today().isoformat()


async def test_an_export_loads_back_unchanged(client: httpx2.AsyncClient) -> None:
    await loaded(client, "projects", row("designing", "2019-03-04"))
    await loaded(client, "projects", row("piloting", "2020-06-15"))
    for output, media_type in (("csv", CSV), ("jsonl", JSONL)):
        exported = await client.get("/api/v1/projects", params={"output": output})
        assert "status_since" in exported.text
        response = await load(client, "projects", exported.content, media_type=media_type)
        assert response.status_code == 200, response.text
        assert (response.json()["read"], response.json()["unchanged"]) == (1, 1)
    assert len(await history(client)) == 2


async def test_refusals_read_as_the_api_says_them(client: httpx2.AsyncClient) -> None:
    await loaded(client, "projects", row("exploring", "2020-03-02"))
    stored = (await client.get("/api/v1/projects/accueil-en-prefecture")).json()
    tomorrow = (today() + timedelta(days=1)).isoformat()
    for since, status in (("2020-03-01", "designing"), (tomorrow, "designing"), ("2020-04-01", "exploring")):
        problem = assert_problem(await load(client, "projects", row(status, since)), 422)
        [error] = problem["errors"]
        api = assert_problem(
            await client.patch(f"/api/v1/projects/{stored['id']}", json={"status": status, "status_since": since}),
            422,
            "status_since",
        )
        assert (error["line"], error["column"]) == (2, "status_since")
        assert error["message"] == api["errors"][0]["msg"]
    assert await history(client) == [(None, "exploring", "2020-03-02")]
    after = (await client.get("/api/v1/projects/accueil-en-prefecture")).json()
    assert (after["version"], after["status_since"]) == (stored["version"], "2020-03-02")
    future = assert_problem(await load(client, "projects", row("exploring", tomorrow).replace("prj-1", "prj-2")), 422)
    assert future["errors"][0]["message"].startswith(f"status_since {tomorrow} is in the future")
