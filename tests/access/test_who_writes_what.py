"""Who may write what: every write operation tried with a key bound to lab A (`own`), one bound to lab B
(`other`), an unbound `write` key, a `funding` key and a moderation key (`write` + `publish`). A refusal is a
403 problem+json (naming the lab when a lab is why) and writes nothing."""

from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from tests.access.conftest import World, row_counts
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio

KEYS = ("own", "other", "write", "funding", "publish")
Body = Callable[[dict[str, Any]], Any]
EVENT_CSV = (
    "external_id,title,theme,format,attendance_mode,audience,starts_at,ends_at,lab,city\r\n"
    "ev-1,Atelier importé,design,atelier,in-person,all,05/01/2021 10:00,05/01/2021 12:00,lab-a,Rennes\r\n"
)


def _event(rows: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "Atelier du lab A",
        "theme_code": "design",
        "format": "atelier",
        "attendance_mode": "in-person",
        "audience": "all",
        "starts_at": "2021-03-02T10:00:00",
        "ends_at": "2021-03-02T12:00:00",
        "lab_id": rows["lab_a"]["id"],
        "city": "Rennes",
    }


# (what, method, path, body, expected status per key: own, other, write, funding, publish)
OPERATIONS: list[tuple[str, str, str, Body | str | None, tuple[int, int, int, int, int]]] = [
    ("create a lab", "POST", "/labs", lambda r: {"name": "Lab C", "region_code": "53"}, (403, 403, 201, 403, 201)),
    ("change lab A", "PATCH", "/labs/lab-a", lambda r: {"city": "Brest"}, (200, 403, 200, 403, 200)),
    ("delete lab A", "DELETE", "/labs/lab-a", None, (403, 403, 409, 403, 409)),
    (
        "create an organization",
        "POST",
        "/organizations",
        lambda r: {"name": "Ville", "kind": "collectivite"},
        (201, 201, 201, 403, 201),
    ),
    (
        "change an organization",
        "PATCH",
        "/organizations/{host[slug]}",
        lambda r: {"website": "https://ville.fr"},
        (403, 403, 200, 403, 200),
    ),
    (
        "create a campaign",
        "POST",
        "/campaigns",
        lambda r: {"name": "Semaine", "starts_on": "2021-01-01", "ends_on": "2021-01-07"},
        (403, 403, 201, 403, 201),
    ),
    ("create an event for lab A", "POST", "/events", _event, (201, 403, 201, 403, 201)),
    (
        "change an event of lab A",
        "PATCH",
        "/events/{event_a[id]}",
        lambda r: {"title": "Atelier revu"},
        (200, 403, 200, 403, 200),
    ),
    (
        "move an event of lab A to lab B",
        "PATCH",
        "/events/{event_a[id]}",
        lambda r: {"lab_id": r["lab_b"]["id"]},
        (403, 403, 200, 403, 200),
    ),
    ("delete an event of lab A", "DELETE", "/events/{event_a[id]}", None, (204, 403, 204, 403, 204)),
    (
        "create a project for lab A",
        "POST",
        "/projects",
        lambda r: {"title": "Projet A", "kind": "project", "theme_code": "design", "lab_id": r["lab_a"]["id"]},
        (201, 403, 201, 403, 201),
    ),
    (
        "change a project of lab A",
        "PATCH",
        "/projects/{project_a[slug]}",
        lambda r: {"summary": "Revu"},
        (200, 403, 200, 403, 200),
    ),
    (
        "add a partner to a project of lab A",
        "POST",
        "/projects/{project_a[slug]}/partners",
        lambda r: {"organization_id": r["host"]["id"], "role": "funder"},
        (201, 403, 201, 403, 201),
    ),
    (
        "create a funding stream",
        "POST",
        "/funding-streams",
        lambda r: {"code": "NOUVEAU", "name": "Nouveau fonds"},
        (403, 403, 403, 201, 403),
    ),
    (
        "create an allocation",
        "POST",
        "/allocations",
        lambda r: {"stream_id": r["allocation"]["stream_id"], "lab_id": r["lab_a"]["id"], "amount_cents": 100},
        (403, 403, 403, 201, 403),
    ),
    ("import events for lab A", "POST", "/imports/events", EVENT_CSV, (200, 422, 200, 403, 200)),
    (
        "import allocations",
        "POST",
        "/imports/allocations",
        "external_id,stream,lab,amount_cents\r\nal-1,{stream},lab-a,100\r\n",
        (403, 403, 403, 200, 403),
    ),
]
CASES = [
    (what, method, path, body, key, codes[KEYS.index(key)])
    for what, method, path, body, codes in OPERATIONS
    for key in KEYS
]


@pytest.mark.parametrize(
    ("what", "method", "path", "body", "key", "expected"), CASES, ids=[f"{c[0]} with {c[4]}" for c in CASES]
)
async def test_each_key_writes_what_it_may(
    app: FastAPI,
    http: httpx2.AsyncClient,
    world: World,
    what: str,
    method: str,
    path: str,
    body: Body | str | None,
    key: str,
    expected: int,
) -> None:
    rows = world.rows
    url = "/api/v1" + path.format(**rows)
    headers = dict(world.keys[key])
    if isinstance(body, str):
        content = body.replace("{stream}", rows["allocation"]["stream_id"]).encode()
        request = http.build_request(method, url, content=content, headers={**headers, "Content-Type": "text/csv"})
    else:
        request = http.build_request(method, url, json=body(rows) if body else None, headers=headers)
    before = await row_counts(app)
    response = await http.send(request)
    assert response.status_code == expected, (what, key, response.text)
    if expected >= 400:
        problem = assert_problem(response, expected)
        assert await row_counts(app) == before, (what, key)
        if key == "other" and "lab A" in what and expected == 403:
            assert "lab-a" in problem["detail"], problem["detail"]
    if (key, what) == ("other", "import events for lab A"):
        (error,) = response.json()["errors"]
        assert (error["line"], error["column"]) == (2, "lab")
        assert "lab-a" in error["message"]
