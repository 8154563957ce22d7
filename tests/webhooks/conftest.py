"""Webhook tests: settings that allow loopback targets and retry fast, a real HTTP receiver, a dispatcher."""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.webhooks.dispatcher import Dispatcher
from tests.conftest import KeyMaker
from tests.servers import free_port


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        webhook_allow_private_urls=True,
        webhook_backoff_base_seconds=0.02,
        webhook_backoff_max_seconds=0.1,
        webhook_timeout_seconds=2,
    )


@dataclass
class Message:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A minimal HTTP/1.1 server on 127.0.0.1 (or another loopback address) that records each POST; `up` and
    `down` open and close its port."""

    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    status: int = 204
    received: list[Message] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hooks"

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._serve, self.host, self.port)

    async def down(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")[1:]
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.received.append(Message(headers, body))
                writer.write(f"HTTP/1.1 {self.status} Whatever\r\ncontent-length: 0\r\n\r\n".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiving = Receiver()
    await receiving.up()
    try:
        yield receiving
    finally:
        await receiving.down()


@pytest.fixture
async def admin(client: httpx2.AsyncClient, make_key: KeyMaker) -> dict[str, str]:
    """Headers of an admin key (the `client` fixture keeps its write key for domain data)."""
    return {"Authorization": f"Bearer {await make_key('admin', name='admin only')}"}


@pytest.fixture
async def dispatcher(app: FastAPI, settings: Settings) -> AsyncIterator[Dispatcher]:
    running = Dispatcher(app.state.sessionmaker, settings)
    try:
        yield running
    finally:
        await running.aclose()


async def until(condition: Callable[[], Any], *rounds: Dispatcher, timeout: float = 20) -> None:
    """Run dispatcher rounds until the condition (sync or async) holds; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        assert loop.time() < deadline, "condition not met in time"
        busy = sum(await asyncio.gather(*(d.run_once() for d in rounds)))
        if not busy:
            await asyncio.sleep(0.02)
