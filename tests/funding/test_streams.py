"""Funding streams through HTTP: create, read by id and by code in any case, list, patch, replace, delete."""

from typing import Any

import httpx2
import pytest

from tests.factories import create_allocation, create_organization, create_stream
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

URL = "/api/v1/funding-streams"
UNKNOWN_ID = "123e4567-e89b-12d3-a456-426614174000"


async def count_streams(client: httpx2.AsyncClient) -> int:
    return await total(client, URL)


async def codes(client: httpx2.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


class TestCreateStream:
    async def test_created_with_location_and_defaults(self, client: httpx2.AsyncClient) -> None:
        organization = await create_organization(client, name="Direction interministérielle de la transformation")
        body = {
            "code": "FTAP",
            "name": "Fonds pour la transformation de l'action publique",
            "managing_organization_id": organization["id"],
            "envelope_cents": 70_000_000_000,
            "starts_on": "2018-01-01",
            "ends_on": "2022-12-31",
            "external_id": "STREAM-FTAP",
        }
        response = await client.post(URL, json=body)
        assert response.status_code == 201, response.text
        stream = response.json()
        assert {k: stream[k] for k in body} == body
        assert (stream["currency"], stream["description"], stream["version"]) == ("EUR", None, 1)
        assert response.headers["location"].endswith(f"{URL}/{stream['id']}")

    async def test_envelope_is_optional_and_may_be_zero(self, client: httpx2.AsyncClient) -> None:
        without = await client.post(URL, json={"code": "RELANCE", "name": "France Relance"})
        assert without.status_code == 201, without.text
        assert without.json()["envelope_cents"] is None
        zero = await create_stream(client, envelope_cents=0)
        assert zero["envelope_cents"] == 0

    async def test_taken_code_is_a_conflict(self, client: httpx2.AsyncClient) -> None:
        await create_stream(client, code="FTAP")
        response = await client.post(URL, json={"code": "FTAP", "name": "Autre fonds"})
        assert "code" in assert_problem(response, 409)["detail"]
        assert await count_streams(client) == 1

    async def test_taken_external_id_is_a_conflict(self, client: httpx2.AsyncClient) -> None:
        await create_stream(client, external_id="S-1")
        response = await client.post(URL, json={"code": "AUTRE", "name": "Autre fonds", "external_id": "S-1"})
        assert "external_id" in assert_problem(response, 409)["detail"]
        assert await count_streams(client) == 1

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("code", "ftap"),
            ("code", "FT AP"),
            ("code", "FTAP-"),
            ("code", "FTAP--2020"),
            ("code", "FRANCÉ"),
            ("code", "A" * 41),
            ("code", ""),
            ("name", ""),
            ("envelope_cents", -1),
            ("envelope_cents", 12.5),
            ("currency", "USD"),
            ("managing_organization_id", UNKNOWN_ID),
            ("managing_organization_id", "not-a-uuid"),
            ("starts_on", "2020-02-30"),
            ("colour", "blue"),
        ],
    )
    async def test_bad_field_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, field: str, value: Any
    ) -> None:
        body = {"code": "FTAP", "name": "Fonds", field: value}
        assert_problem(await client.post(URL, json=body), 422, field)
        assert await count_streams(client) == 0

    async def test_missing_code_is_refused(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.post(URL, json={"name": "Fonds"}), 422, "code")
        assert await count_streams(client) == 0

    async def test_end_before_start_is_refused(self, client: httpx2.AsyncClient) -> None:
        body = {"code": "FTAP", "name": "Fonds", "starts_on": "2021-01-01", "ends_on": "2020-12-31"}
        assert_problem(await client.post(URL, json=body), 422, "ends_on")
        assert await count_streams(client) == 0

    async def test_end_on_the_start_day_is_accepted(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client, starts_on="2021-01-01", ends_on="2021-01-01")
        assert stream["ends_on"] == "2021-01-01"


class TestReadStream:
    async def test_by_id_and_by_code_in_any_case(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client, code="FTAP")
        for ident in (stream["id"], "FTAP", "ftap", "Ftap"):
            response = await client.get(f"{URL}/{ident}")
            assert response.status_code == 200, (ident, response.text)
            assert response.json() == stream

    async def test_code_with_separators_in_any_case(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client, code="FRANCE_RELANCE-2021")
        response = await client.get(f"{URL}/france_relance-2021")
        assert response.status_code == 200, response.text
        assert response.json()["id"] == stream["id"]

    async def test_unknown_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get(f"{URL}/NOPE"), 404)
        assert_problem(await client.get(f"{URL}/{UNKNOWN_ID}"), 404)


@pytest.mark.lists
class TestListStreams:
    async def test_sorted_by_code_by_default_and_both_ways(self, client: httpx2.AsyncClient) -> None:
        for code in ("RELANCE", "FTAP", "MIXTE"):
            await create_stream(client, code=code)
        assert await codes(client) == ["FTAP", "MIXTE", "RELANCE"]
        assert await codes(client, sort="-code") == ["RELANCE", "MIXTE", "FTAP"]

    async def test_sorted_by_name(self, client: httpx2.AsyncClient) -> None:
        await create_stream(client, code="B", name="Zéro")
        await create_stream(client, code="A", name="Alpha")
        assert await codes(client, sort="name") == ["A", "B"]
        assert await codes(client, sort="-name") == ["B", "A"]

    async def test_q_ignores_accents_and_case(self, client: httpx2.AsyncClient) -> None:
        await create_stream(client, code="FTAP", name="Fonds pour la transformation de l'action publique")
        await create_stream(client, code="RELANCE", name="France Relance", description="Plan de relance économique")
        assert await codes(client, q="ECONOMIQUE") == ["RELANCE"]
        assert await codes(client, q="transformation publique") == ["FTAP"]
        assert await codes(client, q="ftap") == ["FTAP"]

    async def test_updated_since(self, client: httpx2.AsyncClient) -> None:
        await create_stream(client, code="OLD")
        newer = await create_stream(client, code="NEW")
        assert await codes(client, updated_since=newer["updated_at"]) == ["NEW"]

    async def test_unknown_sort_is_refused(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get(URL, params={"sort": "envelope_cents"}), 422, "sort")

    async def test_pagination_walk(self, client: httpx2.AsyncClient) -> None:
        for n in range(5):
            await create_stream(client, code=f"S{n}")
        seen: list[str] = []
        params: dict[str, Any] = {"limit": 2}
        while True:
            response = await client.get(URL, params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            seen += [item["code"] for item in page["items"]]
            if page["next_cursor"] is None:
                assert "link" not in response.headers
                break
            assert 'rel="next"' in response.headers["link"]
            params["cursor"] = page["next_cursor"]
        assert seen == ["S0", "S1", "S2", "S3", "S4"]


class TestUpdateStream:
    async def test_patch_changes_only_given_fields_and_bumps_version(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client, code="FTAP", description="Un fonds")
        response = await client.patch(f"{URL}/ftap", json={"envelope_cents": 5, "description": None})
        assert response.status_code == 200, response.text
        patched = response.json()
        assert (patched["envelope_cents"], patched["description"], patched["name"]) == (5, None, stream["name"])
        assert patched["version"] == 2
        assert patched["updated_at"] > stream["updated_at"]

    async def test_patch_code_to_a_taken_one_is_a_conflict(self, client: httpx2.AsyncClient) -> None:
        await create_stream(client, code="FTAP")
        other = await create_stream(client, code="RELANCE")
        assert_problem(await client.patch(f"{URL}/{other['id']}", json={"code": "FTAP"}), 409)
        assert (await client.get(f"{URL}/{other['id']}")).json() == other

    async def test_patch_end_before_stored_start_is_refused(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client, starts_on="2021-01-01")
        assert_problem(await client.patch(f"{URL}/{stream['id']}", json={"ends_on": "2020-01-01"}), 422, "ends_on")
        assert (await client.get(f"{URL}/{stream['id']}")).json() == stream

    @pytest.mark.parametrize(
        ("field", "value"), [("code", None), ("code", "ftap"), ("currency", "USD"), ("envelope_cents", -1)]
    )
    async def test_patch_bad_field_is_refused(self, client: httpx2.AsyncClient, field: str, value: Any) -> None:
        stream = await create_stream(client)
        assert_problem(await client.patch(f"{URL}/{stream['id']}", json={field: value}), 422, field)
        assert (await client.get(f"{URL}/{stream['id']}")).json() == stream

    async def test_put_replaces_and_clears_omitted_fields(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client, code="FTAP", description="Un fonds", starts_on="2020-01-01")
        response = await client.put(f"{URL}/FTAP", json={"code": "FTAP-2", "name": "Nouveau nom"})
        assert response.status_code == 200, response.text
        replaced = response.json()
        assert (replaced["code"], replaced["name"]) == ("FTAP-2", "Nouveau nom")
        assert (replaced["description"], replaced["starts_on"], replaced["envelope_cents"]) == (None, None, None)
        assert replaced["id"] == stream["id"]
        assert (await client.get(f"{URL}/ftap-2")).status_code == 200
        assert_problem(await client.get(f"{URL}/FTAP"), 404)

    async def test_identical_write_keeps_the_version(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client)
        response = await client.patch(f"{URL}/{stream['id']}", json={"name": stream["name"]})
        assert response.json()["version"] == 1


class TestDeleteStream:
    async def test_deleted_then_404(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client, code="FTAP")
        assert (await client.delete(f"{URL}/ftap")).status_code == 204
        assert_problem(await client.get(f"{URL}/{stream['id']}"), 404)

    async def test_refused_while_allocations_use_it(self, client: httpx2.AsyncClient) -> None:
        stream = await create_stream(client)
        for _ in range(2):
            await create_allocation(client, stream_id=stream["id"])
        body = assert_problem(await client.delete(f"{URL}/{stream['id']}"), 409)
        assert "2 allocations" in body["detail"]
        assert (await client.get(f"{URL}/{stream['id']}")).json() == stream
        assert await total(client, "/api/v1/allocations") == 2
