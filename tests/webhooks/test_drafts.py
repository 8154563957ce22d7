"""Webhooks follow publication: a subscription sees drafts only when the key that created it may, and a
moderation app learns of submissions (`event.submitted`)."""

import contextlib

import httpx2
import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from app.webhooks.dispatcher import Dispatcher
from tests.conftest import KeyMaker
from tests.factories import create_lab
from tests.webhooks.conftest import Receiver, until
from tests.webhooks.test_webhooks import subscribe, verified

pytestmark = pytest.mark.anyio


async def test_drafts_reach_only_the_subscriptions_that_may_see_them(
    client: httpx2.AsyncClient, make_key: KeyMaker, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    lab = await create_lab(client, slug="lab-atelier")
    admin_only = {"Authorization": f"Bearer {await make_key('admin', name='admin only')}"}
    moderator = {"Authorization": f"Bearer {await make_key('admin', 'read', 'write', 'publish', name='moderation')}"}
    created = await client.post(
        "/api/v1/api-keys",
        json={"name": "Lab app", "scopes": ["read", "write"], "labs": ["lab-atelier"]},
        headers=moderator,
    )
    lab_app = {"Authorization": f"Bearer {created.json()['key']}"}
    public = await subscribe(client, admin_only, receiver.url + "?who=public", "event.*")
    private = await subscribe(client, moderator, receiver.url + "?who=moderation", "event.*")
    assert (public["sees_drafts"], private["sees_drafts"]) == (False, True)

    body = {
        "title": "Atelier",
        "theme_code": "design",
        "format": "atelier",
        "attendance_mode": "online",
        "online_url": "https://visio.example.org/salle",
        "audience": "all",
        "starts_at": "2021-03-02T10:00:00",
        "ends_at": "2021-03-02T12:00:00",
        "lab_id": lab["id"],
    }
    event = (await client.post("/api/v1/events", json=body, headers=lab_app)).json()
    url = f"/api/v1/events/{event['id']}"
    assert (await client.patch(url, json={"publication": "submitted"}, headers=lab_app)).status_code == 200
    assert (await client.patch(url, json={"publication": "published"}, headers=moderator)).status_code == 200

    await until(lambda: len(receiver.received) >= 4, dispatcher)
    await dispatcher.run_once()
    seen: dict[str, list[str]] = {"public": [], "moderation": []}
    for message in receiver.received:
        for name, hook in (("public", public), ("moderation", private)):
            # Each message is signed with its own subscription's secret only.
            with contextlib.suppress(WebhookVerificationError):
                seen[name].append(verified(hook["secret"], message)["type"])
    assert seen == {
        "public": ["event.published"],
        "moderation": ["event.created", "event.submitted", "event.published"],
    }
