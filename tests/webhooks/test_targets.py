"""Webhook targets an attacker would choose: URLs the HTTP client cannot send to, rows that fail at every
attempt beside healthy ones, loopback hidden in IPv6 forms, and a name that answers another address at delivery
(DNS rebinding)."""

import asyncio
import itertools
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.core.config import Settings
from app.models.webhooks import WebhookDelivery, WebhookSubscription
from app.webhooks import service
from app.webhooks.dispatcher import Dispatcher
from app.webhooks.service import new_secret
from tests.factories import create_lab
from tests.helpers import assert_problem
from tests.webhooks.conftest import Receiver, until

pytestmark = pytest.mark.anyio

HOOKS = "/api/v1/webhooks"


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def deliveries_of(app: FastAPI, subscription_id: Any) -> list[WebhookDelivery]:
    async with app.state.sessionmaker() as session:
        stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
        return list((await session.execute(stmt)).scalars())


BAD_URLS = [
    "http://host/poison\rX",
    "http://host/poison\nX",
    "http://host/tab\there",
    "http://host/a b",
    "http://host/nbsp\u00a0here",
    "http://host/\x7f",
    "http://host\x1b/x",
    "http:///no-host",
    "http://:8080/no-host",
    "http://user@/no-host",
    "http://host:99999/port",
    "http://host:port/x",
    "http://[::1/unclosed",
    "ftp://host/x",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "//host/no-scheme",
]


class TestUrlsAreStrict:
    @pytest.mark.parametrize("url", BAD_URLS)
    async def test_a_url_the_client_cannot_send_to_is_422_at_subscription(
        self, app: FastAPI, client: httpx2.AsyncClient, admin: dict[str, str], url: str
    ) -> None:
        response = await client.post(HOOKS, json={"url": url, "event_types": ["*"]}, headers=admin)
        assert_problem(response, 422, "url")
        assert await count(app, WebhookSubscription) == 0

    @pytest.mark.parametrize("url", ["http://host/poison\rX", "http://:8080/x", "http://host:99999/x"])
    async def test_and_at_a_change_of_url(
        self, client: httpx2.AsyncClient, admin: dict[str, str], receiver: Receiver, url: str
    ) -> None:
        created = await client.post(HOOKS, json={"url": receiver.url, "event_types": ["*"]}, headers=admin)
        assert created.status_code == 201, created.text
        patched = await client.patch(f"{HOOKS}/{created.json()['id']}", json={"url": url}, headers=admin)
        assert_problem(patched, 422, "url")
        assert (await client.get(f"{HOOKS}/{created.json()['id']}", headers=admin)).json()["url"] == receiver.url

    async def test_an_ordinary_url_is_kept_as_given(self, client: httpx2.AsyncClient, admin: dict[str, str]) -> None:
        url = "https://tableau.example.org:8443/hooks/lab-registry?source=ditp&v=2"
        created = await client.post(HOOKS, json={"url": url, "event_types": ["*"]}, headers=admin)
        assert created.status_code == 201, created.text
        assert created.json()["url"] == url


# Rows that an older version let in, or that were written by hand: each fails at every attempt.
POISONED = {
    "control character": {"url": "http://127.0.0.1:{port}/poison\rX"},
    "unclosed bracket": {"url": "http://[::1/hooks"},
    "bad port": {"url": "http://127.0.0.1:99999/hooks"},
    "secret not base64": {"secret": "whsec_abc"},
}


class TestOneBadDeliveryStopsNoOther:
    @pytest.mark.parametrize("poison", POISONED.values(), ids=POISONED.keys())
    async def test_the_healthy_one_is_delivered_exactly_once_and_the_bad_ones_failures_recorded(
        self,
        app: FastAPI,
        client: httpx2.AsyncClient,
        admin: dict[str, str],
        receiver: Receiver,
        dispatcher: Dispatcher,
        poison: dict[str, str],
    ) -> None:
        healthy = await client.post(HOOKS, json={"url": receiver.url, "event_types": ["lab.*"]}, headers=admin)
        assert healthy.status_code == 201, healthy.text
        bad = WebhookSubscription(
            url=poison.get("url", receiver.url).format(port=receiver.port),
            secret=poison.get("secret", new_secret()),
            event_types=["lab.*"],
            position=healthy.json()["position"],
        )
        async with app.state.sessionmaker() as session, session.begin():
            session.add(bad)
        await create_lab(client)

        async def bad_one_tried_three_times() -> bool:
            return any(delivery.attempts >= 3 for delivery in await deliveries_of(app, bad.id))

        await until(bad_one_tried_three_times, dispatcher)
        assert len(receiver.received) == 1
        [delivered] = await deliveries_of(app, uuid.UUID(healthy.json()["id"]))
        assert (delivered.status, delivered.attempts) == ("delivered", 1)
        [failing] = await deliveries_of(app, bad.id)
        assert failing.status == "pending"
        assert failing.last_status_code is None
        assert failing.last_error
        assert failing.last_error.isprintable()
        assert [entry["error"] for entry in failing.attempt_log] == [failing.last_error] * failing.attempts
        for _ in range(3):
            await dispatcher.run_once()
        assert len(receiver.received) == 1


@pytest.fixture
def strict(app: FastAPI, settings: Settings) -> Iterator[Settings]:
    """The production rule: private, loopback and reserved targets are refused (the other tests allow them); the
    shared app gets its settings back afterwards."""
    refusing = settings.model_copy(update={"webhook_allow_private_urls": False})
    app.state.settings = refusing
    try:
        yield refusing
    finally:
        app.state.settings = settings


class TestLoopbackInIpv6Forms:
    @pytest.mark.parametrize(
        "host",
        [
            "[::127.0.0.1]",
            "[::7f00:1]",
            "[64:ff9b::7f00:1]",
            "[64:ff9b::a00:1]",
            "[64:ff9b::a9fe:a9fe]",
            "[64:ff9b:1::7f00:1]",
            "[2002:7f00:1::]",
            "[2002:a9fe:a9fe::1]",
            "[::ffff:127.0.0.1]",
            "[::ffff:10.0.0.1]",
            "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
            "[::]",
        ],
        ids=[
            "ipv4-compatible",
            "ipv4-compatible-hex",
            "nat64",
            "nat64-private",
            "nat64-metadata",
            "nat64-local-use",
            "6to4",
            "6to4-link-local",
            "ipv4-mapped",
            "ipv4-mapped-private",
            "teredo",
            "unspecified",
        ],
    )
    async def test_an_embedded_private_ipv4_is_refused(
        self, app: FastAPI, client: httpx2.AsyncClient, admin: dict[str, str], strict: Settings, host: str
    ) -> None:
        response = await client.post(HOOKS, json={"url": f"http://{host}/hooks", "event_types": ["*"]}, headers=admin)
        assert "private, loopback or reserved" in assert_problem(response, 422, "url")["detail"]
        assert await count(app, WebhookSubscription) == 0

    @pytest.mark.parametrize("host", ["[64:ff9b::808:808]", "[2002:808:808::1]", "8.8.8.8"])
    async def test_an_embedded_public_ipv4_is_accepted(
        self, client: httpx2.AsyncClient, admin: dict[str, str], strict: Settings, host: str
    ) -> None:
        response = await client.post(HOOKS, json={"url": f"http://{host}/hooks", "event_types": ["*"]}, headers=admin)
        assert response.status_code == 201, response.text


REBINDING_HOST = "hooks.rebind.test"


class TestDnsRebinding:
    """A name whose answers alternate between an address allowed as public and loopback: the stand-in for the
    public server is 127.0.0.2 (no test may reach the internet), the internal service under attack 127.0.0.1."""

    @pytest.fixture
    async def rebinding(self, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Receiver, Receiver]]:
        public = Receiver(host="127.0.0.2")
        internal = Receiver(port=public.port)
        answers = itertools.cycle([public.host, internal.host])
        loop = asyncio.get_running_loop()
        system = loop.getaddrinfo

        async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host in (REBINDING_HOST, REBINDING_HOST.encode()):
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port or 0))]
            return await system(host, port, *args, **kwargs)

        monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(service, "_is_public", lambda address: address == public.host)
        await public.up()
        await internal.up()
        try:
            yield public, internal
        finally:
            await public.down()
            await internal.down()

    async def test_each_attempt_connects_to_the_address_it_checked(
        self,
        app: FastAPI,
        client: httpx2.AsyncClient,
        admin: dict[str, str],
        strict: Settings,
        rebinding: tuple[Receiver, Receiver],
    ) -> None:
        public, internal = rebinding
        url = f"http://{REBINDING_HOST}:{public.port}/hooks"
        hook = await client.post(HOOKS, json={"url": url, "event_types": ["lab.created"]}, headers=admin)
        assert hook.status_code == 201, hook.text
        await create_lab(client)
        dispatcher = Dispatcher(app.state.sessionmaker, strict)
        try:
            await until(lambda: public.received or internal.received, dispatcher)
            for _ in range(4):
                await dispatcher.run_once()
        finally:
            await dispatcher.aclose()
        assert internal.received == []
        assert len(public.received) == 1
        assert public.received[0].headers["host"] == f"{REBINDING_HOST}:{public.port}"
        [delivery] = await deliveries_of(app, uuid.UUID(hook.json()["id"]))
        assert (delivery.status, delivery.attempts) == ("delivered", 2)
        refused, delivered = delivery.attempt_log
        assert refused["error"].startswith("refused target: the host 'hooks.rebind.test' resolves to a private")
        assert delivered["status_code"] == 204
