"""`lab-registry serve` caps the request line and headers (MAX_HEADER_BYTES, 32 KiB by default): beyond, 431
problem+json and the connection closed before the rest is read; bodies are not counted, and each request on a
kept-alive connection has its own allowance."""

import asyncio
from collections.abc import Iterator

import httpx2
import orjson
import pytest

from tests.helpers import PROBLEM_JSON
from tests.servers import Server, serve

pytestmark = pytest.mark.anyio

DEFAULT_LIMIT = 32_768


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[str]:
    with serve(database_url) as base_url:
        yield base_url


def assert_431(response: httpx2.Response) -> None:
    assert response.status_code == 431, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["connection"] == "close"
    body = response.json()
    assert body["type"] == "urn:lab-registry:problem:request-header-fields-too-large"
    assert body["status"] == 431
    assert str(DEFAULT_LIMIT) in body["detail"]


async def test_headers_within_the_limit_pass(server: str) -> None:
    async with httpx2.AsyncClient(base_url=server) as http:
        response = await http.get("/health", headers={"X-Padding": "a" * (DEFAULT_LIMIT // 2)})
    assert response.status_code == 200, response.text


async def test_one_header_over_the_limit_is_431(server: str) -> None:
    async with httpx2.AsyncClient(base_url=server) as http:
        assert_431(await http.get("/health", headers={"X-Padding": "a" * (2 * DEFAULT_LIMIT)}))


async def test_many_headers_over_the_limit_are_431(server: str) -> None:
    headers = {f"X-Padding-{n}": "a" * 1000 for n in range(40)}
    async with httpx2.AsyncClient(base_url=server) as http:
        assert_431(await http.get("/health", headers=headers))


async def test_a_request_line_over_the_limit_is_431(server: str) -> None:
    """Sent by hand: httpx2 itself refuses to send such a URL."""
    host, port = server.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(b"GET /api/v1/labs?q=" + b"x" * (2 * DEFAULT_LIMIT) + b" HTTP/1.1\r\nHost: registry\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 ")
    assert orjson.loads(body)["instance"] == "/api/v1/labs"


async def test_a_large_body_is_not_counted(server: str) -> None:
    async with httpx2.AsyncClient(base_url=server) as http:
        response = await http.post("/api/v1/labs", content=b"{" + b" " * 200_000 + b"}")
    assert response.status_code == 401, response.text


async def test_each_request_of_a_kept_alive_connection_has_its_own_allowance(server: str) -> None:
    async with httpx2.AsyncClient(base_url=server) as http:
        for _ in range(4):
            response = await http.get("/health", headers={"X-Padding": "a" * (DEFAULT_LIMIT * 3 // 4)})
            assert response.status_code == 200, response.text


async def test_a_huge_header_is_cut_short_while_other_requests_are_answered(server: str) -> None:
    """The attack: a header of many megabytes sent as fast as the network goes (4 MB here). The server answers
    431 once the cap is passed and stops reading; meanwhile an ordinary request is answered at once."""
    host, port = server.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /health HTTP/1.1\r\nHost: registry\r\nX-Huge: ")
    sent, answer, chunk = 0, b"", b"a" * 65_536
    async with httpx2.AsyncClient(base_url=server) as http:
        try:
            while sent < 4_000_000 and not answer:
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
                try:
                    answer = await asyncio.wait_for(reader.read(65_536), 0.05)
                except TimeoutError:
                    assert (await http.get("/health", timeout=2)).status_code == 200
        except ConnectionError:
            answer = answer or await reader.read(65_536)
        finally:
            writer.close()
    assert sent < 2_000_000, f"still reading after {sent} bytes"
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 ")
    assert orjson.loads(body)["status"] == 431


async def test_the_limit_is_a_setting(database_url: str) -> None:
    with Server(database_url, env={"MAX_HEADER_BYTES": "8192"}) as server:
        async with httpx2.AsyncClient(base_url=server.base_url) as http:
            assert (await http.get("/health", headers={"X-Padding": "a" * 6000})).status_code == 200
            refused = await http.get("/health", headers={"X-Padding": "a" * 10_000})
        assert refused.status_code == 431
        assert "8192 bytes" in refused.json()["detail"]
