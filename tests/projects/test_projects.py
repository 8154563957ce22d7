"""Projects through HTTP: create, read by id and slug, patch, replace, delete, lists, and every refused input."""

from typing import Any

import httpx2
import pytest

from tests.factories import create_allocation, create_event, create_lab, create_partner, create_project
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

UNKNOWN_ID = "123e4567-e89b-12d3-a456-426614174000"


async def count_projects(client: httpx2.AsyncClient) -> int:
    return await total(client, "/api/v1/projects")


class TestCreateProject:
    async def test_created_with_location_slug_and_defaults(self, client: httpx2.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/projects",
            json={"title": "Accueil unique – Préfecture", "kind": "action", "theme_code": "service-usager"},
        )
        assert response.status_code == 201, response.text
        project = response.json()
        assert project["slug"] == "accueil-unique-prefecture"
        assert (project["kind"], project["status"], project["secondary_themes"]) == ("action", "exploring", [])
        assert (project["lab_id"], project["region_code"], project["version"]) == (None, None, 1)
        assert response.headers["location"].endswith(f"/api/v1/projects/{project['id']}")

    async def test_region_defaults_to_the_labs(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="75")
        project = await create_project(client, lab_id=lab["id"])
        assert project["region_code"] == "75"

    async def test_given_region_wins_over_the_labs(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="75")
        project = await create_project(client, lab_id=lab["id"], region_code="76")
        assert project["region_code"] == "76"

    async def test_theme_codes_in_any_case_and_accents(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(
            client, theme_code="Service-Usager", secondary_themes=["DESIGN", "Écoresponsable"]
        )
        assert project["theme_code"] == "service-usager"
        assert project["secondary_themes"] == ["design", "ecoresponsable"]

    async def test_full_representation_is_kept(self, client: httpx2.AsyncClient) -> None:
        body = {
            "summary": "Un guichet unique",
            "starts_on": "2020-09-01",
            "ends_on": "2021-06-30",
            "users_involved": 1200,
            "agents_involved": 0,
            "results": "Délais divisés par deux",
            "lessons": "Associer les agents dès le début",
            "external_id": "P-001",
        }
        project = await create_project(client, **body)
        assert {name: project[name] for name in body} == body

    async def test_taken_slug_is_a_conflict(self, client: httpx2.AsyncClient) -> None:
        await create_project(client, slug="guichet")
        response = await client.post(
            "/api/v1/projects", json={"title": "Autre", "kind": "project", "theme_code": "design", "slug": "guichet"}
        )
        assert "slug" in assert_problem(response, 409)["detail"]
        assert await count_projects(client) == 1

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("theme_code", "inconnu"),
            ("theme_code", ""),
            ("kind", "programme"),
            ("status", "done"),
            ("users_involved", -1),
            ("agents_involved", -5),
            ("lab_id", UNKNOWN_ID),
            ("region_code", "99"),
            ("replicates_project_id", UNKNOWN_ID),
            ("secondary_themes", ["inconnu"]),
            ("secondary_themes", ["design", "Design"]),
            ("secondary_themes", ["service-usager"]),
            ("title", ""),
            ("slug", "Pas Un Slug"),
            ("colour", "blue"),
        ],
    )
    async def test_bad_field_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, field: str, value: Any
    ) -> None:
        body = {"title": "Projet", "kind": "project", "theme_code": "service-usager", field: value}
        assert_problem(await client.post("/api/v1/projects", json=body), 422, field)
        assert await count_projects(client) == 0

    async def test_end_before_start_is_refused(self, client: httpx2.AsyncClient) -> None:
        body = {
            "title": "Projet",
            "kind": "project",
            "theme_code": "design",
            "starts_on": "2021-01-10",
            "ends_on": "2021-01-09",
        }
        problem = assert_problem(await client.post("/api/v1/projects", json=body), 422, "ends_on")
        assert "starts_on" in problem["detail"]
        assert await count_projects(client) == 0

    async def test_missing_required_fields_are_named(self, client: httpx2.AsyncClient) -> None:
        problem = assert_problem(await client.post("/api/v1/projects", json={"title": "Projet"}), 422)
        assert {err["loc"][-1] for err in problem["errors"]} == {"kind", "theme_code"}


class TestReadProject:
    async def test_by_id_and_by_slug(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client, title="Dites-le-nous une fois")
        by_id = await client.get(f"/api/v1/projects/{project['id']}")
        by_slug = await client.get("/api/v1/projects/dites-le-nous-une-fois")
        assert by_id.status_code == by_slug.status_code == 200
        assert by_id.json() == by_slug.json() == project

    async def test_unknown_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/projects/nulle-part"), 404)
        assert_problem(await client.get(f"/api/v1/projects/{UNKNOWN_ID}"), 404)


class TestUpdateProject:
    async def test_patch_changes_only_given_fields_and_bumps_version(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client, summary="Avant", results="Rien encore")
        response = await client.patch(f"/api/v1/projects/{project['slug']}", json={"summary": "Après", "results": None})
        assert response.status_code == 200, response.text
        patched = response.json()
        assert (patched["summary"], patched["results"], patched["title"]) == ("Après", None, project["title"])
        assert patched["version"] == 2
        assert patched["updated_at"] > project["updated_at"]

    async def test_patch_theme_in_any_case(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        response = await client.patch(
            f"/api/v1/projects/{project['id']}", json={"theme_code": "Innovation-Managériale"}
        )
        assert response.json()["theme_code"] == "innovation-manageriale"

    async def test_patch_null_secondary_themes_clears_them(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client, secondary_themes=["design"])
        response = await client.patch(f"/api/v1/projects/{project['id']}", json={"secondary_themes": None})
        assert response.json()["secondary_themes"] == []

    async def test_patch_of_only_ends_on_before_stored_start_is_refused(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client, starts_on="2021-03-01", ends_on="2021-12-31")
        response = await client.patch(f"/api/v1/projects/{project['id']}", json={"ends_on": "2021-02-28"})
        assert_problem(response, 422, "ends_on")
        assert (await client.get(f"/api/v1/projects/{project['id']}")).json() == project

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("theme_code", "inconnu"),
            ("secondary_themes", ["design", "inconnu"]),
            ("users_involved", -1),
            ("lab_id", UNKNOWN_ID),
            ("kind", "programme"),
            ("title", None),
            ("colour", "blue"),
        ],
    )
    async def test_bad_patch_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, field: str, value: Any
    ) -> None:
        project = await create_project(client)
        assert_problem(await client.patch(f"/api/v1/projects/{project['id']}", json={field: value}), 422, field)
        assert (await client.get(f"/api/v1/projects/{project['id']}")).json() == project

    async def test_replicating_itself_is_refused(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        response = await client.patch(
            f"/api/v1/projects/{project['id']}", json={"replicates_project_id": project["id"]}
        )
        assert_problem(response, 422, "replicates_project_id")
        assert (await client.get(f"/api/v1/projects/{project['id']}")).json() == project

    async def test_replication_cycle_is_refused(self, client: httpx2.AsyncClient) -> None:
        original = await create_project(client)
        replica = await create_project(client, replicates_project_id=original["id"])
        response = await client.patch(
            f"/api/v1/projects/{original['id']}", json={"replicates_project_id": replica["id"]}
        )
        assert_problem(response, 422, "replicates_project_id")

    async def test_put_replaces_and_clears_omitted_fields(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="53")
        project = await create_project(client, lab_id=lab["id"], summary="Résumé", users_involved=10)
        body = {"title": "Nouveau titre", "kind": "action", "theme_code": "territorial", "region_code": "32"}
        response = await client.put(f"/api/v1/projects/{project['id']}", json=body)
        assert response.status_code == 200, response.text
        replaced = response.json()
        assert (replaced["title"], replaced["kind"], replaced["theme_code"]) == (
            "Nouveau titre",
            "action",
            "territorial",
        )
        assert (replaced["lab_id"], replaced["region_code"], replaced["summary"], replaced["users_involved"]) == (
            None,
            "32",
            None,
            None,
        )
        assert replaced["slug"] == project["slug"]

    async def test_identical_write_keeps_the_version(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        response = await client.patch(f"/api/v1/projects/{project['id']}", json={"title": project["title"]})
        assert response.json()["version"] == 1

    async def test_unknown_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.patch("/api/v1/projects/nulle-part", json={"summary": "x"}), 404)


class TestDeleteProject:
    async def test_deleted_with_its_partners_and_history(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        partner = await create_partner(client, project["id"])
        assert (await client.delete(f"/api/v1/projects/{project['slug']}")).status_code == 204
        assert_problem(await client.get(f"/api/v1/projects/{project['id']}"), 404)
        assert_problem(await client.get(f"/api/v1/projects/{project['id']}/history"), 404)
        assert (await client.get(f"/api/v1/organizations/{partner['organization_id']}")).status_code == 200

    async def test_refused_while_replicated_and_nothing_removed(self, client: httpx2.AsyncClient) -> None:
        original = await create_project(client)
        await create_partner(client, original["id"])
        await create_project(client, replicates_project_id=original["id"])
        problem = assert_problem(await client.delete(f"/api/v1/projects/{original['id']}"), 409)
        assert "1 replicating projects" in problem["detail"]
        assert (await client.get(f"/api/v1/projects/{original['id']}")).json() == original
        assert await total(client, f"/api/v1/projects/{original['id']}/partners") == 1
        assert len((await client.get(f"/api/v1/projects/{original['id']}/history")).json()) == 1

    async def test_refused_while_events_and_allocations_name_it(self, client: httpx2.AsyncClient) -> None:
        project = await create_project(client)
        await create_event(client, project_id=project["id"])
        await create_allocation(client, project_id=project["id"])
        await create_allocation(client, project_id=project["id"])
        problem = assert_problem(await client.delete(f"/api/v1/projects/{project['id']}"), 409)
        assert "1 events" in problem["detail"]
        assert "2 allocations" in problem["detail"]
        assert await count_projects(client) == 1

    async def test_unknown_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.delete(f"/api/v1/projects/{UNKNOWN_ID}"), 404)


@pytest.mark.lists
class TestListProjects:
    async def test_filters(self, client: httpx2.AsyncClient) -> None:
        rennes = await create_lab(client, name="Lab Rennes", slug="lab-rennes", region_code="53")
        guichet = await create_project(
            client,
            title="Guichet unique",
            lab_id=rennes["id"],
            status="piloting",
            starts_on="2020-10-01",
            lessons="Écouter les usagers",
        )
        tiers_lieu = await create_project(
            client,
            title="Tiers-lieu",
            kind="action",
            theme_code="territorial",
            region_code="76",
            starts_on="2021-02-01",
        )
        replica = await create_project(client, title="Guichet bis", replicates_project_id=guichet["id"])

        async def titles(**params: Any) -> list[str]:
            response = await client.get("/api/v1/projects", params=params)
            assert response.status_code == 200, response.text
            return [item["title"] for item in response.json()["items"]]

        assert await titles(theme="TERRITORIAL") == [tiers_lieu["title"]]
        assert await titles(theme="Service-Usager") == [replica["title"], guichet["title"]]
        assert await titles(status="piloting") == [guichet["title"]]
        assert await titles(lab="lab-rennes") == [guichet["title"]]
        assert await titles(lab=rennes["id"]) == [guichet["title"]]
        assert await titles(region="Bretagne") == [guichet["title"]]
        assert await titles(kind="action") == [tiers_lieu["title"]]
        assert await titles(starts_after="2020-10-01") == [guichet["title"], tiers_lieu["title"]]
        assert await titles(starts_after="2020-10-02") == [tiers_lieu["title"]]
        assert await titles(starts_before="2020-10-01") == [guichet["title"]]
        assert await titles(replicates=guichet["slug"]) == [replica["title"]]
        assert await titles(q="ecouter USAGERS") == [guichet["title"]]
        assert await titles(sort="-title") == [tiers_lieu["title"], guichet["title"], replica["title"]]

    @pytest.mark.parametrize(
        ("param", "value"),
        [("status", "done"), ("kind", "programme"), ("region", "Atlantide"), ("sort", "status"), ("colour", "x")],
    )
    async def test_bad_filter_is_refused(self, client: httpx2.AsyncClient, param: str, value: str) -> None:
        assert_problem(await client.get("/api/v1/projects", params={param: value}), 422, param)

    async def test_pagination_walk(self, client: httpx2.AsyncClient) -> None:
        created = [await create_project(client, title=f"Projet {n:02d}") for n in range(7)]
        seen: list[str] = []
        url: str | None = "/api/v1/projects?limit=3"
        pages = 0
        while url is not None:
            response = await client.get(url)
            assert response.status_code == 200, response.text
            body = response.json()
            seen += [item["id"] for item in body["items"]]
            pages += 1
            link = response.headers.get("link")
            assert (link is None) == (body["next_cursor"] is None)
            url = link[1 : link.index(">")] if link else None
        assert pages == 3
        assert seen == [project["id"] for project in created]

    async def test_updated_since(self, client: httpx2.AsyncClient) -> None:
        first = await create_project(client)
        second = await create_project(client)
        response = await client.get("/api/v1/projects", params={"updated_since": second["updated_at"]})
        assert first["updated_at"] < second["updated_at"]
        assert [item["id"] for item in response.json()["items"]] == [second["id"]]


class TestLabProjects:
    async def test_only_the_labs_projects(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, slug="lab-lille", region_code="32")
        other = await create_lab(client)
        mine = await create_project(client, lab_id=lab["id"], title="A", status="scaling")
        await create_project(client, lab_id=lab["id"], title="B")
        await create_project(client, lab_id=other["id"])
        await create_project(client)
        response = await client.get("/api/v1/labs/lab-lille/projects", params={"include_total": True})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == 2
        assert [item["title"] for item in body["items"]] == ["A", "B"]
        filtered = await client.get(f"/api/v1/labs/{lab['id']}/projects", params={"status": "scaling"})
        assert [item["id"] for item in filtered.json()["items"]] == [mine["id"]]

    async def test_unknown_lab_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/labs/nulle-part/projects"), 404)

    async def test_lab_filter_is_not_taken_again(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        assert_problem(await client.get(f"/api/v1/labs/{lab['id']}/projects", params={"lab": "x"}), 422, "lab")
