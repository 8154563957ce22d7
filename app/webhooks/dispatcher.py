"""The dispatcher: turns feed entries into deliveries, and sends them, signed, with retries.

One round (`run_once`) is two steps, each in short transactions so that no lock is held while a target answers:

1. **Fan-out.** For each active subscription (`FOR UPDATE SKIP LOCKED`: two dispatchers never fan out the same
   one), the feed entries after its `position` that match its event types become delivery rows, and the
   position moves on, in one transaction: an entry is queued exactly once per subscription.
2. **Delivery.** Due deliveries are claimed (`FOR UPDATE SKIP LOCKED`, then a lease in `locked_until`) only when
   no earlier delivery of the same entity to the same subscription is still pending: per entity, messages go
   out in feed order, and a retried one holds back the entity's later ones. They are sent concurrently (all of
   different entities), then each outcome is written: delivered (2xx), retried after an exponential backoff with
   jitter, or failed once the attempts are exhausted. Several dispatchers on PostgreSQL therefore send each
   message once; a dispatcher that dies mid-send leaves a lease that runs out, and the message is sent again
   (at least once, with the same `webhook-id`, which receivers use to drop duplicates).

On SQLite each write transaction begins with BEGIN IMMEDIATE, like the API's; there, one dispatcher is enough.
Deliveries follow Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256
of "{id}.{timestamp}.{body}" keyed with the secret's decoded bytes>`; the body is `{"type", "timestamp", "data"}`
with the change as `data`.
"""

import asyncio
import base64
import hashlib
import hmac
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
import httpcore2
import httpx2
import orjson
from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.changes import service as changes
from app.changes.schemas import Change
from app.core.config import Settings
from app.core.locking import WRITER
from app.models.base import utcnow
from app.models.webhooks import WebhookDelivery, WebhookSubscription
from app.ops import metrics
from app.publication.visibility import Sight
from app.webhooks.schemas import DeliveryStatus
from app.webhooks.service import TargetRefused, checked_addresses, new_message_id

logger = logging.getLogger("app.webhooks")

FAN_OUT_BATCH = 500
DELIVERY_BATCH = 20
_PAST_TENSE = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "publish": "published",
    "unpublish": "unpublished",
    "submitted": "submitted",
}
_SUBSCRIPTIONS = WebhookSubscription.__table__  # type: ignore[attr-defined]
_DELIVERIES = WebhookDelivery.__table__  # type: ignore[attr-defined]


def event_type(change: dict[str, Any]) -> str:
    """`lab.created`, `allocation.updated`, `event.deleted`…"""
    return f"{change['entity_type']}.{_PAST_TENSE[change['action']]}"


def matches(patterns: Sequence[str], name: str) -> bool:
    entity = name.split(".", 1)[0]
    return any(pattern in ("*", name, f"{entity}.*") for pattern in patterns)


def payload(name: str, change: dict[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks body: `{"type", "timestamp", "data"}`, the change (as the feed shows it) as data."""
    data = Change.model_validate(change).model_dump(mode="json")
    return {"type": name, "timestamp": data["at"], "data": data}


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value (Standard Webhooks, v1 = HMAC-SHA256)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def printable(text: str, limit: int = 500) -> str:
    """Text for `last_error` and the attempt log: control characters escaped (a URL or an exception may carry
    any), cut to `limit` characters."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)[:limit]


def describe(exc: BaseException) -> str:
    """`ConnectError: …`, or the class name alone when the exception says nothing more."""
    return printable(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


def backoff(attempts: int, base: float, ceiling: float) -> float:
    """Seconds before the next attempt: base·2^(n−1) capped, of which a random half (equal jitter)."""
    delay = min(ceiling, base * 2 ** (attempts - 1))
    return float(delay / 2 + random.uniform(0, delay / 2))


class CheckedNetwork(httpcore2.AsyncNetworkBackend):
    """Opens each connection to an address checked for it: the target's name is resolved once, every address it
    gives is checked (`checked_addresses`), and the socket goes to one of them, never to a second answer of the
    resolver (DNS rebinding). TLS still verifies the certificate for, and sends as SNI, the URL's name."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.network = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await checked_addresses(host, allow_private=self.allow_private)
        except TimeoutError:
            raise httpcore2.ConnectTimeout(f"resolving {host!r} took longer than {timeout} s") from None
        for address in addresses[:-1]:
            try:
                return await self.network.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout):
                continue
        return await self.network.connect_tcp(addresses[-1], port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.network.sleep(seconds)


def checked_transport(*, allow_private: bool) -> httpx2.AsyncHTTPTransport:
    """httpx2's transport on a connection pool that connects through `CheckedNetwork` (httpx2 takes no network
    backend of its own, so its pool is replaced), with httpx2's default limits."""
    transport = httpx2.AsyncHTTPTransport(trust_env=False)
    transport._pool = httpcore2.AsyncConnectionPool(
        ssl_context=httpx2.create_ssl_context(trust_env=False),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=CheckedNetwork(allow_private=allow_private),
    )
    return transport


@dataclass(frozen=True)
class Claimed:
    id: Any
    message_id: str
    url: str
    secret: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int
    at: datetime

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Dispatcher:
    """Fan-out and delivery rounds on a sessionmaker; `run` loops until its stop event is set."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        client: httpx2.AsyncClient | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.client = client or httpx2.AsyncClient(
            transport=checked_transport(allow_private=settings.webhook_allow_private_urls),
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
            trust_env=False,
        )
        self.lease = timedelta(seconds=2 * settings.webhook_timeout_seconds + 30)

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds until `stop` is set; an idle round waits `webhook_poll_seconds`, an error is logged, not fatal."""
        while not stop.is_set():
            try:
                busy = await self.run_once()
            except Exception:
                logger.exception("webhook dispatcher round failed")
                busy = 0
            if not busy:
                try:
                    await asyncio.wait_for(stop.wait(), self.settings.webhook_poll_seconds)
                except TimeoutError:
                    pass

    async def run_once(self) -> int:
        """One fan-out and one delivery round; how many rows were queued or sent (0 when idle)."""
        return await self.fan_out() + await self.deliver_due()

    async def fan_out(self) -> int:
        queued = 0
        async with self.sessionmaker() as session, session.begin():
            session.info[WRITER] = True
            stmt = (
                select(WebhookSubscription)
                .where(_SUBSCRIPTIONS.c.active.is_(True))
                .order_by(_SUBSCRIPTIONS.c.created_at)
                .with_for_update(skip_locked=True)
            )
            for subscription in (await session.execute(stmt)).scalars():
                seen = Sight(
                    subscription.sees_drafts and subscription.drafts_of_labs is None,
                    frozenset(uuid.UUID(lab) for lab in subscription.drafts_of_labs or ()),
                )
                changes_after = await changes.read_after(session, subscription.position, FAN_OUT_BATCH, seen=seen)
                for change in changes_after:
                    name = event_type(change)
                    if matches(subscription.event_types, name):
                        session.add(
                            WebhookDelivery(
                                subscription_id=subscription.id,
                                message_id=new_message_id(),
                                seq=change["seq"],
                                event_type=name,
                                entity_id=change["entity_id"],
                                payload=payload(name, change),
                            )
                        )
                        queued += 1
                if changes_after:
                    subscription.position = changes_after[-1]["seq"]
        return queued

    async def _claim(self) -> list[Claimed]:
        now = utcnow()
        earlier = _DELIVERIES.alias("earlier").c
        d = _DELIVERIES.c
        blocked = exists().where(
            earlier.subscription_id == d.subscription_id,
            earlier.entity_id == d.entity_id,
            earlier.seq < d.seq,
            earlier.status == DeliveryStatus.pending,
        )
        async with self.sessionmaker() as session, session.begin():
            session.info[WRITER] = True
            stmt = (
                select(d.id, d.message_id, d.payload, d.attempts, _SUBSCRIPTIONS.c.url, _SUBSCRIPTIONS.c.secret)
                .join(_SUBSCRIPTIONS, _SUBSCRIPTIONS.c.id == d.subscription_id)
                .where(
                    d.status == DeliveryStatus.pending,
                    d.next_attempt_at <= now,
                    or_(d.locked_until.is_(None), d.locked_until < now),
                    _SUBSCRIPTIONS.c.active.is_(True),
                    ~blocked,
                )
                .order_by(d.seq)
                .limit(DELIVERY_BATCH)
                .with_for_update(of=_DELIVERIES, skip_locked=True)
            )
            rows = (await session.execute(stmt)).all()
            if rows:
                await session.execute(
                    update(_DELIVERIES).where(d.id.in_([r.id for r in rows])).values(locked_until=now + self.lease)
                )
        return [Claimed(r.id, r.message_id, r.url, r.secret, r.payload, r.attempts) for r in rows]

    async def _send(self, claimed: Claimed) -> Outcome:
        """One attempt; whatever goes wrong (an unreachable target, a URL or secret no longer usable) is this
        delivery's outcome, so that it never stops the round nor the recording of the other deliveries."""
        at = utcnow()
        started = time.perf_counter()
        try:
            return await self._post(claimed, at, started)
        except TargetRefused as refused:
            return Outcome(None, printable(f"refused target: {refused}"), 0, at)
        except Exception as exc:
            if not isinstance(exc, httpx2.HTTPError):
                logger.warning("webhook delivery %s failed unexpectedly", claimed.id, exc_info=True)
            return Outcome(None, describe(exc), round((time.perf_counter() - started) * 1000), at)

    async def _post(self, claimed: Claimed, at: datetime, started: float) -> Outcome:
        msg_id = claimed.message_id
        timestamp = int(at.timestamp())
        body = orjson.dumps(claimed.payload)
        headers = {
            "content-type": "application/json",
            "user-agent": "lab-registry-webhooks",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(claimed.secret, msg_id, timestamp, body),
        }
        response = await self.client.post(claimed.url, content=body, headers=headers)
        duration = round((time.perf_counter() - started) * 1000)
        refused = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        return Outcome(response.status_code, refused, duration, at)

    async def _record(self, claimed: Claimed, outcome: Outcome) -> None:
        attempts = claimed.attempts + 1
        values: dict[str, Any] = {
            "attempts": attempts,
            "locked_until": None,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
        }
        if outcome.delivered:
            values |= {"status": DeliveryStatus.delivered, "delivered_at": utcnow()}
        elif attempts >= self.settings.webhook_max_attempts:
            values["status"] = DeliveryStatus.failed
        else:
            wait = backoff(
                attempts, self.settings.webhook_backoff_base_seconds, self.settings.webhook_backoff_max_seconds
            )
            values["next_attempt_at"] = utcnow() + timedelta(seconds=wait)
        entry = {
            "at": outcome.at.isoformat(),
            "status_code": outcome.status_code,
            "error": outcome.error,
            "duration_ms": outcome.duration_ms,
        }
        async with self.sessionmaker() as session, session.begin():
            session.info[WRITER] = True
            row = await session.get(WebhookDelivery, claimed.id)
            if row is None:
                return
            for name, value in values.items():
                setattr(row, name, value)
            row.attempt_log = [*row.attempt_log, entry]
        metrics.WEBHOOK_DELIVERIES.labels(outcome="delivered" if outcome.delivered else "failed").inc()

    async def deliver_due(self) -> int:
        claimed = await self._claim()
        outcomes = await asyncio.gather(*(self._send(c) for c in claimed))
        for item, outcome in zip(claimed, outcomes, strict=True):
            try:
                await self._record(item, outcome)
            except Exception:
                # Its lease runs out and it is tried again; the other outcomes are still recorded.
                logger.exception("could not record the outcome of webhook delivery %s", item.id)
        return len(claimed)

    async def aclose(self) -> None:
        await self.client.aclose()


@asynccontextmanager
async def run_dispatcher(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, enabled: bool = True
) -> AsyncIterator[None]:
    """A dispatcher looping in the background for the duration of the block (`serve` with WEBHOOKS_IN_SERVE,
    `lab-registry worker`); on exit it finishes its round and stops. Does nothing when not enabled."""
    if not enabled:
        yield
        return
    dispatcher = Dispatcher(sessionmaker, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task
        await dispatcher.aclose()
