"""Allocations in the SCDL subventions 2.1.1 CSV layout: columns, values, and rows lacking an identifier."""

import csv
import io

import httpx2
import pytest

from app.funding.scdl import COLUMNS
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
            "datesPeriodeVersement": "2021-03-15_2021-06-30",
            "idRAE": "",
            "notificationUE": "oui",
            "pourcentageSubvention": "0.8",
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
        await create_allocation(client, stream_id=anonymous_funder["id"])
        await create_allocation(client, stream_id=(await funder_stream(client))["id"])
        response, rows = await scdl_rows(client)
        assert sorted(row["idAttribuant"] for row in rows) == ["", "13002806000015"]
        assert response.headers["x-incomplete-rows"] == "1"

    async def test_allocation_filters_apply(self, client: httpx2.AsyncClient) -> None:
        stream = await funder_stream(client)
        await create_allocation(client, stream_id=stream["id"], purpose="Gardé")
        await create_allocation(client, purpose="Écarté")
        _, rows = await scdl_rows(client, stream=str(stream["id"]))
        assert [row["objet"] for row in rows] == ["Gardé"]
