"""Allocations in the SCDL subventions 2.1.1 CSV layout: columns, values, rows lacking an identifier, and the
HTTP and CLI exports validated by frictionless against the official schema (vendored in tests/data)."""

import csv
import io
import json
from datetime import date
from pathlib import Path

import anyio
import httpx2
import pytest
from frictionless import Resource, Schema
from typer.testing import CliRunner

from app.cli import cli
from app.funding.scdl import COLUMNS, payment_period
from tests.factories import (
    create_allocation,
    create_disbursement,
    create_lab,
    create_organization,
    create_partner,
    create_project,
    create_stream,
)

pytestmark = pytest.mark.anyio

SCDL = "/api/v1/allocations.scdl.csv"
EXPECTED_COLUMNS = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
]


async def scdl_rows(client: httpx2.AsyncClient, **params: str) -> tuple[httpx2.Response, list[dict[str, str]]]:
    response = await client.get(SCDL, params=params)
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    assert reader.fieldnames == EXPECTED_COLUMNS
    return response, list(reader)


async def funder_stream(client: httpx2.AsyncClient) -> dict[str, object]:
    funder = await create_organization(client, name="Direction interministérielle", siret="13002806000015")
    return await create_stream(client, managing_organization_id=funder["id"], name="FTAP")


class TestScdl:
    async def test_columns_are_named_exactly(self, client: httpx2.AsyncClient) -> None:
        assert list(COLUMNS) == EXPECTED_COLUMNS
        response, rows = await scdl_rows(client)
        assert rows == []
        assert response.headers["content-type"].startswith("text/csv")

    async def test_values_of_a_staggered_grant(self, client: httpx2.AsyncClient) -> None:
        stream = await funder_stream(client)
        beneficiary = await create_organization(
            client, name="Association Lab", siret="44306184100047", rna="W751234567"
        )
        allocation = await create_allocation(
            client,
            stream_id=stream["id"],
            organization_id=beneficiary["id"],
            amount_cents=123_450,
            decided_on="2021-02-01",
            reference="DEC-2021-07",
            purpose="Lab territorial",
            subsidy_share="0.8",
            eu_notified=True,
        )
        await create_disbursement(client, allocation["id"], amount_cents=50_000, paid_on="2021-06-30")
        await create_disbursement(client, allocation["id"], amount_cents=50_000, paid_on="2021-03-15")
        response, [row] = await scdl_rows(client)
        assert row == {
            "nomAttribuant": "Direction interministérielle",
            "idAttribuant": "13002806000015",
            "dateConvention": "2021-02-01",
            "referenceDecision": "DEC-2021-07",
            "nomBeneficiaire": "Association Lab",
            "idBeneficiaire": "44306184100047",
            "rnaBeneficiaire": "W751234567",
            "objet": "Lab territorial",
            "montant": "1234.50",
            "nature": "aide en numéraire",
            "conditionsVersement": "échelonné",
            "datesPeriodeVersement": "2021-03-15/2021-06-30",
            "idRAE": "",
            "notificationUE": "oui",
            "pourcentageSubvention": "0.8",
            "dispositifAide": "FTAP",
        }
        assert response.headers["x-incomplete-rows"] == "0"

    async def test_a_single_payment_in_kind(self, client: httpx2.AsyncClient) -> None:
        stream = await funder_stream(client)
        allocation = await create_allocation(
            client, stream_id=stream["id"], amount_cents=5_000_000, nature="in-kind", eu_notified=False
        )
        await create_disbursement(client, allocation["id"], paid_on="2021-03-15")
        _, [row] = await scdl_rows(client)
        assert row["montant"] == "50000.00"
        assert row["nature"] == "aide en nature"
        assert row["conditionsVersement"] == "unique"
        assert row["datesPeriodeVersement"] == "2021-03-15"
        assert row["notificationUE"] == "non"
        assert row["pourcentageSubvention"] == "1"

    async def test_the_beneficiary_is_the_labs_host_else_the_projects_pilot(self, client: httpx2.AsyncClient) -> None:
        stream = await funder_stream(client)
        host = await create_organization(client, name="Région hôte", siret="23350001600040")
        lab = await create_lab(client, name="Lab hébergé", host_organization_id=host["id"])
        await create_allocation(client, stream_id=stream["id"], lab_id=lab["id"], purpose="Par le lab")
        pilot = await create_organization(client, name="Pilote", siret="21350238800019")
        project = await create_project(client)
        await create_partner(client, project["id"], organization_id=pilot["id"], role="pilot")
        await create_allocation(client, stream_id=stream["id"], project_id=project["id"], purpose="Par le projet")
        _, rows = await scdl_rows(client)
        found = {row["objet"]: (row["nomBeneficiaire"], row["idBeneficiaire"]) for row in rows}
        assert found == {"Par le lab": ("Région hôte", "23350001600040"), "Par le projet": ("Pilote", "21350238800019")}

    async def test_a_lab_without_host_is_named_without_identifier(self, client: httpx2.AsyncClient) -> None:
        stream = await funder_stream(client)
        lab = await create_lab(client, name="Lab autonome")
        await create_allocation(client, stream_id=stream["id"], lab_id=lab["id"])
        _, [row] = await scdl_rows(client)
        assert (row["nomBeneficiaire"], row["idBeneficiaire"]) == ("Lab autonome", "")

    async def test_rows_lacking_id_attribuant_are_exported_and_counted(self, client: httpx2.AsyncClient) -> None:
        anonymous_funder = await create_stream(client, name="Fonds sans gestionnaire")
        await create_allocation(client, stream_id=anonymous_funder["id"], decided_on="2021-01-15")
        await create_allocation(client, stream_id=(await funder_stream(client))["id"], decided_on="2021-01-15")
        response, rows = await scdl_rows(client)
        assert sorted(row["idAttribuant"] for row in rows) == ["", "13002806000015"]
        assert response.headers["x-incomplete-rows"] == "1"

    async def test_allocation_filters_apply(self, client: httpx2.AsyncClient) -> None:
        stream = await funder_stream(client)
        await create_allocation(client, stream_id=stream["id"], purpose="Gardé")
        await create_allocation(client, purpose="Écarté")
        _, rows = await scdl_rows(client, stream=str(stream["id"]))
        assert [row["objet"] for row in rows] == ["Gardé"]

    @pytest.mark.parametrize("sort", [None, "relevance"])
    async def test_q_finds_the_grants_in_the_lists_default_order(
        self, client: httpx2.AsyncClient, sort: str | None
    ) -> None:
        """The export is the whole list: `q` filters it, and relevance (the default with `q`) orders a page, not
        the file (it was a 500: the export's statement bound no rank)."""
        stream = await funder_stream(client)
        await create_allocation(client, stream_id=stream["id"], purpose="Équipe écoresponsable")
        await create_allocation(client, stream_id=stream["id"], purpose="Autre", reference="DEC-2020-042")
        params = {"q": "equipe"} | ({} if sort is None else {"sort": sort})
        _, rows = await scdl_rows(client, **params)
        assert [row["objet"] for row in rows] == ["Équipe écoresponsable"]
        _, rows = await scdl_rows(client, q="dec-2020")
        assert [row["referenceDecision"] for row in rows] == ["DEC-2020-042"]


SCHEMA = Path(__file__).parent.parent / "data" / "scdl-subventions-2.1.1.schema.json"


def validate_scdl(path: Path) -> None:
    """`frictionless validate` with the official schema: every row, every column, no error."""
    schema = Schema.from_descriptor(json.loads(SCHEMA.read_text("utf-8")))
    report = Resource(path=path.name, basepath=str(path.parent), schema=schema).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


async def grants_of_every_shape(client: httpx2.AsyncClient) -> None:
    """Staggered, single, not yet paid, in kind, to a lab's host, to a project's pilot; and one only proposed."""
    stream = await funder_stream(client)
    await client.patch(
        f"/api/v1/funding-streams/{stream['id']}",
        json={"ends_on": "2022-12-31"},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    beneficiary = await create_organization(client, name="Association", siret="44306184100047", rna="W751234567")
    host = await create_organization(client, name="Région hôte", siret="23350001600040")
    lab = await create_lab(client, name="Lab hébergé", host_organization_id=host["id"])
    staggered = await create_allocation(
        client, stream_id=stream["id"], organization_id=beneficiary["id"], decided_on="2021-02-01", reference="D-1"
    )
    await create_disbursement(client, staggered["id"], paid_on="2021-06-30")
    await create_disbursement(client, staggered["id"], paid_on="2021-03-15")
    single = await create_allocation(
        client, stream_id=stream["id"], lab_id=lab["id"], decided_on="2021-01-10", nature="in-kind"
    )
    await create_disbursement(client, single["id"], paid_on="2021-04-01")
    await create_allocation(client, stream_id=stream["id"], lab_id=lab["id"], decided_on="2021-05-01")
    await create_allocation(
        client, stream_id=stream["id"], lab_id=lab["id"], decided_on="2021-05-02", status="proposed", purpose="Non"
    )


class TestScdlValidates:
    async def test_the_http_export_validates_against_the_official_schema(
        self, client: httpx2.AsyncClient, tmp_path: Path
    ) -> None:
        await grants_of_every_shape(client)
        response, rows = await scdl_rows(client)
        assert len(rows) == 3, "the proposed allocation is no grant"
        assert "Non" not in {row["objet"] for row in rows}
        periods = sorted(row["datesPeriodeVersement"] for row in rows)
        assert periods == ["2021-03-15/2021-06-30", "2021-04-01", "2021-05-01/2022-12-31"]
        assert {row["dispositifAide"] for row in rows} == {"FTAP"}
        assert response.headers["x-incomplete-rows"] == "0"
        out = tmp_path / "subventions.csv"
        out.write_bytes(response.content)
        validate_scdl(out)

    @pytest.mark.usefixtures("cli_database")
    async def test_the_cli_export_validates_and_equals_the_http_one(
        self, client: httpx2.AsyncClient, tmp_path: Path
    ) -> None:
        await grants_of_every_shape(client)
        out = tmp_path / "subventions.csv"
        result = await anyio.to_thread.run_sync(
            lambda: CliRunner().invoke(cli, ["export", "--resource", "allocations", "--format", "scdl", "-o", str(out)])
        )
        assert result.exit_code == 0, result.output
        validate_scdl(out)
        assert out.read_bytes() == (await client.get(SCDL)).content

    async def test_a_payment_date_is_the_period_an_unpaid_grant_is_due_in(self) -> None:
        assert payment_period([], date(2021, 5, 1), None) == "2021-05-01/2021-05-01"
        assert payment_period([], date(2021, 5, 1), date(2020, 1, 1)) == "2021-05-01/2021-05-01"
        assert payment_period([], None, None) == ""
