"""/stats/events: every grouping on a hand-built dataset, local months and ISO weeks, filters, CSV."""

from datetime import date, timedelta
from typing import Any

import httpx2
import pytest

from app.events.schemas import EventFilters
from app.stats.schemas import PAGING, EventStatsParams
from tests.conftest import BuiltOnce
from tests.factories import create_campaign, create_event, create_lab, create_organization
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio

STATS = "/api/v1/stats/events"

Row = tuple[str | None, str, int, int]


async def stats(client: httpx2.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(STATS, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


async def list_total(client: httpx2.AsyncClient, path: str, params: dict[str, str]) -> int:
    response = await client.get(path, params={**params, "include_total": True, "limit": 1})
    assert response.status_code == 200, response.text
    found: int = response.json()["total"]
    return found


def rows(body: dict[str, Any]) -> list[Row]:
    return [(g["key"], g["label"], g["count"], g["participants"]) for g in body["groups"]]


@pytest.fixture
async def dataset(client: httpx2.AsyncClient, built_once: BuiltOnce) -> dict[str, Any]:
    """Built through the API once per run (per worker), put back as rows for each later test."""
    return await built_once(lambda: _dataset(client))


async def _dataset(client: httpx2.AsyncClient) -> dict[str, Any]:
    """Seven events whose every grouping is known (numbers are the event's position in the comments)."""
    lab_a = await create_lab(client, name="Lab A", slug="lab-a", region_code="53")
    lab_b = await create_lab(client, name="Lab B", slug="lab-b", region_code="04")
    collectivite = await create_organization(client, name="Région Occitanie", kind="collectivite", region_code="76")
    association = await create_organization(client, name="Association", kind="association", region_code="11")
    ess = await create_organization(client, name="Coopérative", kind="ess")
    # The campaign began in October: event 5 is on 20 October.
    campaign = await create_campaign(client, name="Mois de l'innovation", slug="mip", starts_on="2020-10-01")

    def local(day: str, hour: str = "10:00") -> dict[str, str]:
        return {"starts_at": f"{day}T{hour}:00", "ends_at": f"{day}T{hour}:00"}

    # 1: lab A's training, in the campaign.
    await create_event(
        client,
        lab_id=lab_a["id"],
        format="formation",
        attendance_mode="in-person",
        audience="agents",
        campaign_id=campaign["id"],
        participants_count=10,
        **local("2020-11-03"),
    )
    # 2: lab A's webinar for everyone, in the campaign.
    await create_event(
        client,
        lab_id=lab_a["id"],
        format="webinaire",
        attendance_mode="online",
        audience="all",
        campaign_id=campaign["id"],
        participants_count=30,
        **local("2020-11-04"),
    )
    # 3: lab A's training, cancelled, in the campaign, no participants count.
    await create_event(
        client,
        lab_id=lab_a["id"],
        format="formation",
        attendance_mode="online",
        audience="agents",
        status="cancelled",
        campaign_id=campaign["id"],
        **local("2020-11-05"),
    )
    # 4: lab B's training in La Réunion, outside the campaign.
    await create_event(
        client,
        lab_id=lab_b["id"],
        theme_code="territorial",
        format="formation",
        attendance_mode="hybrid",
        audience="agents",
        participants_count=8,
        **local("2020-11-10"),
    )
    # 5: a collectivité's workshop in Occitanie (its region), in the campaign.
    await create_event(
        client,
        organizer_organization_id=collectivite["id"],
        theme_code="innovation-manageriale",
        format="atelier",
        attendance_mode="in-person",
        audience="citizens",
        campaign_id=campaign["id"],
        participants_count=20,
        **local("2020-10-20"),
    )
    # 6: an association's conference with lab A (the organizer's kind wins; the lab's region is the default).
    await create_event(
        client,
        organizer_organization_id=association["id"],
        lab_id=lab_a["id"],
        theme_code="design",
        format="conference",
        attendance_mode="hybrid",
        audience="all",
        participants_count=5,
        **local("2020-12-01"),
    )
    # 7: an ESS actor's webinar with no region at all.
    await create_event(
        client,
        organizer_organization_id=ess["id"],
        theme_code="territorial",
        format="webinaire",
        attendance_mode="online",
        audience="citizens",
        participants_count=0,
        **local("2021-01-15"),
    )
    return {"lab_a": lab_a, "lab_b": lab_b, "campaign": campaign, "collectivite": collectivite}


class TestGroupings:
    async def test_by_theme_is_the_default(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        body = await stats(client)
        assert body["group_by"] == "theme"
        assert (body["total"], body["participants"], body["training_sessions"], body["cancelled"]) == (7, 73, 2, 1)
        assert rows(body) == [
            ("service-usager", "Service à l'usager", 3, 40),
            ("territorial", "Innovation territoriale", 2, 8),
            ("design", "Design", 1, 5),
            ("innovation-manageriale", "Innovation managériale", 1, 20),
        ]
        first = body["groups"][0]
        assert (first["training_sessions"], first["cancelled"]) == (1, 1)

    @pytest.mark.parametrize(
        ("group_by", "expected"),
        [
            (
                "format",
                [
                    ("formation", "Formation", 3, 18),
                    ("webinaire", "Webinaire", 2, 30),
                    ("atelier", "Atelier", 1, 20),
                    ("conference", "Conférence", 1, 5),
                ],
            ),
            (
                "region",
                [
                    ("53", "Bretagne", 4, 45),
                    ("04", "La Réunion", 1, 8),
                    ("76", "Occitanie", 1, 20),
                    (None, "Région non renseignée", 1, 0),
                ],
            ),
            (
                "organizer_kind",
                [
                    ("laboratoire", "Laboratoire d'innovation territoriale", 4, 48),
                    ("association", "Association", 1, 5),
                    ("collectivite", "Collectivité territoriale", 1, 20),
                    ("ess", "Acteur de l'économie sociale et solidaire", 1, 0),
                ],
            ),
            (
                "attendance_mode",
                [("online", "En ligne", 3, 30), ("hybrid", "Hybride", 2, 13), ("in-person", "En présentiel", 2, 30)],
            ),
            (
                "audience",
                [
                    ("agents", "Agents publics", 3, 18),
                    ("all", "Tout public", 2, 35),
                    ("citizens", "Usagers et citoyens", 2, 20),
                ],
            ),
            ("lab", [("lab-a", "Lab A", 4, 45), (None, "Sans laboratoire", 2, 20), ("lab-b", "Lab B", 1, 8)]),
            ("campaign", [("mip", "Mois de l'innovation", 4, 60), (None, "Hors campagne", 3, 13)]),
            (
                "month",
                [
                    ("2020-11", "novembre 2020", 4, 48),
                    ("2020-10", "octobre 2020", 1, 20),
                    ("2020-12", "décembre 2020", 1, 5),
                    ("2021-01", "janvier 2021", 1, 0),
                ],
            ),
            (
                "week",
                [
                    ("2020-W45", "semaine 45 (2020)", 3, 40),
                    ("2020-W43", "semaine 43 (2020)", 1, 20),
                    ("2020-W46", "semaine 46 (2020)", 1, 8),
                    ("2020-W49", "semaine 49 (2020)", 1, 5),
                    ("2021-W02", "semaine 2 (2021)", 1, 0),
                ],
            ),
        ],
    )
    async def test_every_grouping(
        self, client: httpx2.AsyncClient, dataset: dict[str, Any], group_by: str, expected: list[Row]
    ) -> None:
        body = await stats(client, group_by=group_by)
        assert body["group_by"] == group_by
        assert body["total"] == 7
        assert rows(body) == expected
        assert sum(g["count"] for g in body["groups"]) == 7

    async def test_training_sessions_leave_out_cancelled_ones(
        self, client: httpx2.AsyncClient, dataset: dict[str, Any]
    ) -> None:
        body = await stats(client, group_by="lab")
        by_key = {g["key"]: (g["count"], g["training_sessions"], g["cancelled"]) for g in body["groups"]}
        assert by_key == {"lab-a": (4, 1, 1), "lab-b": (1, 1, 0), None: (2, 0, 0)}

    async def test_nothing_matches(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        body = await stats(client, theme="ecoresponsable")
        assert body == {
            "total": 0,
            "participants": 0,
            "training_sessions": 0,
            "cancelled": 0,
            "group_by": "theme",
            "groups": [],
        }

    async def test_empty_database(self, client: httpx2.AsyncClient) -> None:
        assert (await stats(client, group_by="week"))["groups"] == []


class TestFilters:
    def test_every_filter_of_the_list_is_taken(self) -> None:
        assert set(EventFilters.model_fields) - PAGING <= set(EventStatsParams.model_fields)

    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"campaign": "mip"},
            {"campaign": "mip", "theme": "Service-Usager"},
            {"region": "Bretagne"},
            {"lab": "lab-a"},
            {"theme": "territorial"},
            {"format": "Formation"},
            {"status": "cancelled"},
            {"status": "scheduled"},
            {"attendance_mode": "online"},
            {"audience": "agents"},
            {"starts_after": "2020-11-01", "starts_before": "2020-12-01"},
            {"q": "webinaire"},
        ],
    )
    async def test_total_is_the_list_total(
        self, client: httpx2.AsyncClient, dataset: dict[str, Any], params: dict[str, str]
    ) -> None:
        expected = await list_total(client, "/api/v1/events", params)
        for group_by in ("theme", "region", "week"):
            body = await stats(client, group_by=group_by, **params)
            assert body["total"] == expected
            assert sum(g["count"] for g in body["groups"]) == expected

    async def test_organizer_filter(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        body = await stats(client, organizer=dataset["collectivite"]["id"], group_by="organizer_kind")
        assert rows(body) == [("collectivite", "Collectivité territoriale", 1, 20)]

    async def test_campaign_by_theme(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        body = await stats(client, campaign=dataset["campaign"]["id"])
        assert rows(body) == [
            ("service-usager", "Service à l'usager", 3, 40),
            ("innovation-manageriale", "Innovation managériale", 1, 20),
        ]

    @pytest.mark.parametrize(
        ("param", "value"),
        [
            ("group_by", "colour"),
            ("limit", "10"),
            ("sort", "title"),
            ("cursor", "abc"),
            ("region", "Atlantide"),
            ("status", "done"),
            ("starts_after", "demain"),
            ("output", "xml"),
            ("separator", "tab"),
            ("colour", "blue"),
        ],
    )
    async def test_bad_parameter_is_refused(self, client: httpx2.AsyncClient, param: str, value: str) -> None:
        assert_problem(await client.get(STATS, params={param: value}), 422, param)


def at(day: date | str, hour: str) -> dict[str, str]:
    return {"starts_at": f"{day}T{hour}", "ends_at": f"{day}T{hour}"}


class TestLocalTime:
    async def test_months_are_those_of_the_local_start_day(self, client: httpx2.AsyncClient) -> None:
        paris = await create_lab(client, region_code="53")
        reunion = await create_lab(client, region_code="04")
        guyane = await create_lab(client, region_code="03")
        # 23:30 on 31 October in Paris: October (and still October in UTC).
        await create_event(client, lab_id=paris["id"], **at("2020-10-31", "23:30:00"))
        # 00:30 on 1 November in Paris is 23:30 on 31 October in UTC: November.
        await create_event(client, lab_id=paris["id"], **at("2020-11-01", "00:30:00+01:00"))
        # 01:00 on 1 November in La Réunion is 21:00 on 31 October in UTC: November.
        await create_event(client, lab_id=reunion["id"], **at("2020-11-01", "01:00:00"))
        # 22:00 on 31 October in Cayenne is 01:00 on 1 November in UTC: October.
        await create_event(client, lab_id=guyane["id"], **at("2020-10-31", "22:00:00"))

        body = await stats(client, group_by="month")

        assert [(g["key"], g["label"], g["count"]) for g in body["groups"]] == [
            ("2020-10", "octobre 2020", 2),
            ("2020-11", "novembre 2020", 2),
        ]

    async def test_weeks_are_iso_weeks_of_the_local_start_day(self, client: httpx2.AsyncClient) -> None:
        paris = await create_lab(client, region_code="53")
        reunion = await create_lab(client, region_code="04")
        # Monday 00:30 in Paris is Sunday 23:30 in UTC: the Monday's week.
        await create_event(client, lab_id=paris["id"], **at("2020-11-16", "00:30:00"))
        # Sunday 23:30 in Paris: the week ending that Sunday.
        await create_event(client, lab_id=paris["id"], **at("2020-11-15", "23:30:00"))
        # Monday 02:00 in La Réunion is Sunday 22:00 in UTC: the Monday's week.
        await create_event(client, lab_id=reunion["id"], **at("2020-11-23", "02:00:00"))

        body = await stats(client, group_by="week")

        assert [(g["key"], g["label"], g["count"]) for g in body["groups"]] == [
            ("2020-W46", "semaine 46 (2020)", 1),
            ("2020-W47", "semaine 47 (2020)", 1),
            ("2020-W48", "semaine 48 (2020)", 1),
        ]

    async def test_iso_years_at_the_turn_of_the_year(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="53")
        days = [date(2015, 12, 31) + timedelta(days=n) for n in range(0, 4)]
        days += [date(2017, 1, 1), date(2018, 12, 30), date(2018, 12, 31), date(2019, 12, 29), date(2019, 12, 30)]
        days += [date(2020, 12, 27), date(2020, 12, 28), date(2021, 1, 3), date(2021, 1, 4), date(2027, 1, 1)]
        for day in days:
            await create_event(client, lab_id=lab["id"], **at(day, "12:00:00"))

        body = await stats(client, group_by="week")

        expected: dict[str, int] = {}
        for day in days:
            year, week, _ = day.isocalendar()
            expected[f"{year}-W{week:02d}"] = expected.get(f"{year}-W{week:02d}", 0) + 1
        assert {g["key"]: g["count"] for g in body["groups"]} == expected
        assert "2020-W53" in expected
        assert "2015-W53" in expected

    async def test_a_time_zone_change_moves_the_event_to_its_new_local_day(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client, region_code="53")
        event = await create_event(client, lab_id=lab["id"], **at("2020-10-31", "23:30:00"))
        response = await client.patch(f"/api/v1/events/{event['id']}", json={"timezone": "Indian/Reunion"})
        assert response.status_code == 200, response.text

        body = await stats(client, group_by="month")

        assert [g["key"] for g in body["groups"]] == ["2020-11"]


class TestCsv:
    async def test_csv_with_the_output_switch(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        response = await client.get(STATS, params={"group_by": "region", "output": "csv"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv; charset=utf-8")
        assert 'filename="stats-events-by-region.csv"' in response.headers["content-disposition"]
        assert response.content.startswith(b"\xef\xbb\xbf")
        assert response.content.decode("utf-8-sig").split("\r\n") == [
            "key,label,count,participants,training_sessions,cancelled",
            "53,Bretagne,4,45,1,1",
            "04,La Réunion,1,8,1,0",
            "76,Occitanie,1,20,0,0",
            ",Région non renseignée,1,0,0,0",
            "",
        ]

    async def test_semicolons_on_request(self, client: httpx2.AsyncClient, dataset: dict[str, Any]) -> None:
        response = await client.get(
            STATS, params={"campaign": "mip", "separator": "semicolon"}, headers={"Accept": "text/csv"}
        )
        assert response.status_code == 200, response.text
        lines = response.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "key;label;count;participants;training_sessions;cancelled"
        assert lines[1] == "service-usager;Service à l'usager;3;40;1;1"

    async def test_json_preferred_over_csv_stays_json(
        self, client: httpx2.AsyncClient, dataset: dict[str, Any]
    ) -> None:
        for accept in ("application/json, text/csv;q=0.5", "*/*", "text/csv;q=0"):
            response = await client.get(STATS, headers={"Accept": accept})
            assert response.headers["content-type"] == "application/json", accept
        response = await client.get(STATS, params={"output": "json"}, headers={"Accept": "text/csv"})
        assert response.headers["content-type"] == "application/json"

    async def test_csv_of_nothing_is_a_header(self, client: httpx2.AsyncClient) -> None:
        response = await client.get(STATS, params={"output": "csv"})
        assert response.content.decode("utf-8-sig") == "key,label,count,participants,training_sessions,cancelled\r\n"
