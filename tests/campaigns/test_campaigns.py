"""Campaigns through HTTP: create, read by id and slug, list, patch, replace, delete, and their events."""

from typing import Any

import httpx2
import pytest

from tests.factories import create_campaign, create_event, create_lab
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

VALID = {"name": "Mois de l'innovation publique 2020", "starts_on": "2020-11-01", "ends_on": "2020-11-30"}


async def count_campaigns(client: httpx2.AsyncClient) -> int:
    return await total(client, "/api/v1/campaigns")


class TestCreateCampaign:
    async def test_created_with_location_and_derived_slug(self, client: httpx2.AsyncClient) -> None:
        response = await client.post("/api/v1/campaigns", json={**VALID, "description": "Novembre 2020"})
        assert response.status_code == 201, response.text
        campaign = response.json()
        assert campaign["slug"] == "mois-de-l-innovation-publique-2020"
        assert (campaign["starts_on"], campaign["ends_on"]) == ("2020-11-01", "2020-11-30")
        assert (campaign["description"], campaign["external_id"], campaign["version"]) == ("Novembre 2020", None, 1)
        assert response.headers["location"].endswith(f"/api/v1/campaigns/{campaign['id']}")

    async def test_one_day_campaign_is_accepted(self, client: httpx2.AsyncClient) -> None:
        campaign = await create_campaign(client, starts_on="2020-11-17", ends_on="2020-11-17")
        assert campaign["ends_on"] == campaign["starts_on"]

    async def test_same_name_gets_a_free_slug(self, client: httpx2.AsyncClient) -> None:
        first = await create_campaign(client, name="Semaine du design")
        second = await create_campaign(client, name="Semaine du design")
        assert (first["slug"], second["slug"]) == ("semaine-du-design", "semaine-du-design-2")

    @pytest.mark.parametrize("field", ["slug", "external_id"])
    async def test_taken_unique_field_is_a_conflict(self, client: httpx2.AsyncClient, field: str) -> None:
        await create_campaign(client, **{field: "mip-2020"})
        response = await client.post("/api/v1/campaigns", json={**VALID, field: "mip-2020"})
        assert field in assert_problem(response, 409)["detail"]
        assert await count_campaigns(client) == 1

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("ends_on", "2020-10-31"),
            ("starts_on", "2020-13-01"),
            ("ends_on", "30/11/2020x"),
            ("name", ""),
            ("name", "   "),
            ("slug", "Pas Un Slug"),
            ("slug", "123e4567-e89b-12d3-a456-426614174000"),
            ("external_id", ""),
            ("colour", "blue"),
        ],
    )
    async def test_bad_field_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, field: str, value: Any
    ) -> None:
        assert_problem(await client.post("/api/v1/campaigns", json={**VALID, field: value}), 422, field)
        assert await count_campaigns(client) == 0

    @pytest.mark.parametrize("field", ["name", "starts_on", "ends_on"])
    async def test_missing_required_field_is_refused(self, client: httpx2.AsyncClient, field: str) -> None:
        body = {k: v for k, v in VALID.items() if k != field}
        assert_problem(await client.post("/api/v1/campaigns", json=body), 422, field)
        assert await count_campaigns(client) == 0


class TestReadCampaign:
    async def test_by_id_and_by_slug(self, client: httpx2.AsyncClient) -> None:
        campaign = await create_campaign(client, slug="mois-innovation-publique-2020")
        by_id = await client.get(f"/api/v1/campaigns/{campaign['id']}")
        by_slug = await client.get("/api/v1/campaigns/mois-innovation-publique-2020")
        assert by_id.status_code == by_slug.status_code == 200
        assert by_id.json() == by_slug.json() == campaign

    async def test_unknown_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/campaigns/nowhere"), 404)
        assert_problem(await client.get("/api/v1/campaigns/123e4567-e89b-12d3-a456-426614174000"), 404)


@pytest.mark.lists
class TestListCampaigns:
    async def test_sorted_by_name_by_default_and_by_start_on_request(self, client: httpx2.AsyncClient) -> None:
        b = await create_campaign(client, name="B", starts_on="2020-01-01", ends_on="2020-01-31")
        a = await create_campaign(client, name="A", starts_on="2021-01-01", ends_on="2021-01-31")
        c = await create_campaign(client, name="C", starts_on="2019-01-01", ends_on="2019-01-31")
        names = [i["name"] for i in (await client.get("/api/v1/campaigns")).json()["items"]]
        assert names == ["A", "B", "C"]
        by_start = (await client.get("/api/v1/campaigns", params={"sort": "starts_on"})).json()["items"]
        assert [i["id"] for i in by_start] == [c["id"], b["id"], a["id"]]
        latest = (await client.get("/api/v1/campaigns", params={"sort": "-starts_on"})).json()["items"]
        assert [i["id"] for i in latest] == [a["id"], b["id"], c["id"]]

    async def test_start_range_is_inclusive_then_exclusive(self, client: httpx2.AsyncClient) -> None:
        await create_campaign(client, name="Octobre", starts_on="2020-10-01", ends_on="2020-10-31")
        await create_campaign(client, name="Novembre", starts_on="2020-11-01", ends_on="2020-11-30")
        await create_campaign(client, name="Décembre", starts_on="2020-12-01", ends_on="2020-12-31")
        response = await client.get(
            "/api/v1/campaigns", params={"starts_after": "2020-11-01", "starts_before": "2020-12-01"}
        )
        assert [i["name"] for i in response.json()["items"]] == ["Novembre"]

    async def test_q_ignores_accents_and_case(self, client: httpx2.AsyncClient) -> None:
        await create_campaign(client, name="Semaine écoresponsable")
        await create_campaign(client, name="Autre", description="Numérique RESPONSABLE")
        await create_campaign(client, name="Sans rapport")
        response = await client.get("/api/v1/campaigns", params={"q": "ECORESPONSABLE"})
        assert [i["name"] for i in response.json()["items"]] == ["Semaine écoresponsable"]
        response = await client.get("/api/v1/campaigns", params={"q": "numerique"})
        assert [i["name"] for i in response.json()["items"]] == ["Autre"]

    async def test_updated_since(self, client: httpx2.AsyncClient) -> None:
        await create_campaign(client, name="Ancienne")
        newer = await create_campaign(client, name="Récente")
        response = await client.get("/api/v1/campaigns", params={"updated_since": newer["updated_at"]})
        assert [i["name"] for i in response.json()["items"]] == ["Récente"]

    @pytest.mark.parametrize(
        ("param", "value"), [("starts_after", "demain"), ("sort", "ends_on"), ("limit", "0"), ("colour", "blue")]
    )
    async def test_bad_query_is_refused(self, client: httpx2.AsyncClient, param: str, value: str) -> None:
        assert_problem(await client.get("/api/v1/campaigns", params={param: value}), 422, param)


class TestUpdateCampaign:
    async def test_patch_changes_only_given_fields_and_bumps_version(self, client: httpx2.AsyncClient) -> None:
        campaign = await create_campaign(client, description="Première édition")
        response = await client.patch(
            f"/api/v1/campaigns/{campaign['slug']}", json={"ends_on": "2020-12-15", "description": None}
        )
        assert response.status_code == 200, response.text
        patched = response.json()
        assert (patched["ends_on"], patched["description"], patched["name"]) == ("2020-12-15", None, campaign["name"])
        assert (patched["slug"], patched["version"]) == (campaign["slug"], 2)

    async def test_patch_ending_before_the_start_is_refused(self, client: httpx2.AsyncClient) -> None:
        campaign = await create_campaign(client)
        response = await client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"ends_on": "2020-10-01"})
        assert_problem(response, 422, "ends_on")
        assert (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json() == campaign

    async def test_patch_null_on_required_field_is_refused(self, client: httpx2.AsyncClient) -> None:
        campaign = await create_campaign(client)
        assert_problem(await client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"starts_on": None}), 422)
        assert (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json() == campaign

    async def test_put_replaces_and_clears_omitted_fields(self, client: httpx2.AsyncClient) -> None:
        campaign = await create_campaign(client, description="À effacer", external_id="mip-2020")
        body = {"name": "Nouveau nom", "starts_on": "2021-11-01", "ends_on": "2021-11-30"}
        response = await client.put(f"/api/v1/campaigns/{campaign['id']}", json=body)
        assert response.status_code == 200, response.text
        replaced = response.json()
        assert (replaced["name"], replaced["starts_on"], replaced["description"]) == ("Nouveau nom", "2021-11-01", None)
        assert (replaced["external_id"], replaced["slug"]) == (None, campaign["slug"])

    async def test_identical_write_keeps_the_version(self, client: httpx2.AsyncClient) -> None:
        campaign = await create_campaign(client)
        response = await client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"name": campaign["name"]})
        assert response.json()["version"] == 1


class TestDeleteCampaign:
    async def test_deleted_then_404(self, client: httpx2.AsyncClient) -> None:
        campaign = await create_campaign(client)
        assert (await client.delete(f"/api/v1/campaigns/{campaign['slug']}")).status_code == 204
        assert_problem(await client.get(f"/api/v1/campaigns/{campaign['id']}"), 404)

    async def test_refused_while_events_belong_to_it(self, client: httpx2.AsyncClient) -> None:
        campaign = await create_campaign(client)
        lab = await create_lab(client)
        events = [await create_event(client, lab_id=lab["id"], campaign_id=campaign["id"]) for _ in range(2)]
        body = assert_problem(await client.delete(f"/api/v1/campaigns/{campaign['id']}"), 409)
        assert "2 events" in body["detail"]
        assert (await client.get(f"/api/v1/campaigns/{campaign['id']}")).status_code == 200
        for event in events:
            assert (await client.delete(f"/api/v1/events/{event['id']}")).status_code == 204
        assert (await client.delete(f"/api/v1/campaigns/{campaign['id']}")).status_code == 204


class TestCampaignEvents:
    async def test_lists_only_the_campaigns_events(self, client: httpx2.AsyncClient) -> None:
        campaign = await create_campaign(client, slug="mip-2020")
        other = await create_campaign(client)
        lab = await create_lab(client)
        late = await create_event(
            client,
            lab_id=lab["id"],
            campaign_id=campaign["id"],
            starts_at="2020-11-20T10:00:00+01:00",
            ends_at="2020-11-20T11:00:00+01:00",
            format="formation",
        )
        early = await create_event(client, lab_id=lab["id"], campaign_id=campaign["id"])
        await create_event(client, lab_id=lab["id"], campaign_id=other["id"])
        await create_event(client, lab_id=lab["id"])
        response = await client.get("/api/v1/campaigns/mip-2020/events", params={"include_total": True})
        assert response.status_code == 200, response.text
        assert [i["id"] for i in response.json()["items"]] == [early["id"], late["id"]]
        assert response.json()["total"] == 2
        filtered = await client.get(f"/api/v1/campaigns/{campaign['id']}/events", params={"format": "Formation"})
        assert [i["id"] for i in filtered.json()["items"]] == [late["id"]]

    async def test_unknown_campaign_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/campaigns/nowhere/events"), 404)
