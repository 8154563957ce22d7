"""The dispatcher inside `serve` (WEBHOOKS_IN_SERVE): every worker runs one, and each message still goes once."""

import asyncio

import httpx2
import pytest

from tests.conftest import KeyMaker
from tests.factories import create_lab
from tests.servers import serve
from tests.webhooks.conftest import Receiver

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_serve_delivers_with_the_setting(database_url: str, make_key: KeyMaker, receiver: Receiver) -> None:
    workers = 1 if database_url.startswith("sqlite") else 2
    key = await make_key("read", "write", "admin", name="ops")
    env = {"WEBHOOKS_IN_SERVE": "true", "WEBHOOK_ALLOW_PRIVATE_URLS": "true", "WEBHOOK_POLL_SECONDS": "0.05"}
    with serve(database_url, workers=workers, env=env) as base_url:
        async with httpx2.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            hook = await http.post("/api/v1/webhooks", json={"url": receiver.url, "event_types": ["lab.created"]})
            assert hook.status_code == 201, hook.text
            labs = [await create_lab(http) for _ in range(10)]
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while len(receiver.received) < len(labs) and loop.time() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
    ids = [message.headers["webhook-id"] for message in receiver.received]
    assert len(ids) == len(set(ids)) == len(labs)
