"""An import sent as a form's file (`multipart/form-data`, part `file`): read like the raw body, same limits."""

from typing import Any

import httpx2
import pytest

from app.core.config import Settings
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

URL = "/api/v1/imports/organizations"
HEADER = "external_id;name;kind;region\r\n"
GOOD = "org-1;Ville de Rennes;collectivite;53\r\n"
JSONL = '{"external_id": "org-1", "name": "Ville de Rennes", "kind": "collectivite", "region": "53"}\n'


async def nothing_written(client: httpx2.AsyncClient) -> None:
    assert await total(client, "/api/v1/organizations") == 0


async def send(client: httpx2.AsyncClient, files: Any, **kwargs: Any) -> httpx2.Response:
    return await client.post(URL, files=files, **kwargs)


async def test_a_csv_file(client: httpx2.AsyncClient) -> None:
    response = await send(client, {"file": ("organisations.csv", (HEADER + GOOD).encode(), "text/csv")})
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1


async def test_an_untyped_part_is_read_by_its_extension(client: httpx2.AsyncClient) -> None:
    response = await send(client, {"file": ("organisations.ndjson", JSONL.encode(), "application/octet-stream")})
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1


async def test_the_part_declares_its_charset(client: httpx2.AsyncClient) -> None:
    body = (HEADER + "org-1;Ville d'Évry;collectivite;11\r\n").encode("windows-1252")
    response = await send(client, {"file": ("orgs.csv", body, "text/csv; charset=windows-1252")})
    assert response.status_code == 200, response.text
    item = (await client.get("/api/v1/organizations")).json()["items"][0]
    assert item["name"] == "Ville d'Évry"


@pytest.mark.parametrize(
    ("part_type", "filename", "detail"),
    [
        ("text/csv; charset=bz2_codec", "orgs.csv", "charset"),
        ("image/png", "orgs.csv", "text/csv"),
        ("application/octet-stream", "orgs.xlsx", "not 'application/octet-stream'"),
        ("application/octet-stream", "orgs", "multipart/form-data"),
    ],
)
async def test_a_part_of_an_unsupported_type_is_415(
    client: httpx2.AsyncClient, part_type: str, filename: str, detail: str
) -> None:
    response = await send(client, {"file": (filename, (HEADER + GOOD).encode(), part_type)})
    assert detail in assert_problem(response, 415)["detail"]
    await nothing_written(client)


async def test_no_part_named_file_is_422(client: httpx2.AsyncClient) -> None:
    response = await send(client, {"upload": ("orgs.csv", (HEADER + GOOD).encode(), "text/csv")})
    assert "'file'" in assert_problem(response, 422)["detail"]
    await nothing_written(client)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param(
            {"files": [("file", ("a.csv", b"x", "text/csv")), ("file", ("b.csv", b"y", "text/csv"))]}, id="two files"
        ),
        pytest.param({"files": {"file": ("a.csv", b"x", "text/csv")}, "data": {"dry_run": "true"}}, id="a field"),
        pytest.param({"data": {"file": HEADER + GOOD}}, id="the file as a text field"),
    ],
)
async def test_anything_but_one_file_is_400(client: httpx2.AsyncClient, kwargs: dict[str, Any]) -> None:
    if "files" not in kwargs:
        # A form without files is sent urlencoded by the client: make it multipart as a browser would.
        kwargs["files"] = {"unused": ("", b"", "text/plain")}
    assert_problem(await client.post(URL, **kwargs), 400)
    await nothing_written(client)


async def test_a_form_without_a_boundary_is_400(client: httpx2.AsyncClient) -> None:
    response = await client.post(URL, content=HEADER + GOOD, headers={"Content-Type": "multipart/form-data"})
    assert_problem(response, 400)
    await nothing_written(client)


async def test_a_form_cut_short_is_400(client: httpx2.AsyncClient) -> None:
    body = f'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n{HEADER}{GOOD}'
    response = await client.post(URL, content=body, headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert "closing boundary" in assert_problem(response, 400)["detail"]
    await nothing_written(client)


async def test_rejected_rows_report_as_with_a_raw_body(client: httpx2.AsyncClient) -> None:
    body = HEADER + GOOD + "org-2;;collectivite;53\r\n"
    problem = assert_problem(await send(client, {"file": ("orgs.csv", body.encode(), "text/csv")}), 422)
    assert [error["line"] for error in problem["errors"]] == [3]
    await nothing_written(client)


class TestLimits:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, max_import_bytes=64 * 1024, max_import_line_chars=1024)

    async def test_a_form_over_the_import_limit_is_413(self, client: httpx2.AsyncClient) -> None:
        rows = "".join(f"org-{n};Ville {n};collectivite;53\r\n" for n in range(3000))
        response = await send(client, {"file": ("orgs.csv", (HEADER + rows).encode(), "text/csv")})
        assert_problem(response, 413)
        await nothing_written(client)

    async def test_a_line_over_the_limit_is_refused(self, client: httpx2.AsyncClient) -> None:
        body = HEADER + "org-1;" + "x" * 5000 + ";collectivite;53\r\n"
        problem = assert_problem(await send(client, {"file": ("orgs.csv", body.encode(), "text/csv")}), 422)
        assert problem["line"] == 2
        await nothing_written(client)
