"""Keys bound to labs: created through the API and the CLI, shown with their labs, never with the money, only
within the creating key's own labs; a lab keys are bound to is not deleted from under them."""

import httpx2
import pytest

from tests.access.conftest import World, row_counts
from tests.conftest import KeyMaker
from tests.helpers import assert_problem, bearer, invoke

pytestmark = pytest.mark.anyio
KEYS = "/api/v1/api-keys"


async def test_a_key_bound_to_labs_shows_them(http: httpx2.AsyncClient, world: World, make_key: KeyMaker) -> None:
    admin = bearer(await make_key("admin", "read", "write", name="ops"))
    created = await http.post(
        KEYS,
        json={"name": "Lab app", "scopes": ["read", "write"], "labs": ["lab-a", world.rows["lab_b"]["id"]]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    labs = created.json()["labs"]
    assert [(lab["slug"], lab["name"]) for lab in labs] == [
        ("lab-a", world.rows["lab_a"]["name"]),
        ("lab-b", world.rows["lab_b"]["name"]),
    ]
    listed = {key["name"]: key["labs"] for key in (await http.get(KEYS, headers=admin)).json()}
    assert listed["Lab app"] == labs
    assert listed["ops"] is None
    read = await http.get(f"{KEYS}/{created.json()['id']}", headers=admin)
    assert read.json()["labs"] == labs


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": ["write"], "labs": ["nowhere"]}, "labs"),
        ({"name": "x", "scopes": ["write", "funding"], "labs": ["lab-a"]}, "body"),
        ({"name": "x", "scopes": ["write"], "labs": []}, "body"),
    ],
)
async def test_bad_labs_are_refused_and_nothing_written(
    app: object, http: httpx2.AsyncClient, world: World, make_key: KeyMaker, body: dict[str, object], field: str
) -> None:
    admin = bearer(await make_key("admin", "write", "funding", name="money ops"))
    before = await row_counts(app)  # type: ignore[arg-type]
    assert_problem(await http.post(KEYS, json=body, headers=admin), 422, field)
    assert await row_counts(app) == before  # type: ignore[arg-type]


async def test_a_bound_key_hands_on_only_its_own_labs(
    http: httpx2.AsyncClient, world: World, make_key: KeyMaker
) -> None:
    admin = bearer(await make_key("admin", "read", "write", name="ops"))
    creator = await http.post(
        KEYS, json={"name": "Lab A admin", "scopes": ["admin", "read", "write"], "labs": ["lab-a"]}, headers=admin
    )
    assert creator.status_code == 201, creator.text
    bound_admin = bearer(creator.json()["key"])
    unbound = await http.post(KEYS, json={"name": "Wider", "scopes": ["read"]}, headers=bound_admin)
    assert "bound to some of them" in assert_problem(unbound, 403)["detail"]
    elsewhere = await http.post(
        KEYS, json={"name": "Elsewhere", "scopes": ["read"], "labs": ["lab-b"]}, headers=bound_admin
    )
    assert_problem(elsewhere, 403)
    same = await http.post(KEYS, json={"name": "Same", "scopes": ["read"], "labs": ["lab-a"]}, headers=bound_admin)
    assert same.status_code == 201


@pytest.mark.usefixtures("cli_database")
async def test_the_cli_binds_keys_to_labs(world: World) -> None:
    created = await invoke(
        "create-api-key", "--name", "Lab A script", "--scopes", "read,write", "--labs", "lab-a,lab-b"
    )
    assert created.exit_code == 0, created.output
    assert "bound to lab-a, lab-b" in created.output
    listed = await invoke("list-api-keys")
    assert "lab-a,lab-b" in listed.output
    refused = await invoke("create-api-key", "--name", "Money", "--scopes", "funding", "--labs", "lab-a")
    assert refused.exit_code == 2
    assert "funding" in refused.output


async def test_a_lab_keys_are_bound_to_is_not_deleted(
    http: httpx2.AsyncClient, world: World, make_key: KeyMaker
) -> None:
    admin = bearer(await make_key("admin", "read", "write", name="ops"))
    empty = await http.post("/api/v1/labs", json={"name": "Lab vide", "region_code": "53"}, headers=admin)
    await http.post(
        KEYS, json={"name": "Lab vide app", "scopes": ["read"], "labs": [empty.json()["slug"]]}, headers=admin
    )
    refused = await http.delete(f"/api/v1/labs/{empty.json()['slug']}", headers=admin)
    assert "bound API keys" in assert_problem(refused, 409)["detail"]
