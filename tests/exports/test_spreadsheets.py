"""Lists and figures as spreadsheets (`output=xlsx`, `output=ods`, `lab-registry export --format xlsx|ods`),
read back with openpyxl and pandas' ODF reader: typed cells, a frozen header, euros beside cents, local times
beside their zone, drafts never shown to anonymous callers; and CSV in the `excel-fr` dialect."""

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx2
import openpyxl
import pandas as pd
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from app.cli import cli
from app.exports import sheets
from app.exports.sheets import ODS_MEDIA_TYPE, XLSX_MEDIA_TYPE
from app.exports.tables import table_chunks
from tests.factories import create_allocation, create_event, create_lab, create_stream
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio


def xlsx_rows(content: bytes) -> tuple[Any, list[dict[str, Any]]]:
    """The first sheet and its rows as dicts (header → value)."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return sheet, [dict(zip(header, row, strict=True)) for row in rows]


def ods_rows(content: bytes) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = pd.read_excel(io.BytesIO(content), engine="odf").to_dict("records")
    return records


async def allocation_world(client: httpx2.AsyncClient) -> dict[str, Any]:
    stream = await create_stream(client, name="Fonds pour la transformation de l'action publique")
    return await create_allocation(
        client, stream_id=stream["id"], amount_cents=123_450, decided_on="2021-02-01", subsidy_share="0.8"
    )


class TestXlsx:
    async def test_a_list_has_typed_cells_a_frozen_header_and_euros(self, client: httpx2.AsyncClient) -> None:
        allocation = await allocation_world(client)
        response = await client.get("/api/v1/allocations", params={"output": "xlsx"})
        assert response.status_code == 200
        assert response.headers["content-type"] == XLSX_MEDIA_TYPE
        assert 'filename="allocations.xlsx"' in response.headers["content-disposition"]
        sheet, [row] = xlsx_rows(response.content)
        assert sheet.freeze_panes == "A2"
        assert sheet.title == "allocations"
        assert row["id"] == allocation["id"]
        assert (row["amount_cents"], row["amount_euros"]) == (123_450, 1234.5)
        assert row["subsidy_share"] == 0.8
        assert row["eu_notified"] is False
        assert row["decided_on"].date() == date(2021, 2, 1)
        assert isinstance(row["created_at"], datetime)
        assert row["timezone"] == "UTC"

    async def test_datetimes_are_the_rows_local_time_beside_its_zone(self, client: httpx2.AsyncClient) -> None:
        await create_event(
            client,
            starts_at="2021-03-02T14:00:00+01:00",
            ends_at="2021-03-02T16:30:00+01:00",
            timezone="Europe/Paris",
        )
        await create_event(
            client,
            lab_id=(await create_lab(client, region_code="04"))["id"],
            starts_at="2021-03-02T09:00:00+04:00",
            ends_at="2021-03-02T10:00:00+04:00",
            timezone="Indian/Reunion",
        )
        response = await client.get("/api/v1/events", params={"output": "xlsx", "sort": "-starts_at"})
        _, rows = xlsx_rows(response.content)
        shown = [(row["starts_at"].isoformat(), row["ends_at"].isoformat(), row["timezone"]) for row in rows]
        assert shown == [
            ("2021-03-02T14:00:00", "2021-03-02T16:30:00", "Europe/Paris"),
            ("2021-03-02T09:00:00", "2021-03-02T10:00:00", "Indian/Reunion"),
        ]
        assert list(rows[0]).count("timezone") == 1

    async def test_figures_as_a_workbook(self, client: httpx2.AsyncClient) -> None:
        await allocation_world(client)
        response = await client.get("/api/v1/stats/funding", params={"output": "xlsx"})
        assert response.status_code == 200
        _, rows = xlsx_rows(response.content)
        [group] = [row for row in rows if row["committed_cents"]]
        assert (group["committed_cents"], group["committed_euros"], group["count"]) == (123_450, 1234.5, 1)


class TestOds:
    async def test_a_list_read_back_by_pandas_with_typed_values(self, client: httpx2.AsyncClient) -> None:
        await allocation_world(client)
        response = await client.get("/api/v1/allocations", params={"output": "ods"})
        assert response.status_code == 200
        assert response.headers["content-type"] == ODS_MEDIA_TYPE
        assert response.content[30:38] == b"mimetype"
        [row] = ods_rows(response.content)
        assert (row["amount_cents"], row["amount_euros"], row["subsidy_share"]) == (123_450, 1234.5, 0.8)
        assert row["eu_notified"] is False or row["eu_notified"] == False  # noqa: E712 (numpy's bool)
        assert row["decided_on"] == pd.Timestamp("2021-02-01")
        assert isinstance(row["created_at"], pd.Timestamp)

    async def test_event_times_and_figures(self, client: httpx2.AsyncClient) -> None:
        await create_event(client, starts_at="2021-07-02T14:00:00+02:00", ends_at="2021-07-02T15:00:00+02:00")
        [row] = ods_rows((await client.get("/api/v1/events", params={"output": "ods"})).content)
        assert (row["starts_at"], row["timezone"]) == (pd.Timestamp("2021-07-02 14:00"), "Europe/Paris")
        figures = await client.get("/api/v1/stats/events", params={"output": "ods", "group_by": "format"})
        assert figures.status_code == 200
        assert [(group["key"], group["count"]) for group in ods_rows(figures.content)] == [("webinaire", 1)]


@pytest.mark.usefixtures("cli_database")
class TestCommandLine:
    @pytest.mark.parametrize("output", ["xlsx", "ods"])
    async def test_the_file_is_the_http_answer(self, client: httpx2.AsyncClient, tmp_path: Path, output: str) -> None:
        await allocation_world(client)
        await create_event(client)
        for resource in ("allocations", "events"):
            out = tmp_path / f"{resource}.{output}"
            args = ["export", "--resource", resource, "--format", output, "-o", str(out)]
            result = await anyio.to_thread.run_sync(lambda: CliRunner().invoke(cli, args))  # noqa: B023
            assert result.exit_code == 0, result.output
            assert out.read_bytes() == (await client.get(f"/api/v1/{resource}", params={"output": output})).content

    async def test_excel_fr_dialect(self, client: httpx2.AsyncClient, tmp_path: Path) -> None:
        await allocation_world(client)
        out = tmp_path / "allocations.csv"
        args = ["export", "--resource", "allocations", "--dialect", "excel-fr", "-o", str(out)]
        result = await anyio.to_thread.run_sync(lambda: CliRunner().invoke(cli, args))
        assert result.exit_code == 0, result.output
        http = await client.get("/api/v1/allocations", params={"output": "csv", "dialect": "excel-fr"})
        assert out.read_bytes() == http.content


class TestExcelFrench:
    async def test_semicolons_decimal_commas_and_a_bom(self, client: httpx2.AsyncClient) -> None:
        await allocation_world(client)
        response = await client.get("/api/v1/allocations", params={"output": "csv", "dialect": "excel-fr"})
        text = response.content.decode("utf-8")
        assert text.startswith("\ufeffid;")
        [row] = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
        assert (row["subsidy_share"], row["amount_cents"]) == ("0,8", "123450")
        figures = await client.get("/api/v1/stats/overview", params={"output": "csv", "dialect": "excel-fr"})
        assert figures.content.decode("utf-8").startswith("\ufeff")
        assert ";" in figures.text.splitlines()[0]

    async def test_the_standard_dialect_is_unchanged(self, client: httpx2.AsyncClient) -> None:
        await allocation_world(client)
        response = await client.get("/api/v1/allocations", params={"output": "csv"})
        [row] = list(csv.DictReader(io.StringIO(response.content.decode("utf-8").removeprefix("\ufeff"))))
        assert row["subsidy_share"] == "0.8"


class TestRefusals:
    @pytest.mark.parametrize(
        ("path", "params", "field"),
        [
            ("/api/v1/events", {"output": "xls"}, "output"),
            ("/api/v1/allocations", {"output": "csv", "dialect": "excel-de"}, "dialect"),
            ("/api/v1/stats/funding", {"output": "pdf"}, "output"),
            ("/api/v1/stats/overview", {"dialect": "excel"}, "dialect"),
        ],
    )
    async def test_bad_output_values_are_422(
        self, client: httpx2.AsyncClient, path: str, params: dict[str, str], field: str
    ) -> None:
        assert_problem(await client.get(path, params=params), 422, field)


class TestVisibility:
    @pytest.mark.parametrize("output", ["xlsx", "ods"])
    async def test_drafts_never_reach_anonymous_spreadsheets(
        self, app: FastAPI, client: httpx2.AsyncClient, output: str
    ) -> None:
        await create_event(client, title="Publié")
        await create_event(client, title="Brouillon", publication="draft")
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test") as keyless:
            public = await keyless.get("/api/v1/events", params={"output": output})
            refused = await keyless.get("/api/v1/events", params={"output": output, "publication": "any"})
        assert_problem(refused, 403)
        keyed = await client.get("/api/v1/events", params={"output": output, "publication": "any"})

        def titles(response: httpx2.Response) -> set[str]:
            rows = xlsx_rows(response.content)[1] if output == "xlsx" else ods_rows(response.content)
            return {row["title"] for row in rows}

        assert titles(public) == {"Publié"}
        assert titles(keyed) == {"Publié", "Brouillon"}


class TestFullSheets:
    @pytest.mark.parametrize("output", ["xlsx", "ods"])
    async def test_rows_beyond_a_sheet_go_on_in_the_next(self, monkeypatch: pytest.MonkeyPatch, output: str) -> None:
        monkeypatch.setattr(sheets, "MAX_ROWS", 3)

        async def rows() -> AsyncIterator[list[Any]]:
            for n in range(5):
                yield [n, f"ligne {n}"]

        content = b"".join([chunk async for chunk in table_chunks(output, "events", ["n", "label"], rows())])
        if output == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(content))
            found = {sheet.title: [row[0] for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}
        else:
            frames = pd.read_excel(io.BytesIO(content), engine="odf", sheet_name=None)
            found = {title: ["n", *frame["n"].tolist()] for title, frame in frames.items()}
        assert found == {"events": ["n", 0, 1], "events (2)": ["n", 2, 3], "events (3)": ["n", 4]}
