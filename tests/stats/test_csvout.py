"""The streamed CSV helper on its own: BOM, separators, chunks, formula guard, content negotiation."""

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from starlette.requests import Request

from app.exports import csv as csvout
from app.exports.csv import Separator, csv_chunks, csv_requested

pytestmark = pytest.mark.anyio


async def collect(chunks: AsyncIterator[bytes]) -> list[bytes]:
    return [chunk async for chunk in chunks]


def request(accept: str | None) -> Request:
    headers = [] if accept is None else [(b"accept", accept.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": headers})


async def test_bom_header_and_crlf_rows() -> None:
    body = b"".join(await collect(csv_chunks(["a", "b"], [[1, "é"], [None, date(2020, 11, 1)]])))
    assert body == "\ufeffa,b\r\n1,é\r\n,2020-11-01\r\n".encode()


async def test_semicolons_and_quoting() -> None:
    body = b"".join(await collect(csv_chunks(["nom"], [["Lab; Rennes"], ['dit "le lab"']], Separator.semicolon)))
    assert body.decode("utf-8-sig") == 'nom\r\n"Lab; Rennes"\r\n"dit ""le lab"""\r\n'


async def test_text_that_would_be_a_formula_is_neutralised_but_numbers_are_not() -> None:
    rows = [["=SUM(A1)", "+33", "-x", "@cmd", -5, Decimal("-0.5"), True]]
    body = b"".join(await collect(csv_chunks(list("abcdefg"), rows)))
    assert body.decode("utf-8-sig").splitlines()[1] == "'=SUM(A1),'+33,'-x,'@cmd,-5,-0.5,true"


async def test_rows_are_streamed_in_chunks_from_an_async_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvout, "CHUNK_ROWS", 2)

    async def rows() -> AsyncIterator[list[int]]:
        for n in range(5):
            yield [n]

    chunks = await collect(csv_chunks(["n"], rows()))
    assert chunks == [b"\xef\xbb\xbfn\r\n0\r\n1\r\n", b"2\r\n3\r\n", b"4\r\n"]


@pytest.mark.parametrize(
    ("accept", "output", "expected"),
    [
        (None, None, False),
        ("text/csv", None, True),
        ("text/csv; charset=utf-8", None, True),
        ("application/json, text/csv", None, False),
        ("text/csv, application/json;q=0.9", None, True),
        ("text/csv;q=0", None, False),
        ("*/*", None, False),
        (None, "csv", True),
        ("text/csv", "json", False),
    ],
)
def test_csv_is_chosen_by_switch_or_accept(accept: str | None, output: str | None, expected: bool) -> None:
    assert csv_requested(request(accept), output) is expected
