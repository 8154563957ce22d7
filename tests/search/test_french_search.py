"""French full-text `q`, through HTTP, on a corpus shared by both engines: each query finds the same events on
SQLite (FTS5 over Python's Snowball stems) and PostgreSQL (tsvector, `lab_french`) — docs/search.md."""

from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from tests.conftest import BuiltOnce
from tests.factories import create_event, create_lab, create_organization, create_project
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio

# name → (title, description, city, tags)
CORPUS: dict[str, tuple[str, str, str, list[str]]] = {
    "labos": ("Rencontre des laboratoires d’innovation", "Les équipes présentent leurs méthodes.", "Rennes", []),
    "labo": ("Visite du laboratoire", "Un après-midi pour découvrir le lieu.", "Nantes", ["visite"]),
    "formations": ("Formations au design", "Trois formations innovantes pour les agents.", "Lyon", []),
    "formation": ("Journée de formation", "Une formation à l'économie comportementale.", "Lille", []),
    "innovant": ("Atelier innovant", "Mise en œuvre d’un service public innovant.", "Paris", ["design"]),
    "economie": ("Conférence sur l'économie circulaire", "Le réemploi dans les administrations.", "Dijon", []),
    "usagers": ("Écouter les usagers", "Mise en place d'un panel. Œuvre collective.", "Brest", ["usager"]),
}

CASES: list[tuple[str, set[str]]] = [
    # stemming: plural and inflections meet (`innovant` and `innovation` share the stem `innov`)
    ("laboratoires", {"labos", "labo"}),
    ("laboratoire", {"labos", "labo"}),
    ("formations", {"formations", "formation"}),
    ("formation", {"formations", "formation"}),
    ("innovantes", {"labos", "formations", "innovant"}),
    ("innovant", {"labos", "formations", "innovant"}),
    # accents and case folded; elisions with either apostrophe
    ("ECONOMIE", {"formation", "economie"}),
    ("l'economie", {"formation", "economie"}),
    ("l’économie", {"formation", "economie"}),
    ("d'innovation", {"labos", "formations", "innovant"}),
    ("d’innovation", {"labos", "formations", "innovant"}),
    ("qu’un panel", {"usagers"}),
    ("oeuvre", {"innovant", "usagers"}),
    # every word must match
    ("formation design", {"formations"}),
    ("laboratoire rennes", {"labos"}),
    # phrase: the words in order, stop words inside counted
    ('"mise en oeuvre"', {"innovant"}),
    ('"oeuvre mise"', set()),
    ('"économie circulaire"', {"economie"}),
    # OR, exclusion, prefix
    ("laboratoire OR usagers", {"labos", "labo", "usagers"}),
    ("formation OR atelier design", {"formations", "innovant"}),
    ("formation -design", {"formation"}),
    ('formation -"design"', {"formation"}),
    ("innov*", {"labos", "formations", "innovant"}),
    ("labo*", {"labos", "labo"}),
    # tags and city are searched
    ("visite", {"labo"}),
    ("brest", {"usagers"}),
    # nothing found, and stop words alone filter nothing
    ("zygomatique", set()),
    ("le de la", set(CORPUS)),
]


@pytest.fixture
async def corpus(client: httpx2.AsyncClient, built_once: BuiltOnce) -> dict[str, str]:
    """Built through the API once per run (per worker), put back as rows for each later test."""
    return await built_once(lambda: _corpus(client))


async def _corpus(client: httpx2.AsyncClient) -> dict[str, str]:
    lab = await create_lab(client)
    ids = {}
    for name, (title, description, city, tags) in CORPUS.items():
        event = await create_event(client, lab_id=lab["id"], title=title, description=description, city=city, tags=tags)
        ids[event["id"]] = name
    return ids


async def _found(client: httpx2.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(path, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.mark.parametrize(("q", "expected"), CASES, ids=[case[0] for case in CASES])
async def test_the_same_events_on_both_engines(
    client: httpx2.AsyncClient, corpus: dict[str, str], q: str, expected: set[str]
) -> None:
    found = {corpus[item["id"]] for item in await _found(client, "/api/v1/events", q=q)}
    assert found == expected


async def test_the_total_and_the_csv_export_take_q(client: httpx2.AsyncClient, corpus: dict[str, str]) -> None:
    response = await client.get("/api/v1/events", params={"q": "formations", "include_total": "true"})
    assert response.json()["total"] == 2
    exported = await client.get("/api/v1/events", params={"q": "formations", "output": "csv"})
    assert exported.status_code == 200
    assert len(exported.text.strip().splitlines()) == 3


async def test_a_patched_title_is_found_by_its_new_words(client: httpx2.AsyncClient, corpus: dict[str, str]) -> None:
    event_id = next(i for i, name in corpus.items() if name == "labo")
    patched = await client.patch(f"/api/v1/events/{event_id}", json={"title": "Hackathon citoyen"})
    assert patched.status_code == 200, patched.text
    assert [corpus[i["id"]] for i in await _found(client, "/api/v1/events", q="hackathons")] == ["labo"]
    assert {corpus[i["id"]] for i in await _found(client, "/api/v1/events", q="laboratoire")} == {"labos"}
    deleted = await client.delete(f"/api/v1/events/{event_id}")
    assert deleted.status_code == 204
    assert await _found(client, "/api/v1/events", q="hackathon") == []


async def test_drafts_are_not_found_by_anonymous(app: FastAPI, client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client)
    draft = await create_event(client, lab_id=lab["id"], title="Laboratoire secret", publication="draft")
    assert draft["publication"] == "draft"
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test") as nobody:
        assert await _found(nobody, "/api/v1/events", q="laboratoire secret") == []
        assert_problem(await nobody.get("/api/v1/events", params={"q": "secret", "publication": "any"}), 403)
    own = {i["id"] for i in await _found(client, "/api/v1/events", q="laboratoire secret", publication="any")}
    assert own == {draft["id"]}


async def test_labs_projects_and_organizations_take_q(client: httpx2.AsyncClient) -> None:
    lab = await create_lab(client, name="Laboratoire d’innovation territoriale", description="Des ateliers.")
    await create_lab(client, name="Fabrique numérique", description="Un laboratoire citoyen.")
    await create_lab(client, name="Mission design")
    labs = await _found(client, "/api/v1/labs", q="laboratoires")
    assert {item["name"] for item in labs} == {lab["name"], "Fabrique numérique"}
    project = await create_project(
        client, lab_id=lab["id"], title="Simplifier les formulaires", summary="Des formations pour les agents."
    )
    await create_project(client, lab_id=lab["id"], title="Accueil des usagers")
    assert [p["id"] for p in await _found(client, "/api/v1/projects", q="formation")] == [project["id"]]
    organization = await create_organization(client, name="Agence des innovations publiques")
    assert [o["id"] for o in await _found(client, "/api/v1/organizations", q="innovation")] == [organization["id"]]


async def test_a_q_too_long_is_refused(client: httpx2.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/events", params={"q": "a" * 201}), 422, "q")


class TestRelevance:
    async def test_title_matches_come_first(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        body = await create_event(client, lab_id=lab["id"], title="Réunion", description="Un mot : hackathon.")
        title = await create_event(client, lab_id=lab["id"], title="Hackathon", description="Deux jours.")
        ranked = await _found(client, "/api/v1/events", q="hackathon")
        assert [item["id"] for item in ranked] == [title["id"], body["id"]]
        explicit = await _found(client, "/api/v1/events", q="hackathon", sort="relevance")
        assert explicit == ranked
        by_title = await _found(client, "/api/v1/events", q="hackathon", sort="-title")
        assert [item["id"] for item in by_title] == [body["id"], title["id"]]

    async def test_a_keyset_walk_repeats_nothing(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        made = set()
        for n in range(7):
            description = " ".join(["atelier"] * (n % 3 + 1)) + f" numéro {n}"
            made.add(
                (await create_event(client, lab_id=lab["id"], title=f"Atelier {n % 2}", description=description))["id"]
            )
        seen: list[str] = []
        params: dict[str, Any] = {"q": "ateliers", "limit": 2}
        while True:
            response = await client.get("/api/v1/events", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            seen += [item["id"] for item in page["items"]]
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert len(seen) == len(set(seen)) == 7
        assert set(seen) == made
        whole = [item["id"] for item in await _found(client, "/api/v1/events", q="ateliers")]
        assert seen == whole

    async def test_relevance_needs_words_to_find(self, client: httpx2.AsyncClient, corpus: dict[str, str]) -> None:
        assert_problem(await client.get("/api/v1/events", params={"sort": "relevance"}), 422, "sort")
        assert_problem(await client.get("/api/v1/labs", params={"sort": "relevance", "q": "-design"}), 422, "sort")
        excluded = await _found(client, "/api/v1/events", q="-formation")
        assert [item["starts_at"] for item in excluded] == sorted(item["starts_at"] for item in excluded)

    async def test_a_forged_rank_is_refused(self, client: httpx2.AsyncClient, corpus: dict[str, str]) -> None:
        page = await client.get("/api/v1/events", params={"q": "formation", "limit": 1})
        cursor = page.json()["next_cursor"]
        assert cursor is not None
        assert_problem(
            await client.get("/api/v1/events", params={"q": "formation", "sort": "title", "cursor": cursor}), 400
        )


async def test_the_stats_take_the_same_q(client: httpx2.AsyncClient, corpus: dict[str, str]) -> None:
    """/stats/events and /stats/projects count what the list finds for the same `q` (they, /stats/funding and
    /stats/scaling take the list's filters, `q` among them)."""
    for q in ("formations", "laboratoire OR usagers", "innov* -design", '"mise en oeuvre"'):
        listed = await client.get("/api/v1/events", params={"q": q, "include_total": "true"})
        counted = await client.get("/api/v1/stats/events", params={"q": q, "group_by": "format"})
        assert counted.status_code == 200, counted.text
        assert counted.json()["total"] == listed.json()["total"] > 0
    lab = await create_lab(client)
    await create_project(client, lab_id=lab["id"], title="Les formations des agents")
    await create_project(client, lab_id=lab["id"], title="Accueil")
    counted = await client.get("/api/v1/stats/projects", params={"q": "formation", "group_by": "status"})
    assert counted.status_code == 200, counted.text
    assert counted.json()["total"] == 1


async def test_highlight_marks_the_words_found(client: httpx2.AsyncClient, corpus: dict[str, str]) -> None:
    items = await _found(client, "/api/v1/events", q="laboratoires", highlight="true")
    marked = {corpus[item["id"]]: item["highlight"] for item in items}
    assert marked == {
        "labos": "Rencontre des <mark>laboratoires</mark> d’innovation",
        "labo": "Visite du <mark>laboratoire</mark>",
    }
    by_body = await _found(client, "/api/v1/events", q="comportementale", highlight="true")
    assert [item["highlight"] for item in by_body] == ["…formation à l&#x27;économie <mark>comportementale</mark>."]
    plain = await _found(client, "/api/v1/events", q="laboratoires")
    assert all("highlight" not in item for item in plain)
    labs = await _found(client, "/api/v1/labs", q="innov*", highlight="true")
    assert all("highlight" in item for item in labs)
