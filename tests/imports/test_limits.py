"""Files that cost little to send and much to read: endless lines and records, oversized or unreadable cells.
Each is refused early with a 422 naming the line (and the column), and nothing is written."""

import time
from collections.abc import AsyncIterator

import httpx2
import pytest

from app.core.config import Settings
from tests.helpers import assert_problem, total
from tests.imports.loading import CSV, JSONL, load

pytestmark = pytest.mark.anyio

HEADER = "external_id;name;kind;region;website\r\n"
GOOD = "org-1;Ville de Rennes;collectivite;53;\r\n"
LIMIT = 64 * 1024


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, max_import_line_chars=LIMIT)


async def nothing_written(client: httpx2.AsyncClient) -> None:
    assert await total(client, "/api/v1/organizations") == 0


async def endless(head: bytes, piece: bytes, size: int) -> AsyncIterator[bytes]:
    yield head
    for _ in range(size // len(piece)):
        yield piece


class TestLineLength:
    async def test_a_body_without_a_line_break_is_refused_early(self, client: httpx2.AsyncClient) -> None:
        sent = 0

        async def body() -> AsyncIterator[bytes]:
            nonlocal sent
            async for chunk in endless((HEADER + GOOD).encode(), b"x" * 65536, 200 * 1024 * 1024):
                sent += len(chunk)
                yield chunk

        started = time.perf_counter()
        response = await client.post("/api/v1/imports/organizations", content=body(), headers={"Content-Type": CSV})
        problem = assert_problem(response, 422)
        assert problem["detail"] == (
            f"Line 3 is longer than {LIMIT} characters: is this a CSV or JSON Lines file, with a line break after "
            "each row?"
        )
        assert problem["line"] == 3
        # The upload is read whole before the import starts, but a line stops it at 4 bytes a character.
        assert sent < 6 * LIMIT
        assert time.perf_counter() - started < 10
        await nothing_written(client)

    async def test_a_long_json_line_is_refused(self, client: httpx2.AsyncClient) -> None:
        line = '{"external_id": "org-1", "name": "' + "x" * LIMIT + '"}\n'
        response = await load(client, "organizations", '{"external_id": "org-0"}\n' + line, JSONL)
        assert assert_problem(response, 422)["line"] == 2
        await nothing_written(client)

    async def test_a_quoted_record_over_many_lines_is_bounded_too(self, client: httpx2.AsyncClient) -> None:
        lines = "\r\n".join(["y" * 1000] * 100)
        body = HEADER + GOOD + f'org-2;Brest;collectivite;53;"{lines}"\r\n'
        problem = assert_problem(await load(client, "organizations", body), 422)
        assert problem["detail"].startswith(f"The record starting on line 3 is longer than {LIMIT} characters")
        assert problem["line"] == 3
        await nothing_written(client)

    async def test_lines_under_the_limit_are_read(self, client: httpx2.AsyncClient) -> None:
        name = "n" * 10_000
        body = HEADER + GOOD + f"org-2;{name};collectivite;53;\r\n"
        report = (await load(client, "organizations", body, atomic="false")).json()
        assert (report["created"], report["rejected"]) == (1, 1)
        assert (report["errors"][0]["line"], report["errors"][0]["column"]) == (3, "name")


class TestCells:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url)

    @pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
    async def test_a_cell_over_the_csv_limit_names_its_line_and_column(
        self, client: httpx2.AsyncClient, quoted: bool
    ) -> None:
        cell = "https://e.org/" + "d" * 128 * 1024
        body = HEADER + GOOD + GOOD.replace("org-1", "org-2") + f"org-3;Brest;collectivite;53;{cell}\r\n"
        if quoted:
            body = body.replace(cell, f'"{cell}"')
        problem = assert_problem(await load(client, "organizations", body), 422)
        assert problem["detail"] == "Line 4, column 'website': a cell longer than 131072 characters."
        assert (problem["line"], problem["column"]) == (4, "website")
        await nothing_written(client)

    async def test_a_carriage_return_inside_a_cell_names_its_line_and_column(self, client: httpx2.AsyncClient) -> None:
        body = HEADER + GOOD + "org-2;Brest\rQuimper;collectivite;53;\r\n"
        problem = assert_problem(await load(client, "organizations", body), 422)
        assert problem["detail"] == (
            "Line 3, column 'name': a carriage return (CR) inside a cell that is not quoted; quote the cell, or "
            "save the file with Windows (CRLF) or Unix (LF) line endings."
        )
        assert (problem["line"], problem["column"]) == (3, "name")
        await nothing_written(client)

    async def test_a_file_with_old_mac_line_endings(self, client: httpx2.AsyncClient) -> None:
        body = (HEADER + GOOD).replace("\r\n", "\r")
        problem = assert_problem(await load(client, "organizations", body), 422)
        assert problem["detail"].startswith("Line 1, cell 5: a carriage return (CR)")
        assert (problem["line"], problem["column"]) == (1, None)
        await nothing_written(client)

    async def test_a_stray_quote_that_joins_two_lines_names_its_line_and_column(
        self, client: httpx2.AsyncClient
    ) -> None:
        body = HEADER + 'org-1;Ville de "Rennes;collectivite;53;\r\norg-2;Brest";collectivite;53;\r\n'
        problem = assert_problem(await load(client, "organizations", body), 422)
        assert problem["detail"].startswith("Line 2, column 'name': a quote inside a cell that does not start with one")
        assert (problem["line"], problem["column"]) == (2, "name")
        await nothing_written(client)
