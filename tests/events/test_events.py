"""Events through HTTP: create, read, list, patch, replace, delete; time zones; every refused input."""

from typing import Any

import httpx2
import pytest

from tests.factories import create_campaign, create_event, create_lab, create_organization, create_project
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

UNKNOWN_ID = "123e4567-e89b-12d3-a456-426614174000"


async def count_events(client: httpx2.AsyncClient) -> int:
    return await total(client, "/api/v1/events")


def event_body(**fields: Any) -> dict[str, Any]:
    """A valid body once a `lab_id` or `organizer_organization_id` is added."""
    return {
        "title": "Webinaire : l'usager au centre",
        "theme_code": "service-usager",
        "format": "webinaire",
        "attendance_mode": "online",
        "online_url": "https://visio.example.org/salle",
        "audience": "agents",
        "starts_at": "2020-11-17T10:00:00+01:00",
        "ends_at": "2020-11-17T11:30:00+01:00",
        **fields,
    }


def at(instant: str) -> dict[str, str]:
    """Start and end at the same instant (a zero-length event is valid)."""
    return {"starts_at": instant, "ends_at": instant}


async def ids(client: httpx2.AsyncClient, path: str, **params: Any) -> list[str]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


class TestCreateEvent:
    async def test_created_with_location_and_defaults(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="53")
        response = await client.post("/api/v1/events", json=event_body(lab_id=lab["id"]))
        assert response.status_code == 201, response.text
        event = response.json()
        assert response.headers["location"].endswith(f"/api/v1/events/{event['id']}")
        assert (event["starts_at"], event["ends_at"]) == ("2020-11-17T09:00:00Z", "2020-11-17T10:30:00Z")
        assert (event["region_code"], event["timezone"], event["status"]) == ("53", "Europe/Paris", "scheduled")
        assert (event["tags"], event["organizer_organization_id"], event["version"]) == ([], None, 1)
        assert "local_start_date" not in event
        assert "search_text" not in event

    async def test_every_field_round_trips(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        organizer = await create_organization(client)
        campaign = await create_campaign(client)
        project = await create_project(client)
        fields = {
            "description": "Synthétique",
            "tags": ["accueil", "numérique"],
            "attendance_mode": "hybrid",
            "audience": "all",
            "status": "moved-online",
            "organizer_organization_id": organizer["id"],
            "lab_id": lab["id"],
            "project_id": project["id"],
            "campaign_id": campaign["id"],
            "region_code": "76",
            "city": "Toulouse",
            "online_url": "https://visio.example.fr/salle",
            "registration_url": "https://inscription.example.fr/e/1",
            "capacity": 40,
            "participants_count": 0,
            "external_id": "EVT-1",
        }
        event = await create_event(client, **fields)
        assert {name: event[name] for name in fields} == fields
        assert (await client.get(f"/api/v1/events/{event['id']}")).json() == event

    async def test_codes_in_any_case_and_accents(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client, theme_code="Service-Usager", format="Conférence")
        assert (event["theme_code"], event["format"]) == ("service-usager", "conference")

    async def test_region_defaults_to_the_organizers_without_lab(self, client: httpx2.AsyncClient) -> None:
        organizer = await create_organization(client, region_code="76")
        event = await create_event(client, organizer_organization_id=organizer["id"])
        assert (event["region_code"], event["lab_id"], event["timezone"]) == ("76", None, "Europe/Paris")

    async def test_the_labs_region_wins_over_the_organizers(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="32")
        organizer = await create_organization(client, region_code="76")
        event = await create_event(client, lab_id=lab["id"], organizer_organization_id=organizer["id"])
        assert event["region_code"] == "32"

    async def test_no_region_at_all_reads_times_in_paris(self, client: httpx2.AsyncClient) -> None:
        organizer = await create_organization(client)
        event = await create_event(
            client, organizer_organization_id=organizer["id"], starts_at="2020-11-17T10:00", ends_at="2020-11-17T12:00"
        )
        assert (event["region_code"], event["timezone"], event["starts_at"]) == (
            None,
            "Europe/Paris",
            "2020-11-17T09:00:00Z",
        )

    async def test_taken_external_id_is_a_conflict(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client, external_id="EVT-1")
        response = await client.post("/api/v1/events", json=event_body(lab_id=event["lab_id"], external_id="EVT-1"))
        assert "external_id" in assert_problem(response, 409)["detail"]
        assert await count_events(client) == 1

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("theme_code", "inconnu"),
            ("format", "podcast"),
            ("campaign_id", UNKNOWN_ID),
            ("lab_id", UNKNOWN_ID),
            ("organizer_organization_id", UNKNOWN_ID),
            ("project_id", UNKNOWN_ID),
            ("project_id", "pas-un-uuid"),
            ("region_code", "99"),
            ("attendance_mode", "remote"),
            ("audience", "everyone"),
            ("status", "done"),
            ("capacity", -1),
            ("participants_count", -5),
            ("participants_count", 1.5),
            ("registration_url", "not a url"),
            ("online_url", "ftp://visio.example.fr"),
            ("timezone", "Europe/Atlantis"),
            ("starts_at", "2021-03-28T02:30:00"),
            ("starts_at", "le 17 novembre"),
            ("ends_at", "2020-11-17T09:59:00+01:00"),
            ("ends_at", "2021-03-28T02:00:00"),
            ("title", ""),
            ("tags", [""]),
            ("tags", "accueil"),
            ("colour", "blue"),
        ],
    )
    async def test_bad_field_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, field: str, value: Any
    ) -> None:
        lab = await create_lab(client, region_code="53")
        response = await client.post("/api/v1/events", json=event_body(**{"lab_id": lab["id"], field: value}))
        assert_problem(response, 422, field)
        assert await count_events(client) == 0

    @pytest.mark.parametrize(
        "field", ["title", "theme_code", "format", "attendance_mode", "audience", "starts_at", "ends_at"]
    )
    async def test_missing_required_field_is_refused(self, client: httpx2.AsyncClient, field: str) -> None:
        lab = await create_lab(client)
        body = {k: v for k, v in event_body(lab_id=lab["id"]).items() if k != field}
        assert_problem(await client.post("/api/v1/events", json=body), 422, field)
        assert await count_events(client) == 0

    async def test_neither_lab_nor_organizer_is_refused(self, client: httpx2.AsyncClient) -> None:
        body = assert_problem(await client.post("/api/v1/events", json=event_body()), 422, "lab_id")
        assert "organizer_organization_id" in body["detail"]
        assert await count_events(client) == 0

    async def test_ends_are_compared_after_localising(self, client: httpx2.AsyncClient) -> None:
        # 10:00 in Cayenne is 13:00Z: an end at 12:00Z is before it although "10:00" < "12:00".
        lab = await create_lab(client, region_code="03")
        body = event_body(lab_id=lab["id"], starts_at="2020-11-17T10:00:00", ends_at="2020-11-17T12:00:00Z")
        assert_problem(await client.post("/api/v1/events", json=body), 422, "ends_at")
        assert await count_events(client) == 0


class TestTimeZones:
    @pytest.mark.parametrize(
        ("local", "utc"),
        [
            ("2021-03-27T10:00:00", "2021-03-27T09:00:00Z"),
            ("2021-03-28T10:00:00", "2021-03-28T08:00:00Z"),
            ("2021-03-28T01:59:00", "2021-03-28T00:59:00Z"),
            ("2021-03-28T03:00:00", "2021-03-28T01:00:00Z"),
            ("2020-10-25T02:30:00", "2020-10-25T00:30:00Z"),
            ("2020-10-25T03:30:00", "2020-10-25T02:30:00Z"),
        ],
    )
    async def test_paris_local_times_across_daylight_saving(
        self, client: httpx2.AsyncClient, local: str, utc: str
    ) -> None:
        event = await create_event(client, **at(local))
        assert (event["starts_at"], event["ends_at"], event["timezone"]) == (utc, utc, "Europe/Paris")

    @pytest.mark.parametrize("field", ["starts_at", "ends_at"])
    async def test_local_time_skipped_by_the_clocks_is_refused(self, client: httpx2.AsyncClient, field: str) -> None:
        lab = await create_lab(client, region_code="53")
        times = {"starts_at": "2021-03-28T01:00:00", "ends_at": "2021-03-28T04:00:00", field: "2021-03-28T02:30:00"}
        body = assert_problem(await client.post("/api/v1/events", json=event_body(lab_id=lab["id"], **times)), 422)
        assert [err["loc"] for err in body["errors"]] == [["body", field]]
        assert "Europe/Paris" in body["detail"]
        assert await count_events(client) == 0

    async def test_a_time_with_an_offset_is_kept_as_given(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client, starts_at="2021-03-28T02:30:00+01:00", ends_at="2021-03-28T05:00:00+02:00")
        assert (event["starts_at"], event["ends_at"]) == ("2021-03-28T01:30:00Z", "2021-03-28T03:00:00Z")

    async def test_guyane_local_time(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="03", city="Cayenne")
        event = await create_event(client, lab_id=lab["id"], starts_at="2020-11-17T10:00", ends_at="2020-11-17T11:30")
        assert (event["starts_at"], event["ends_at"]) == ("2020-11-17T13:00:00Z", "2020-11-17T14:30:00Z")
        assert (event["region_code"], event["timezone"]) == ("03", "America/Cayenne")

    async def test_reunion_local_time_falls_on_the_previous_utc_day(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="04", city="Saint-Denis")
        event = await create_event(client, lab_id=lab["id"], starts_at="2020-11-01T01:00", ends_at="2020-11-01T03:00")
        assert (event["starts_at"], event["timezone"]) == ("2020-10-31T21:00:00Z", "Indian/Reunion")

    async def test_explicit_region_sets_the_zone(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="53")
        event = await create_event(
            client, lab_id=lab["id"], region_code="06", starts_at="2020-11-17T10:00", ends_at="2020-11-17T11:00"
        )
        assert (event["starts_at"], event["timezone"]) == ("2020-11-17T07:00:00Z", "Indian/Mayotte")

    async def test_explicit_timezone_wins_over_the_region(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(
            client, timezone="America/Martinique", starts_at="2020-11-17T10:00", ends_at="2020-11-17T11:00"
        )
        assert (event["region_code"], event["timezone"], event["starts_at"]) == (
            "53",
            "America/Martinique",
            "2020-11-17T14:00:00Z",
        )

    async def test_patching_the_timezone_alone_keeps_the_instants(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client, starts_at="2020-11-17T10:00", ends_at="2020-11-17T11:00")
        response = await client.patch(f"/api/v1/events/{event['id']}", json={"timezone": "Indian/Reunion"})
        assert response.status_code == 200, response.text
        patched = response.json()
        assert (patched["timezone"], patched["version"]) == ("Indian/Reunion", 2)
        assert (patched["starts_at"], patched["ends_at"]) == (event["starts_at"], event["ends_at"])

    async def test_patched_local_times_are_read_in_the_events_zone(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="03")
        event = await create_event(client, lab_id=lab["id"])
        response = await client.patch(
            f"/api/v1/events/{event['id']}", json={"starts_at": "2020-11-18T10:00", "ends_at": "2020-11-18T12:00"}
        )
        assert response.status_code == 200, response.text
        assert (response.json()["starts_at"], response.json()["ends_at"]) == (
            "2020-11-18T13:00:00Z",
            "2020-11-18T15:00:00Z",
        )

    async def test_patch_into_the_gap_is_refused(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client)
        body = {"starts_at": "2021-03-28T02:15", "ends_at": "2021-03-28T04:00"}
        assert_problem(await client.patch(f"/api/v1/events/{event['id']}", json=body), 422, "starts_at")
        assert (await client.get(f"/api/v1/events/{event['id']}")).json() == event


class TestReadEvent:
    async def test_by_id(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client)
        response = await client.get(f"/api/v1/events/{event['id']}")
        assert response.status_code == 200
        assert response.json() == event

    @pytest.mark.parametrize("ident", [UNKNOWN_ID, "not-an-id"])
    async def test_unknown_is_404(self, client: httpx2.AsyncClient, ident: str) -> None:
        assert_problem(await client.get(f"/api/v1/events/{ident}"), 404)


@pytest.mark.lists
class TestListEvents:
    async def test_sorted_by_start_then_title(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        b = await create_event(client, lab_id=lab["id"], title="B", starts_at="2020-11-03T10:00")
        a = await create_event(client, lab_id=lab["id"], title="A", starts_at="2020-11-05T10:00")
        c = await create_event(client, lab_id=lab["id"], title="C", starts_at="2020-11-01T10:00")
        assert await ids(client, "/api/v1/events") == [c["id"], b["id"], a["id"]]
        assert await ids(client, "/api/v1/events", sort="-starts_at") == [a["id"], b["id"], c["id"]]
        assert await ids(client, "/api/v1/events", sort="title") == [a["id"], b["id"], c["id"]]
        assert await ids(client, "/api/v1/events", sort="-created_at") == [c["id"], a["id"], b["id"]]

    async def test_filters_by_reference_and_code(self, client: httpx2.AsyncClient) -> None:
        bretagne = await create_lab(client, region_code="53", slug="lab-bretagne")
        occitanie = await create_lab(client, region_code="76")
        organizer = await create_organization(client, slug="prefecture-76", region_code="76")
        campaign = await create_campaign(client, slug="mip-2020", external_id="MIP2020")
        project = await create_project(client, slug="accueil")
        training = await create_event(
            client,
            lab_id=bretagne["id"],
            format="formation",
            theme_code="innovation-manageriale",
            attendance_mode="in-person",
            audience="citizens",
            status="cancelled",
            campaign_id=campaign["id"],
        )
        held = await create_event(
            client, lab_id=occitanie["id"], organizer_organization_id=organizer["id"], project_id=project["id"]
        )
        assert await ids(client, "/api/v1/events", region="Bretagne") == [training["id"]]
        assert await ids(client, "/api/v1/events", region="76") == [held["id"]]
        assert await ids(client, "/api/v1/events", lab="lab-bretagne") == [training["id"]]
        assert await ids(client, "/api/v1/events", lab=occitanie["id"]) == [held["id"]]
        assert await ids(client, "/api/v1/events", organizer="prefecture-76") == [held["id"]]
        assert await ids(client, "/api/v1/events", project="accueil") == [held["id"]]
        assert await ids(client, "/api/v1/events", campaign="mip-2020") == [training["id"]]
        assert await ids(client, "/api/v1/events", campaign="MIP2020") == [training["id"]]
        assert await ids(client, "/api/v1/events", campaign=campaign["id"]) == [training["id"]]
        assert await ids(client, "/api/v1/events", format="Formation") == [training["id"]]
        assert await ids(client, "/api/v1/events", theme="Innovation-Managériale") == [training["id"]]
        assert await ids(client, "/api/v1/events", theme="Service-Usager") == [held["id"]]
        assert await ids(client, "/api/v1/events", status="cancelled") == [training["id"]]
        assert await ids(client, "/api/v1/events", attendance_mode="online") == [held["id"]]
        assert await ids(client, "/api/v1/events", audience="citizens") == [training["id"]]
        assert await ids(client, "/api/v1/events", lab="nowhere") == []

    async def test_start_range_reads_local_times_and_dates_in_paris(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        late_on_16th = await create_event(client, lab_id=lab["id"], **at("2020-11-16T22:30:00Z"))
        early_on_17th = await create_event(client, lab_id=lab["id"], **at("2020-11-16T23:30:00Z"))
        on_18th = await create_event(client, lab_id=lab["id"], **at("2020-11-18T09:00:00Z"))
        assert await ids(client, "/api/v1/events", starts_after="2020-11-17") == [early_on_17th["id"], on_18th["id"]]
        assert await ids(client, "/api/v1/events", starts_before="2020-11-17T00:30") == [late_on_16th["id"]]
        assert await ids(client, "/api/v1/events", starts_after="2020-11-17T00:30") == [
            early_on_17th["id"],
            on_18th["id"],
        ]
        window = {"starts_after": "2020-11-16T23:45:00+01:00", "starts_before": "2020-11-18T00:00:00+01:00"}
        assert await ids(client, "/api/v1/events", **window) == [early_on_17th["id"]]

    async def test_q_ignores_accents_and_case_and_looks_at_tags_and_city(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        green = await create_event(client, lab_id=lab["id"], title="Atelier écoresponsable")
        tagged = await create_event(client, lab_id=lab["id"], title="Autre", tags=["Numérique responsable"])
        located = await create_event(client, lab_id=lab["id"], title="Ailleurs", city="Saint-Étienne")
        described = await create_event(client, lab_id=lab["id"], title="Décrit", description="Les SERVICES publics")
        assert await ids(client, "/api/v1/events", q="ecoresponsable") == [green["id"]]
        assert await ids(client, "/api/v1/events", q="ÉCORESPONSABLE atelier") == [green["id"]]
        assert await ids(client, "/api/v1/events", q="numerique") == [tagged["id"]]
        assert await ids(client, "/api/v1/events", q="saint-etienne") == [located["id"]]
        assert await ids(client, "/api/v1/events", q="services") == [described["id"]]

    async def test_updated_since(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        await create_event(client, lab_id=lab["id"])
        newer = await create_event(client, lab_id=lab["id"])
        assert await ids(client, "/api/v1/events", updated_since=newer["updated_at"]) == [newer["id"]]

    async def test_pagination_walk_with_filters(self, client: httpx2.AsyncClient) -> None:
        bretagne = await create_lab(client, region_code="53")
        occitanie = await create_lab(client, region_code="76")
        starts = [
            "2020-11-02T10:00",
            "2020-11-03T10:00",
            "2020-11-03T10:00",
            "2020-11-03T10:00",
            "2020-11-05T18:00",
            "2020-11-09T09:00",
            "2020-11-09T09:00",
            "2020-11-12T14:00",
        ]
        expected = []
        for start in starts:
            event = await create_event(client, lab_id=bretagne["id"], **at(start))
            expected.append((event["starts_at"], event["id"]))
        await create_event(client, lab_id=bretagne["id"], **at("2020-10-31T23:59"))
        await create_event(client, lab_id=occitanie["id"], **at("2020-11-04T10:00"))
        expected.sort()

        seen: list[tuple[str, str]] = []
        params: dict[str, Any] = {"region": "53", "starts_after": "2020-11-01", "limit": 3}
        pages = 0
        while True:
            response = await client.get("/api/v1/events", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            seen.extend((item["starts_at"], item["id"]) for item in page["items"])
            pages += 1
            if page["next_cursor"] is None:
                assert "link" not in response.headers
                break
            assert 'rel="next"' in response.headers["link"]
            params["cursor"] = page["next_cursor"]
        assert pages == 3
        assert seen == expected
        assert len({event_id for _, event_id in seen}) == 8

    async def test_a_cursor_of_another_sort_is_refused(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        for _ in range(2):
            await create_event(client, lab_id=lab["id"])
        cursor = (await client.get("/api/v1/events", params={"limit": 1})).json()["next_cursor"]
        assert_problem(await client.get("/api/v1/events", params={"cursor": cursor, "sort": "title"}), 400)

    @pytest.mark.parametrize(
        ("param", "value"),
        [
            ("region", "atlantide"),
            ("status", "done"),
            ("attendance_mode", "remote"),
            ("audience", "everyone"),
            ("starts_after", "demain"),
            ("starts_before", "2021-03-28T02:30"),
            ("sort", "city"),
            ("limit", "501"),
            ("colour", "blue"),
        ],
    )
    async def test_bad_query_is_refused(self, client: httpx2.AsyncClient, param: str, value: str) -> None:
        assert_problem(await client.get("/api/v1/events", params={param: value}), 422, param)


class TestUpdateEvent:
    async def test_patch_changes_only_given_fields_and_bumps_version(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client, city="Rennes", capacity=30)
        response = await client.patch(
            f"/api/v1/events/{event['id']}", json={"participants_count": 27, "city": None, "status": "postponed"}
        )
        assert response.status_code == 200, response.text
        patched = response.json()
        assert (patched["participants_count"], patched["city"], patched["status"]) == (27, None, "postponed")
        assert (patched["capacity"], patched["title"], patched["starts_at"]) == (30, event["title"], event["starts_at"])
        assert patched["version"] == 2
        assert patched["updated_at"] > event["updated_at"]

    async def test_patch_ending_before_the_start_is_refused(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client)
        response = await client.patch(f"/api/v1/events/{event['id']}", json={"ends_at": "2020-11-17T08:00:00Z"})
        assert_problem(response, 422, "ends_at")
        assert (await client.get(f"/api/v1/events/{event['id']}")).json() == event

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("lab_id", None),
            ("theme_code", "inconnu"),
            ("title", None),
            ("capacity", -1),
            ("timezone", "Mars/Olympus"),
            ("campaign_id", UNKNOWN_ID),
            ("colour", "blue"),
        ],
    )
    async def test_bad_patch_is_refused_and_nothing_written(
        self, client: httpx2.AsyncClient, field: str, value: Any
    ) -> None:
        event = await create_event(client)
        assert_problem(await client.patch(f"/api/v1/events/{event['id']}", json={field: value}), 422, field)
        assert (await client.get(f"/api/v1/events/{event['id']}")).json() == event

    async def test_put_replaces_and_defaults_again(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client, city="Rennes", region_code="11", tags=["accueil"], timezone="Europe/Paris")
        guyane = await create_lab(client, region_code="03")
        body = event_body(lab_id=guyane["id"], starts_at="2020-11-20T10:00", ends_at="2020-11-20T11:00")
        response = await client.put(f"/api/v1/events/{event['id']}", json=body)
        assert response.status_code == 200, response.text
        replaced = response.json()
        assert (replaced["city"], replaced["tags"], replaced["region_code"]) == (None, [], "03")
        assert (replaced["timezone"], replaced["starts_at"]) == ("America/Cayenne", "2020-11-20T13:00:00Z")
        assert replaced["version"] == 2

    async def test_identical_write_keeps_the_version(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client)
        response = await client.patch(
            f"/api/v1/events/{event['id']}", json={"title": event["title"], "starts_at": "2020-11-17T10:00"}
        )
        assert response.status_code == 200, response.text
        assert response.json() == event

    async def test_unknown_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.patch(f"/api/v1/events/{UNKNOWN_ID}", json={"title": "X"}), 404)


class TestDeleteEvent:
    async def test_deleted_then_404(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client)
        assert (await client.delete(f"/api/v1/events/{event['id']}")).status_code == 204
        assert_problem(await client.get(f"/api/v1/events/{event['id']}"), 404)
        assert await count_events(client) == 0

    async def test_frees_its_lab_for_deletion(self, client: httpx2.AsyncClient) -> None:
        event = await create_event(client)
        assert_problem(await client.delete(f"/api/v1/labs/{event['lab_id']}"), 409)
        assert (await client.delete(f"/api/v1/events/{event['id']}")).status_code == 204
        assert (await client.delete(f"/api/v1/labs/{event['lab_id']}")).status_code == 204


class TestLabEvents:
    async def test_lists_only_the_labs_events_with_filters(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, slug="lab-bretagne")
        other = await create_lab(client)
        webinar = await create_event(client, lab_id=lab["id"])
        training = await create_event(client, lab_id=lab["id"], format="formation", starts_at="2020-11-17T11:00")
        await create_event(client, lab_id=other["id"])
        assert await ids(client, "/api/v1/labs/lab-bretagne/events") == [webinar["id"], training["id"]]
        assert await ids(client, f"/api/v1/labs/{lab['id']}/events", format="formation") == [training["id"]]
        assert await ids(client, f"/api/v1/labs/{other['id']}/events", format="formation") == []

    async def test_unknown_lab_is_404(self, client: httpx2.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/labs/nowhere/events"), 404)
