"""The charset a body declares: text encodings only, by name or usual alias; any other codec is 415."""

import bz2

import httpx2
import pytest

from tests.helpers import assert_problem, total
from tests.imports.loading import load

pytestmark = pytest.mark.anyio

HEADER = "external_id;name;kind;region\r\n"
ROWS = "org-1;Préfecture d'Île-de-France;collectivite;11\r\norg-2;Mairie de Brest;collectivite;53\r\n"


# A small bz2 body that decompresses to megabytes of zeros, the codecs that are no text encodings, and text
# encodings this service does not read.
REFUSED = {
    "bz2_codec": bz2.compress(b"\0" * 5_000_000),
    "zlib_codec": b"x\x9c\x03\x00\x00\x00\x00\x01",
    "base64_codec": b"ZXh0ZXJuYWxfaWQ=",
    "hex_codec": b"65787465726e616c5f6964",
    "rot13": HEADER.encode(),
    "punycode": HEADER.encode(),
    "utf-16": (HEADER + ROWS).encode("utf-16"),
    "utf-7": (HEADER + ROWS).encode("utf-7"),
    "klingon": HEADER.encode(),
}


@pytest.mark.parametrize(("charset", "body"), REFUSED.items(), ids=REFUSED)
async def test_a_charset_that_is_no_accepted_text_encoding_is_415(
    client: httpx2.AsyncClient, charset: str, body: bytes
) -> None:
    response = await load(client, "organizations", body, f"text/csv; charset={charset}", dry_run="true")
    problem = assert_problem(response, 415)
    assert charset in problem["detail"]
    assert "utf-8, utf-8-sig, windows-1252, iso-8859-1, iso-8859-15, us-ascii" in problem["detail"]
    assert problem["accepted_charsets"] == [
        "utf-8",
        "utf-8-sig",
        "windows-1252",
        "iso-8859-1",
        "iso-8859-15",
        "us-ascii",
    ]
    assert await total(client, "/api/v1/organizations") == 0


async def test_json_lines_with_another_codec_is_415_too(client: httpx2.AsyncClient) -> None:
    response = await load(client, "organizations", b"e30K", "application/x-ndjson; charset=base64_codec")
    assert_problem(response, 415)


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [
        ("utf-8", "utf-8"),
        ("UTF8", "utf-8"),
        ('"utf-8"', "utf-8"),
        ("utf-8", "utf-8-sig"),
        ("utf-8-sig", "utf-8-sig"),
        ("Windows-1252", "cp1252"),
        ("cp1252", "cp1252"),
        ("ISO-8859-1", "latin-1"),
        ("latin-1", "latin-1"),
        ("latin1", "latin-1"),
        ("iso_8859-15", "iso8859-15"),
        ("Latin-9", "iso8859-15"),
    ],
)
async def test_text_encodings_are_read_under_their_usual_names(
    client: httpx2.AsyncClient, charset: str, encoding: str
) -> None:
    body = (HEADER + ROWS).encode(encoding)
    response = await load(client, "organizations", body, f"text/csv; charset={charset}")
    assert response.status_code == 200, response.text
    names = {item["name"] for item in (await client.get("/api/v1/organizations")).json()["items"]}
    assert names == {"Préfecture d'Île-de-France", "Mairie de Brest"}


async def test_us_ascii_refuses_a_byte_beyond_ascii(client: httpx2.AsyncClient) -> None:
    ascii_body = (HEADER + "org-1;Mairie de Brest;collectivite;53\r\n").encode()
    assert (await load(client, "organizations", ascii_body, "text/csv; charset=US-ASCII")).status_code == 200
    response = await load(client, "organizations", (HEADER + ROWS).encode("cp1252"), "text/csv; charset=us-ascii")
    assert "0xe9" in assert_problem(response, 422)["detail"]
