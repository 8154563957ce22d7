"""Every way a file can be wrong: a clear problem or report, and nothing written."""

from collections.abc import AsyncIterator

import httpx2
import pytest

from app.core.config import Settings
from tests.helpers import assert_problem, total
from tests.imports.loading import JSONL, load

pytestmark = pytest.mark.anyio

HEADER = "external_id;name;kind;region\r\n"
GOOD = "org-1;Ville de Rennes;collectivite;53\r\n"


async def nothing_written(client: httpx2.AsyncClient) -> None:
    assert await total(client, "/api/v1/organizations") == 0


async def test_bytes_in_no_supported_encoding(client: httpx2.AsyncClient) -> None:
    # 0x81 is undefined in Windows-1252, and not UTF-8 either.
    response = await load(client, "organizations", (HEADER + "org-1;Ville \x81;collectivite;53\r\n").encode("latin-1"))
    problem = assert_problem(response, 422)
    assert "no supported encoding" in problem["detail"]
    assert "0x81" in problem["detail"]
    await nothing_written(client)


async def test_invalid_utf8_after_utf8_text_is_refused_not_misread(client: httpx2.AsyncClient) -> None:
    body = (HEADER + "org-1;Région Bretagne;collectivite;53\r\n").encode() + b"org-2;Caf\xe9;collectivite;53\r\n"
    assert "UTF-8" in assert_problem(await load(client, "organizations", body), 422)["detail"]
    await nothing_written(client)


async def test_utf16_is_refused_with_advice(client: httpx2.AsyncClient) -> None:
    body = (HEADER + GOOD).encode("utf-16")
    assert "UTF-16" in assert_problem(await load(client, "organizations", body), 422)["detail"]


async def test_ragged_rows_are_reported_by_line(client: httpx2.AsyncClient) -> None:
    body = HEADER + GOOD + "org-2;Ville de Brest;collectivite\r\n" + "org-3;Quimper;collectivite;53;extra\r\n"
    problem = assert_problem(await load(client, "organizations", body), 422)
    assert problem["rejected"] == 2
    assert [(e["line"], e["message"]) for e in problem["errors"]] == [
        (3, "the row has 3 cells where the header has 4"),
        (4, "the row has 5 cells where the header has 4"),
    ]
    await nothing_written(client)


async def test_unknown_columns_list_the_known_ones(client: httpx2.AsyncClient) -> None:
    body = "external_id;name;kind;colour\r\norg-1;Rennes;collectivite;blue\r\n"
    problem = assert_problem(await load(client, "organizations", body), 422)
    assert "colour" in problem["detail"]
    assert {"name", "kind", "siret", "region", "region_code", "external_id"} <= set(problem["known_columns"])
    await nothing_written(client)


async def test_two_columns_for_one_field(client: httpx2.AsyncClient) -> None:
    body = "external_id;name;kind;region;region_code\r\norg-1;Rennes;collectivite;53;53\r\n"
    assert "same field" in assert_problem(await load(client, "organizations", body), 422)["detail"]


async def test_duplicate_external_id_in_one_file(client: httpx2.AsyncClient) -> None:
    body = HEADER + GOOD + "org-2;Brest;collectivite;53\r\n" + "org-1;Rennes bis;collectivite;53\r\n"
    problem = assert_problem(await load(client, "organizations", body), 422)
    assert problem["errors"] == [
        {
            "line": 4,
            "column": "external_id",
            "value": "org-1",
            "message": "external_id 'org-1' appears twice in the file: already on line 2",
        }
    ]
    await nothing_written(client)


async def test_duplicates_are_found_across_batches(client: httpx2.AsyncClient) -> None:
    rows = "".join(f"org-{n};Ville {n};collectivite;53\r\n" for n in range(2100))
    body = HEADER + rows + "org-7;Ville sept;collectivite;53\r\n"
    report = (await load(client, "organizations", body, atomic=False)).json()
    assert (report["created"], report["rejected"]) == (2100, 1)
    assert report["errors"][0]["line"] == 2102
    assert "already on line 9" in report["errors"][0]["message"]


async def test_references_that_do_not_exist(client: httpx2.AsyncClient) -> None:
    body = (
        "external_id;name;region;host\r\nlab-1;Lab Nowhere;Atlantide;\r\nlab-2;Lab Orphan;53;organisation-inconnue\r\n"
    )
    problem = assert_problem(await load(client, "labs", body), 422)
    assert [(e["line"], e["column"], e["value"]) for e in problem["errors"]] == [
        (2, "region", "Atlantide"),
        (3, "host", "organisation-inconnue"),
    ]
    assert "no region 'Atlantide'" in problem["errors"][0]["message"]
    assert await total(client, "/api/v1/labs") == 0


async def test_a_header_alone(client: httpx2.AsyncClient) -> None:
    assert "no rows" in assert_problem(await load(client, "organizations", HEADER), 422)["detail"]


async def test_blank_lines_only_in_json_lines(client: httpx2.AsyncClient) -> None:
    assert "no rows" in assert_problem(await load(client, "organizations", "\n\n", JSONL), 422)["detail"]


async def test_an_empty_body(client: httpx2.AsyncClient) -> None:
    assert "empty" in assert_problem(await load(client, "organizations", b""), 422)["detail"]


async def test_a_json_line_that_is_not_an_object(client: httpx2.AsyncClient) -> None:
    body = '{"external_id": "org-1", "name": "Rennes", "kind": "collectivite"}\n["org-2", "Brest"]\n{"external_id":\n'
    problem = assert_problem(await load(client, "organizations", body, JSONL), 422)
    assert [(e["line"], e["message"][:28]) for e in problem["errors"]] == [
        (2, "a JSON line must be an objec"),
        (3, "not valid JSON: unexpected e"),
    ]
    await nothing_written(client)


async def test_an_unsupported_media_type(client: httpx2.AsyncClient) -> None:
    response = await load(client, "organizations", HEADER + GOOD, "application/vnd.ms-excel")
    assert "text/csv" in assert_problem(response, 415)["detail"]
    await nothing_written(client)


async def test_an_unknown_resource(client: httpx2.AsyncClient) -> None:
    assert "organizations" in assert_problem(await load(client, "regions", HEADER + GOOD), 404)["detail"]


async def test_an_unknown_option(client: httpx2.AsyncClient) -> None:
    assert_problem(await load(client, "organizations", HEADER + GOOD, atomik="false"), 422)
    await nothing_written(client)


async def test_an_unbalanced_quote(client: httpx2.AsyncClient) -> None:
    body = HEADER + 'org-1;"Ville de Rennes;collectivite;53\r\n' + GOOD * 1200
    assert "never closes" in assert_problem(await load(client, "organizations", body), 422)["detail"]
    await nothing_written(client)


async def test_values_the_schema_refuses_name_their_column(client: httpx2.AsyncClient) -> None:
    body = "external_id;name;kind;siret;website\r\norg-1;Rennes;mairie;12345678901234;ftp://x\r\n"
    problem = assert_problem(await load(client, "organizations", body), 422)
    columns = {e["column"]: e["value"] for e in problem["errors"]}
    assert columns == {"kind": "mairie", "siret": "12345678901234", "website": "ftp://x"}
    assert {e["line"] for e in problem["errors"]} == {2}
    assert problem["rejected"] == 1


async def test_no_key_no_import(anonymous: httpx2.AsyncClient) -> None:
    assert_problem(await load(anonymous, "organizations", HEADER + GOOD), 401)
    assert await total(anonymous, "/api/v1/organizations") == 0


class TestSizeLimit:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, max_import_bytes=64 * 1024)

    async def test_a_body_over_the_import_limit_is_413(self, client: httpx2.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield HEADER.encode()
            for n in range(3000):
                yield f"org-{n};Ville {n};collectivite;53\r\n".encode()

        response = await client.post(
            "/api/v1/imports/organizations", content=chunks(), headers={"Content-Type": "text/csv"}
        )
        assert_problem(response, 413)
        await nothing_written(client)
