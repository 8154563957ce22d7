"""/docs and /redoc work offline: every asset, the favicon and the OpenAPI document come from the app itself."""

import re

import httpx2
import pytest

pytestmark = pytest.mark.anyio

REFERENCE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|\burl:\s*["']([^"']+)["']""")


def references(page: str) -> list[str]:
    """Every src, href and OpenAPI url the page loads."""
    return [first or second for first, second in REFERENCE.findall(page)]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
class TestDocumentationPage:
    async def test_is_html(self, client: httpx2.AsyncClient, path: str) -> None:
        response = await client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")

    async def test_loads_nothing_from_another_host(self, client: httpx2.AsyncClient, path: str) -> None:
        page = (await client.get(path)).text
        assert "http://" not in page
        assert "https://" not in page
        assert "fonts.googleapis" not in page
        assert "cdn" not in page.lower()
        found = references(page)
        assert "/openapi.json" in found
        for reference in found:
            assert reference.startswith("/"), reference
            assert not reference.startswith("//"), reference

    async def test_every_asset_is_served(self, client: httpx2.AsyncClient, path: str) -> None:
        page = (await client.get(path)).text
        for reference in references(page):
            response = await client.get(reference)
            assert response.status_code == 200, reference
            assert response.content, reference

    async def test_favicon_is_local(self, client: httpx2.AsyncClient, path: str) -> None:
        page = (await client.get(path)).text
        icons = re.findall(r"""<link[^>]*rel=["'][^"']*icon[^"']*["'][^>]*href=["']([^"']+)["']""", page)
        assert len(icons) == 1
        assert icons[0].startswith("/")
        response = await client.get(icons[0])
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/")


async def test_swagger_validator_is_off(client: httpx2.AsyncClient) -> None:
    page = (await client.get("/docs")).text
    assert re.search(r"""["']?validatorUrl["']?\s*:\s*null""", page)
