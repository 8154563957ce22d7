"""Organizations through HTTP: create, read by id and slug, list, patch, replace, delete, and every refused input."""

from typing import Any

import httpx2
import pytest

from tests.factories import create_lab, create_organization
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

URL = "/api/v1/organizations"
SIRET = "73282932000074"
LA_POSTE_HEAD_OFFICE = "35600000000048"  # Luhn-valid
LA_POSTE_VALID = "35600000049837"  # fails Luhn, digit sum 45
LA_POSTE_INVALID = "35600000049838"  # fails Luhn, digit sum 46


def luhn_siret(prefix: str) -> str:
    """The 14-digit SIRET that completes a 13-digit prefix with its Luhn check digit."""
    for last in "0123456789":
        digits = prefix + last
        checksum = sum(
            (2 * int(d) - 9 if 2 * int(d) > 9 else 2 * int(d)) if i % 2 else int(d)
            for i, d in enumerate(reversed(digits))
        )
        if checksum % 10 == 0:
            return digits
    raise AssertionError("unreachable")


async def count_organizations(client: httpx2.AsyncClient) -> int:
    return await total(client, URL)


async def names(client: httpx2.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


class TestCreateOrganization:
    async def test_created_with_location_and_derived_slug(self, client: httpx2.AsyncClient) -> None:
        body = {
            "name": "Conseil régional d'Occitanie",
            "kind": "collectivite",
            "siret": SIRET,
            "region_code": "76",
            "website": "https://www.laregion.fr",
            "external_id": "ORG-76",
        }
        response = await client.post(URL, json=body)
        assert response.status_code == 201, response.text
        organization = response.json()
        assert organization["slug"] == "conseil-regional-d-occitanie"
        assert {k: organization[k] for k in body} == body
        assert organization["rna"] is None
        assert organization["version"] == 1
        assert response.headers["location"].endswith(f"{URL}/{organization['id']}")
        assert (await client.get(response.headers["location"])).json() == organization

    async def test_association_with_rna(self, client: httpx2.AsyncClient) -> None:
        organization = await create_organization(client, kind="association", rna="W751234567")
        assert (organization["kind"], organization["rna"]) == ("association", "W751234567")

    async def test_same_name_gets_a_free_slug(self, client: httpx2.AsyncClient) -> None:
        first = await create_organization(client, name="Département du Nord")
        second = await create_organization(client, name="Département du Nord")
        assert (first["slug"], second["slug"]) == ("departement-du-nord", "departement-du-nord-2")

    @pytest.mark.parametrize("siret", [LA_POSTE_VALID, LA_POSTE_HEAD_OFFICE])
    async def test_la_poste_siret_is_accepted(self, client: httpx2.AsyncClient, siret: str) -> None:
        organization = await create_organization(client, name="La Poste", kind="entreprise", siret=siret)
        assert organization["siret"] == siret

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("siret", "7328293200007"),
            ("siret", "732829320000740"),
            ("siret", "7328293200007A"),
            ("siret", "73282932000075"),
            ("siret", LA_POSTE_INVALID),
            ("rna", "W75123456"),
            ("rna", "X751234567"),
            ("rna", "w751234567"),
            ("kind", "ministere"),
            ("kind", None),
            ("region_code", "99"),
            ("website", "www.laregion.fr"),
            ("website", "ftp://laregion.fr"),
            ("website", "https://laregion.fr/" + "a" * 1000),
            ("slug", "Pas Un Slug"),
            ("name", ""),
            ("name", None),
            ("colour", "blue"),
        ],
    )
    async def test_bad_field_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, field: str, value: Any
    ) -> None:
        body = {"name": "Banque des territoires", "kind": "operateur-public", field: value}
        assert_problem(await client.post(URL, json=body), 422, field)
        assert await count_organizations(client) == 0

    @pytest.mark.parametrize("field", ["siret", "slug", "external_id"])
    async def test_taken_unique_field_is_a_conflict(self, client: httpx2.AsyncClient, field: str) -> None:
        values = {"siret": SIRET, "slug": "nord", "external_id": "ORG-59"}
        await create_organization(client, **{field: values[field]})
        response = await client.post(URL, json={"name": "Autre", "kind": "autre", field: values[field]})
        assert field in assert_problem(response, 409)["detail"]
        assert await count_organizations(client) == 1


class TestReadOrganization:
    async def test_by_id_and_by_slug(self, client: httpx2.AsyncClient) -> None:
        organization = await create_organization(client, name="Ministère de l'Intérieur")
        by_id = await client.get(f"{URL}/{organization['id']}")
        by_slug = await client.get(f"{URL}/ministere-de-l-interieur")
        assert by_id.status_code == by_slug.status_code == 200
        assert by_id.json() == by_slug.json() == organization

    @pytest.mark.parametrize("ident", ["nowhere", "123e4567-e89b-12d3-a456-426614174000"])
    async def test_unknown_is_404(self, client: httpx2.AsyncClient, ident: str) -> None:
        assert_problem(await client.get(f"{URL}/{ident}"), 404)


@pytest.mark.lists
class TestListOrganizations:
    async def test_filters_by_kind(self, client: httpx2.AsyncClient) -> None:
        await create_organization(client, name="Département du Nord", kind="collectivite")
        await create_organization(client, name="Ministère de l'Intérieur", kind="administration-centrale")
        assert await names(client, kind="collectivite") == ["Département du Nord"]

    @pytest.mark.parametrize("region", ["76", "Occitanie", "occitanie"])
    async def test_filters_by_region_code_or_name(self, client: httpx2.AsyncClient, region: str) -> None:
        await create_organization(client, name="Conseil régional d'Occitanie", region_code="76")
        await create_organization(client, name="Département du Nord", region_code="32")
        await create_organization(client, name="Banque des territoires")
        assert await names(client, region=region) == ["Conseil régional d'Occitanie"]

    async def test_q_ignores_accents_and_case(self, client: httpx2.AsyncClient) -> None:
        await create_organization(client, name="Conseil régional d'Occitanie", kind="collectivite")
        await create_organization(client, name="Conseil départemental du Nord", kind="collectivite")
        assert await names(client, q="regional occitanie") == ["Conseil régional d'Occitanie"]
        by_name = await names(client, q="CONSEIL", sort="name")
        assert by_name == ["Conseil départemental du Nord", "Conseil régional d'Occitanie"]

    async def test_q_finds_by_siret(self, client: httpx2.AsyncClient) -> None:
        await create_organization(client, name="Avec SIRET", siret=SIRET)
        await create_organization(client, name="Sans SIRET")
        assert await names(client, q=SIRET) == ["Avec SIRET"]

    async def test_updated_since_and_sort(self, client: httpx2.AsyncClient) -> None:
        first = await create_organization(client, name="B")
        await create_organization(client, name="A")
        assert await names(client, sort="-name") == ["B", "A"]
        assert await names(client, sort="created_at") == ["B", "A"]
        patched = (await client.patch(f"{URL}/{first['id']}", json={"name": "C"})).json()
        assert await names(client, updated_since=patched["updated_at"]) == ["C"]

    @pytest.mark.parametrize(
        ("param", "value"), [("kind", "ministere"), ("region", "Atlantide"), ("sort", "siret"), ("limit", 0)]
    )
    async def test_bad_parameter_is_refused(self, client: httpx2.AsyncClient, param: str, value: Any) -> None:
        assert_problem(await client.get(URL, params={param: value}), 422, param)

    async def test_pagination_walk(self, client: httpx2.AsyncClient) -> None:
        created = [(await create_organization(client, name=f"Organisation {n}"))["id"] for n in range(5)]
        seen: list[str] = []
        params: dict[str, Any] = {"limit": 2}
        pages = 0
        while True:
            response = await client.get(URL, params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            pages += 1
            assert len(page["items"]) <= 2
            seen.extend(item["id"] for item in page["items"])
            if page["next_cursor"] is None:
                assert "link" not in response.headers
                break
            link = response.headers["link"]
            assert link.endswith('>; rel="next"')
            assert f"cursor={page['next_cursor']}" in link
            params = {"limit": 2, "cursor": page["next_cursor"]}
        assert pages == 3
        assert len(seen) == len(set(seen)) == 5
        assert set(seen) == set(created)

    async def test_include_total(self, client: httpx2.AsyncClient) -> None:
        for _ in range(3):
            await create_organization(client)
        response = await client.get(URL, params={"limit": 1, "include_total": True})
        assert (len(response.json()["items"]), response.json()["total"]) == (1, 3)

    @pytest.mark.parametrize("cursor", ["forged", "eyJzIjoibmFtZSIsImsiOlsxLDJdfQ"])
    async def test_forged_cursor_is_400(self, client: httpx2.AsyncClient, cursor: str) -> None:
        await create_organization(client)
        assert_problem(await client.get(URL, params={"cursor": cursor}), 400)


class TestUpdateOrganization:
    async def test_patch_changes_only_given_fields_and_bumps_version(self, client: httpx2.AsyncClient) -> None:
        organization = await create_organization(client, siret=SIRET, website="https://nord.fr")
        response = await client.patch(f"{URL}/{organization['slug']}", json={"kind": "collectivite", "website": None})
        assert response.status_code == 200, response.text
        patched = response.json()
        assert (patched["kind"], patched["website"]) == ("collectivite", None)
        assert (patched["name"], patched["siret"]) == (organization["name"], SIRET)
        assert patched["version"] == 2
        assert patched["updated_at"] > organization["updated_at"]

    async def test_patch_name_keeps_the_slug_and_is_searchable(self, client: httpx2.AsyncClient) -> None:
        organization = await create_organization(client, name="Préfecture du Nord")
        patched = (await client.patch(f"{URL}/{organization['id']}", json={"name": "Préfecture d'Occitanie"})).json()
        assert patched["slug"] == organization["slug"]
        assert await names(client, q="occitanie") == ["Préfecture d'Occitanie"]
        assert await names(client, q="nord") == []

    @pytest.mark.parametrize(
        ("field", "value"),
        [("siret", "73282932000075"), ("rna", "W1"), ("kind", None), ("name", None), ("region_code", "99")],
    )
    async def test_bad_patch_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, field: str, value: Any
    ) -> None:
        organization = await create_organization(client)
        assert_problem(await client.patch(f"{URL}/{organization['id']}", json={field: value}), 422, field)
        assert (await client.get(f"{URL}/{organization['id']}")).json() == organization

    async def test_patch_to_a_taken_siret_is_a_conflict(self, client: httpx2.AsyncClient) -> None:
        await create_organization(client, siret=SIRET)
        other = await create_organization(client, siret=luhn_siret("1234567890001"))
        response = await client.patch(f"{URL}/{other['id']}", json={"siret": SIRET})
        assert "siret" in assert_problem(response, 409)["detail"]
        assert (await client.get(f"{URL}/{other['id']}")).json() == other

    async def test_put_replaces_and_clears_omitted_fields(self, client: httpx2.AsyncClient) -> None:
        organization = await create_organization(client, siret=SIRET, region_code="53", website="https://a.fr")
        response = await client.put(f"{URL}/{organization['id']}", json={"name": "Nouveau nom", "kind": "ess"})
        assert response.status_code == 200, response.text
        replaced = response.json()
        assert (replaced["name"], replaced["kind"], replaced["slug"]) == ("Nouveau nom", "ess", organization["slug"])
        assert (replaced["siret"], replaced["region_code"], replaced["website"]) == (None, None, None)

    async def test_put_without_kind_is_refused(self, client: httpx2.AsyncClient) -> None:
        organization = await create_organization(client)
        assert_problem(await client.put(f"{URL}/{organization['id']}", json={"name": "N"}), 422, "kind")

    async def test_identical_write_keeps_the_version(self, client: httpx2.AsyncClient) -> None:
        organization = await create_organization(client)
        response = await client.patch(f"{URL}/{organization['id']}", json={"kind": organization["kind"]})
        assert response.json()["version"] == 1

    async def test_unknown_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.patch(f"{URL}/nowhere", json={"name": "N"}), 404)


class TestDeleteOrganization:
    async def test_deleted_then_404(self, client: httpx2.AsyncClient) -> None:
        organization = await create_organization(client)
        assert (await client.delete(f"{URL}/{organization['slug']}")).status_code == 204
        assert_problem(await client.get(f"{URL}/{organization['id']}"), 404)
        assert await count_organizations(client) == 0

    async def test_lab_host_blocks_the_delete(self, client: httpx2.AsyncClient) -> None:
        organization = await create_organization(client)
        lab = await create_lab(client, host_organization_id=organization["id"])
        await create_lab(client, host_organization_id=organization["id"])
        body = assert_problem(await client.delete(f"{URL}/{organization['id']}"), 409)
        assert "2 hosted labs" in body["detail"]
        assert (await client.get(f"{URL}/{organization['id']}")).json() == organization
        assert (await client.delete(f"/api/v1/labs/{lab['id']}")).status_code == 204
        assert "1 hosted labs" in assert_problem(await client.delete(f"{URL}/{organization['id']}"), 409)["detail"]

    async def test_unknown_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.delete(f"{URL}/nowhere"), 404)
