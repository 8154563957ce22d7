"""Swagger UI at /docs in a real browser: Debian's Chromium, headless, driven by Playwright's Python package
(never a browser of Playwright's own download), with every request to a host other than the server's refused and
recorded. The page renders the operations from the server's own files, "Authorize" takes an API key, and
"Try it out" on GET /api/v1/labs shows a 200 with the seeded lab. The server requires a key for reads
(PUBLIC_READS=false), so that 200 also proves the key was sent."""

import re
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import pytest
from playwright.async_api import Browser, Route, async_playwright, expect

from tests.conftest import KeyMaker
from tests.factories import create_lab
from tests.servers import Server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
LOOPBACK = frozenset({"127.0.0.1", "localhost"})
TIMEOUT_MS = 30_000
"""For each step of the page: generous, since the machine may be busy with other tests."""


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: `apt-get install chromium` (.ci/run does it)")
    async with async_playwright() as playwright:
        # Host names other than localhost do not even resolve: the browser's own background traffic stays home too.
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"],
        )
        try:
            yield launched
        finally:
            await launched.close()


async def _loopback_only(refused: list[str], route: Route) -> None:
    if urlsplit(route.request.url).hostname in LOOPBACK:
        await route.continue_()
    else:
        refused.append(route.request.url)
        await route.abort()


async def test_swagger_ui_renders_authorizes_and_tries_the_labs_list(
    database_url: str, client: httpx2.AsyncClient, make_key: KeyMaker, browser: Browser
) -> None:
    lab = await create_lab(client, name="Lab d'innovation de Bretagne")
    key = await make_key("read")
    refused: list[str] = []
    with Server(database_url, env={"PUBLIC_READS": "false"}) as server:
        context = await browser.new_context()
        await context.route("**/*", partial(_loopback_only, refused))
        page = await context.new_page()
        await page.goto(f"{server.base_url}/docs")

        operation = page.locator("#operations-labs-list_labs")
        await expect(operation).to_be_visible(timeout=TIMEOUT_MS)
        await expect(page.locator("#operations-events-list_events")).to_be_visible(timeout=TIMEOUT_MS)
        assert await page.locator(".opblock").count() > 50

        authorize = page.locator(".auth-wrapper button.authorize")
        await authorize.click()
        await page.locator("#auth-bearer-value").fill(key)
        await page.get_by_role("button", name="Apply credentials").click()
        await page.locator(".modal-ux").get_by_role("button", name="Close").click()
        await expect(authorize).to_have_class(re.compile(r"\blocked\b"), timeout=TIMEOUT_MS)

        await operation.locator(".opblock-summary").click()
        await operation.get_by_role("button", name="Try it out").click()
        await operation.get_by_role("button", name="Execute").click()
        live = operation.locator(".live-responses-table .response")
        await expect(live.locator(".response-col_status")).to_have_text("200", timeout=TIMEOUT_MS)
        await expect(live.locator(".response-col_description")).to_contain_text(lab["id"], timeout=TIMEOUT_MS)
        await expect(live.locator(".response-col_description")).to_contain_text(lab["name"], timeout=TIMEOUT_MS)
        await context.close()
    assert refused == []
