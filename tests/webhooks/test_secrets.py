"""A subscription's secret is shown once and never stored elsewhere: its creation refuses an Idempotency-Key
(the answer would be kept for replays), while other webhook POSTs stay safe to retry."""

from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.models import IdempotencyKey
from app.models.webhooks import WebhookDelivery, WebhookSubscription
from app.webhooks.dispatcher import Dispatcher
from tests.factories import create_lab
from tests.helpers import assert_problem
from tests.webhooks.conftest import Receiver, until

pytestmark = pytest.mark.anyio

HOOKS = "/api/v1/webhooks"


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_subscribing_refuses_an_idempotency_key_and_stores_nothing(
    app: FastAPI, client: httpx2.AsyncClient, admin: dict[str, str], receiver: Receiver
) -> None:
    body = {"url": receiver.url, "event_types": ["*"]}
    refused = await client.post(HOOKS, json=body, headers={**admin, "Idempotency-Key": "subscribe-1"})
    detail = assert_problem(refused, 400)["detail"]
    assert "Idempotency-Key is not accepted here" in detail
    assert "whsec_" not in refused.text
    assert (await count(app, WebhookSubscription), await count(app, IdempotencyKey)) == (0, 0)
    created = await client.post(HOOKS, json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert await count(app, IdempotencyKey) == 0


async def test_a_redelivery_stays_safe_to_retry(
    app: FastAPI, client: httpx2.AsyncClient, admin: dict[str, str], receiver: Receiver, dispatcher: Dispatcher
) -> None:
    hook = (await client.post(HOOKS, json={"url": receiver.url, "event_types": ["*"]}, headers=admin)).json()
    await create_lab(client)
    await until(lambda: receiver.received, dispatcher)
    [delivery] = (await client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin)).json()["items"]
    path = f"{HOOKS}/{hook['id']}/deliveries/{delivery['id']}/redeliver"
    first, second = [await client.post(path, headers={**admin, "Idempotency-Key": "again-1"}) for _ in "12"]
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["idempotent-replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    assert await count(app, WebhookDelivery) == 2


async def test_the_openapi_does_not_offer_the_header_on_subscribing(app: FastAPI) -> None:
    paths = app.openapi()["paths"]

    def headers(path: str) -> list[str]:
        return [p["name"] for p in paths[path]["post"].get("parameters", []) if p["in"] == "header"]

    assert "Idempotency-Key" not in headers(HOOKS)
    assert "400" in paths[HOOKS]["post"]["responses"]
    assert "Idempotency-Key" in headers(f"{HOOKS}/{{webhook_id}}/deliveries/{{delivery_id}}/redeliver")
