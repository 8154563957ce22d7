"""Webhooks: subscriptions (admin scope, secret shown once, no private targets), signed deliveries to a real
receiver, retries while it is down, per-entity order, redelivery, and several dispatchers without duplicates."""

import asyncio
import base64
import json
import os
import signal
import subprocess
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.models.webhooks import WebhookDelivery, WebhookSubscription
from app.webhooks.dispatcher import Dispatcher, backoff, sign
from tests.conftest import KeyMaker
from tests.factories import create_event, create_lab
from tests.helpers import assert_problem
from tests.servers import LAB_REGISTRY, ROOT
from tests.webhooks.conftest import Receiver, until

pytestmark = pytest.mark.anyio

HOOKS = "/api/v1/webhooks"


async def subscribe(
    client: httpx2.AsyncClient, admin: dict[str, str], url: str, *event_types: str, **fields: Any
) -> dict[str, Any]:
    body = {"url": url, "event_types": list(event_types) or ["*"], "description": "Tableau de bord", **fields}
    response = await client.post(HOOKS, json=body, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def deliveries(client: httpx2.AsyncClient, admin: dict[str, str], hook: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get(f"{HOOKS}/{hook['id']}/deliveries", params={"limit": 500}, headers=admin)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


def verified(secret: str, message: Any) -> dict[str, Any]:
    """The payload, once the standardwebhooks library accepted its signature."""
    payload: dict[str, Any] = Webhook(secret).verify(message.body, message.headers)
    return payload


def counter(outcome: str) -> float:
    return REGISTRY.get_sample_value("lab_registry_webhook_deliveries_total", {"outcome": outcome}) or 0.0


class TestSubscriptions:
    async def test_secret_is_shown_once(self, client: httpx2.AsyncClient, admin: dict[str, str]) -> None:
        response = await client.post(
            HOOKS,
            json={"url": "https://tableau.example.org/hooks", "event_types": ["event.created", "allocation.updated"]},
            headers=admin,
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["secret"].startswith("whsec_")
        assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 32
        assert created["event_types"] == ["event.created", "allocation.updated"]
        assert created["active"] is True
        assert created["description"] is None
        assert response.headers["location"].endswith(f"{HOOKS}/{created['id']}")

        read = (await client.get(f"{HOOKS}/{created['id']}", headers=admin)).json()
        listed = (await client.get(HOOKS, headers=admin)).json()
        assert "secret" not in read
        assert [item["id"] for item in listed] == [created["id"]]
        assert "secret" not in listed[0]
        assert read == {k: v for k, v in created.items() if k != "secret"}

    async def test_patch_delete_and_404(self, client: httpx2.AsyncClient, admin: dict[str, str]) -> None:
        hook = await subscribe(client, admin, "https://tableau.example.org/hooks", "lab.*")
        patched = await client.patch(f"{HOOKS}/{hook['id']}", json={"active": False}, headers=admin)
        assert patched.status_code == 200, patched.text
        assert patched.json()["active"] is False
        assert patched.json()["event_types"] == ["lab.*"]
        assert (await client.delete(f"{HOOKS}/{hook['id']}", headers=admin)).status_code == 204
        assert_problem(await client.get(f"{HOOKS}/{hook['id']}", headers=admin), 404)
        assert_problem(await client.delete(f"{HOOKS}/{hook['id']}", headers=admin), 404)

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"url": "ftp://example.org/x", "event_types": ["*"]}, "url"),
            ({"url": "https://example.org/x", "event_types": []}, "event_types"),
            ({"url": "https://example.org/x", "event_types": ["lab.renamed"]}, "event_types"),
            ({"url": "https://example.org/x", "event_types": ["api_key.created"]}, "event_types"),
            ({"url": "https://example.org/x", "event_types": ["*"], "secret": "whsec_mine"}, "secret"),
            ({"event_types": ["*"]}, "url"),
        ],
    )
    async def test_bad_input_is_refused_and_nothing_written(
        self, app: FastAPI, client: httpx2.AsyncClient, admin: dict[str, str], body: dict[str, Any], field: str
    ) -> None:
        assert_problem(await client.post(HOOKS, json=body, headers=admin), 422, field)
        assert await count(app, WebhookSubscription) == 0

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8080/hooks",
            "http://localhost/hooks",
            "http://10.1.2.3/hooks",
            "http://192.168.0.10/hooks",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hooks",
            "http://[::ffff:127.0.0.1]/hooks",
            "http://0.0.0.0/hooks",
            "http://nowhere.invalid/hooks",
        ],
    )
    async def test_private_targets_are_refused_without_the_setting(
        self, app: FastAPI, client: httpx2.AsyncClient, admin: dict[str, str], settings: Settings, url: str
    ) -> None:
        app.state.settings = settings.model_copy(update={"webhook_allow_private_urls": False})
        try:
            assert_problem(await client.post(HOOKS, json={"url": url, "event_types": ["*"]}, headers=admin), 422, "url")
            assert await count(app, WebhookSubscription) == 0
        finally:
            app.state.settings = settings

    async def test_admin_scope_is_required(
        self, client: httpx2.AsyncClient, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        writer = {"Authorization": f"Bearer {await make_key('read', 'write')}"}
        body = {"url": "https://example.org/x", "event_types": ["*"]}
        assert_problem(await client.post(HOOKS, json=body, headers=writer), 403)
        assert_problem(await client.get(HOOKS, headers=writer), 403)
        assert_problem(await anonymous.get(HOOKS, headers={"Authorization": ""}), 401)


class TestDelivery:
    async def test_signed_deliveries_verify_with_standardwebhooks(
        self,
        app: FastAPI,
        client: httpx2.AsyncClient,
        admin: dict[str, str],
        receiver: Receiver,
        dispatcher: Dispatcher,
    ) -> None:
        before = counter("delivered")
        await create_lab(client)
        hook = await subscribe(client, admin, receiver.url, "lab.*")
        lab = await create_lab(client, city="Lorient")
        await create_event(client, lab_id=lab["id"])
        assert (await client.patch(f"/api/v1/labs/{lab['id']}", json={"city": "Vannes"})).status_code == 200

        await until(lambda: len(receiver.received) >= 2, dispatcher)
        await dispatcher.run_once()
        payloads = [verified(hook["secret"], message) for message in receiver.received]
        assert [(p["type"], p["data"]["entity_id"], p["data"]["version"]) for p in payloads] == [
            ("lab.created", lab["id"], 1),
            ("lab.updated", lab["id"], 2),
        ]
        assert payloads[1]["data"]["data"]["city"] == "Vannes"
        assert set(payloads[0]) == {"type", "timestamp", "data"}
        assert set(payloads[0]["data"]) == {"seq", "at", "entity_type", "entity_id", "action", "version", "data"}
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + base64.b64encode(b"x" * 32).decode()).verify(
                receiver.received[0].body, receiver.received[0].headers
            )

        recorded = await deliveries(client, admin, hook)
        assert [d["event_type"] for d in recorded] == ["lab.updated", "lab.created"]
        assert {d["message_id"] for d in recorded} == {m.headers["webhook-id"] for m in receiver.received}
        for delivery in recorded:
            assert delivery["status"] == "delivered"
            assert delivery["attempts"] == 1
            assert delivery["last_status_code"] == 204
            [attempt] = delivery["attempt_log"]
            assert attempt["status_code"] == 204
            assert attempt["error"] is None
            assert attempt["duration_ms"] >= 0
        assert counter("delivered") - before == 2

    async def test_a_receiver_down_for_a_while_gets_everything_once_in_order_per_entity(
        self,
        client: httpx2.AsyncClient,
        admin: dict[str, str],
        receiver: Receiver,
        dispatcher: Dispatcher,
    ) -> None:
        hook = await subscribe(client, admin, receiver.url)
        await receiver.down()
        failed_before = counter("failed")
        labs = [await create_lab(client) for _ in range(3)]
        for lab in labs:
            for city in ("Brest", "Morlaix"):
                patched = await client.patch(f"/api/v1/labs/{lab['id']}", json={"city": city})
                assert patched.status_code == 200
        assert (await client.delete(f"/api/v1/labs/{labs[0]['id']}")).status_code == 204

        async def retried_a_few_times() -> bool:
            return all(d["attempts"] >= 3 for d in await deliveries(client, admin, hook) if d["seq"] == min_seq)

        await until(lambda: counter("failed") - failed_before >= 9, dispatcher)
        recorded = await deliveries(client, admin, hook)
        assert len(recorded) == 10
        first_of_each: dict[str, dict[str, Any]] = {}
        for d in sorted(recorded, key=lambda d: d["seq"]):
            first_of_each.setdefault(d["entity_id"], d)
        min_seq = min(d["seq"] for d in recorded)
        for d in recorded:
            # Only the first message of each entity is tried; the later ones wait behind it.
            if d is first_of_each[d["entity_id"]]:
                assert d["attempts"] >= 1
                assert d["status"] == "pending"
                assert d["last_status_code"] is None
                assert "ConnectError" in d["last_error"]
            else:
                assert d["attempts"] == 0
        await until(retried_a_few_times, dispatcher)

        await receiver.up()
        await until(lambda: len(receiver.received) >= 10, dispatcher)
        await dispatcher.run_once()
        payloads = [verified(hook["secret"], m) for m in receiver.received]
        assert len({m.headers["webhook-id"] for m in receiver.received}) == 10
        for lab in labs:
            versions = [
                (p["data"]["action"], p["data"]["version"]) for p in payloads if p["data"]["entity_id"] == lab["id"]
            ]
            expected = [("create", 1), ("update", 2), ("update", 3)]
            assert versions == ([*expected, ("delete", 3)] if lab is labs[0] else expected)
        assert {d["status"] for d in await deliveries(client, admin, hook)} == {"delivered"}

    async def test_attempts_run_out_then_a_redelivery_sends_the_same_message(
        self,
        app: FastAPI,
        client: httpx2.AsyncClient,
        admin: dict[str, str],
        receiver: Receiver,
        settings: Settings,
    ) -> None:
        hook = await subscribe(client, admin, receiver.url, "event.created")
        receiver.status = 500
        event = await create_event(client)
        limited = Dispatcher(app.state.sessionmaker, settings.model_copy(update={"webhook_max_attempts": 3}))
        try:
            await until(lambda: len(receiver.received) >= 3, limited)
            await limited.run_once()
            [failed] = await deliveries(client, admin, hook)
            assert failed["status"] == "failed"
            assert failed["attempts"] == 3
            assert [a["status_code"] for a in failed["attempt_log"]] == [500, 500, 500]
            assert failed["last_error"] == "HTTP 500"
            assert len(receiver.received) == 3

            receiver.status = 200
            again = await client.post(f"{HOOKS}/{hook['id']}/deliveries/{failed['id']}/redeliver", headers=admin)
            assert again.status_code == 201, again.text
            assert again.json()["status"] == "pending"
            assert again.json()["message_id"] == failed["message_id"]
            located = await client.get(again.headers["location"], headers=admin)
            assert located.json()["id"] == again.json()["id"]
            await until(lambda: len(receiver.received) >= 4, limited)
        finally:
            await limited.aclose()
        assert receiver.received[-1].headers["webhook-id"] == failed["message_id"]
        assert verified(hook["secret"], receiver.received[-1])["data"]["entity_id"] == event["id"]
        statuses = sorted(d["status"] for d in await deliveries(client, admin, hook))
        assert statuses == ["delivered", "failed"]
        assert_problem(await client.post(f"{HOOKS}/{hook['id']}/deliveries/{hook['id']}/redeliver", headers=admin), 404)

    async def test_inactive_subscriptions_receive_nothing_and_deleting_one_drops_its_queue(
        self,
        app: FastAPI,
        client: httpx2.AsyncClient,
        admin: dict[str, str],
        receiver: Receiver,
        dispatcher: Dispatcher,
    ) -> None:
        hook = await subscribe(client, admin, receiver.url, active=False)
        await create_lab(client)
        for _ in range(3):
            await dispatcher.run_once()
        assert receiver.received == []
        assert await count(app, WebhookDelivery) == 0
        assert (await client.patch(f"{HOOKS}/{hook['id']}", json={"active": True}, headers=admin)).status_code == 200
        await until(lambda: len(receiver.received) == 1, dispatcher)
        assert (await client.delete(f"{HOOKS}/{hook['id']}", headers=admin)).status_code == 204
        assert await count(app, WebhookDelivery) == 0

    async def test_private_target_is_refused_at_delivery_too(
        self, app: FastAPI, client: httpx2.AsyncClient, admin: dict[str, str], receiver: Receiver, settings: Settings
    ) -> None:
        hook = await subscribe(client, admin, receiver.url)
        await create_lab(client)
        strict = Dispatcher(app.state.sessionmaker, settings.model_copy(update={"webhook_allow_private_urls": False}))
        try:
            await strict.fan_out()
            await strict.deliver_due()
        finally:
            await strict.aclose()
        [delivery] = await deliveries(client, admin, hook)
        assert delivery["attempts"] == 1
        assert delivery["last_error"].startswith("refused target")
        assert receiver.received == []


class TestSeveralDispatchers:
    async def test_each_message_is_sent_once(
        self, app: FastAPI, client: httpx2.AsyncClient, admin: dict[str, str], receiver: Receiver, settings: Settings
    ) -> None:
        hook = await subscribe(client, admin, receiver.url)
        labs = [await create_lab(client) for _ in range(12)]
        for lab in labs:
            assert (await client.patch(f"/api/v1/labs/{lab['id']}", json={"city": "Saint-Malo"})).status_code == 200
        engines = [create_engine(settings) for _ in range(3)]
        dispatchers = [Dispatcher(create_sessionmaker(engine), settings) for engine in engines]
        try:
            await until(lambda: len(receiver.received) >= 24, *dispatchers)
            await asyncio.gather(*(d.run_once() for d in dispatchers))
        finally:
            for d, engine in zip(dispatchers, engines, strict=True):
                await d.aclose()
                await engine.dispose()
        ids = [m.headers["webhook-id"] for m in receiver.received]
        assert len(ids) == len(set(ids)) == 24
        recorded = await deliveries(client, admin, hook)
        assert all(d["attempts"] == 1 and d["status"] == "delivered" for d in recorded)
        for lab in labs:
            versions = [
                verified(hook["secret"], m)["data"]["version"]
                for m in receiver.received
                if json.loads(m.body)["data"]["entity_id"] == lab["id"]
            ]
            assert versions == [1, 2]


@pytest.mark.slow
class TestWorkerCommand:
    async def test_lab_registry_worker_delivers_and_stops_on_sigterm(
        self, client: httpx2.AsyncClient, admin: dict[str, str], receiver: Receiver, database_url: str
    ) -> None:
        hook = await subscribe(client, admin, receiver.url, "lab.created")
        lab = await create_lab(client)
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
            "WEBHOOK_POLL_SECONDS": "0.05",
        }
        process = subprocess.Popen(
            [LAB_REGISTRY, "worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while not receiver.received and loop.time() < deadline and process.poll() is None:
                await asyncio.sleep(0.05)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output.decode()
        [message] = receiver.received
        assert verified(hook["secret"], message)["data"]["entity_id"] == lab["id"]


class TestHelpers:
    def test_signature_matches_the_reference_library(self) -> None:
        secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
        body = b'{"type":"lab.created"}'
        headers = {"webhook-id": "msg_1", "webhook-timestamp": "1700000000", "webhook-signature": ""}
        headers["webhook-signature"] = sign(secret, "msg_1", 1700000000, body)
        assert headers["webhook-signature"] == Webhook(secret).sign("msg_1", _at(1700000000), body.decode())

    def test_backoff_grows_exponentially_with_jitter_and_is_capped(self) -> None:
        for attempt, ceiling in ((1, 1), (2, 2), (3, 4), (10, 60)):
            waits = [backoff(attempt, 1, 60) for _ in range(50)]
            assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
            assert len(set(waits)) > 1


def _at(timestamp: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC)
