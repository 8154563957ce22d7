"""Subscriptions and their deliveries: rules, secrets, target checks.

The outbox: every change already writes its audit entry in its own transaction (`app.audit.trail`), and that
entry gets its feed `seq` as the transaction commits. That entry *is* the outbox row: the dispatcher fans new
feed entries out into delivery rows per matching subscription, and each subscription keeps its `position` (the
last seq fanned out) in the same transaction as the deliveries it created. A change that committed is thus
always delivered, and one that rolled back never is, without a second write in every request.
"""

import asyncio
import base64
import ipaddress
import secrets
import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import trail
from app.auth.permissions import caller_of
from app.core.errors import FieldError, InvalidInput, NotFound
from app.lists.pages import PageResult
from app.lists.pagination import SortKey, cursor_values, next_cursor, seek
from app.models.audit import AuditEntry
from app.models.base import utcnow
from app.models.webhooks import WebhookDelivery, WebhookSubscription
from app.publication.visibility import sight
from app.webhooks.schemas import DeliveryFilters, WebhookCreate

_AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
_DELIVERIES = WebhookDelivery.__table__  # type: ignore[attr-defined]
_SUBSCRIPTIONS = WebhookSubscription.__table__  # type: ignore[attr-defined]
_NEWEST_FIRST = "-seq"
DELIVERY_SORT = SortKey(_DELIVERIES.c.seq, descending=True)


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    """A `webhook-id`: kept across retries and redeliveries so that receivers can drop duplicates."""
    return f"msg_{uuid.uuid4().hex}"


# Local-use NAT64 (RFC 8215): where the IPv4 address sits depends on the network's prefix length, so no part of
# it can be checked; the well-known prefix 64:ff9b::/96 carries it in its last 32 bits.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


class TargetRefused(Exception):
    """A webhook target's name does not resolve, or resolves to an address it may not reach."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries: IPv4-compatible, NAT64, 6to4 or Teredo (its client)."""
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def _is_public(address: str) -> bool:
    """A global unicast address; an IPv6 one that carries an IPv4 address only when that one is public too."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _LOCAL_NAT64:
            return False
        elif (embedded := _embedded_ipv4(ip)) is not None and not _is_public(str(embedded)):
            return False
    return ip.is_global and not ip.is_multicast


async def resolve(host: str) -> list[str]:
    """The addresses a name resolves to, in the resolver's order (an IP literal resolves to itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_addresses(host: str, *, allow_private: bool) -> list[str]:
    """The addresses of a target's host, each allowed (public, unless `allow_private`); TargetRefused otherwise.

    The dispatcher connects to one of these very addresses, so the name is resolved once per connection.
    """
    try:
        addresses = await resolve(host)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise TargetRefused(f"the host {host!r} does not resolve")
    private = [address for address in addresses if not allow_private and not _is_public(address)]
    if private:
        listed = ", ".join(sorted(private))
        raise TargetRefused(f"the host {host!r} resolves to a private, loopback or reserved address ({listed})")
    return addresses


async def target_problem(url: str, *, allow_private: bool) -> str | None:
    """Why a URL may not be a subscription's target (None when it may): it must resolve, only to public
    addresses. Deliveries check again at every connection (`checked_addresses`)."""
    if allow_private:
        return None
    try:
        await checked_addresses(urlsplit(url).hostname or "", allow_private=False)
    except TargetRefused as refused:
        return str(refused)
    return None


async def _check_target(url: str, allow_private: bool) -> None:
    problem = await target_problem(url, allow_private=allow_private)
    if problem:
        raise InvalidInput([FieldError(loc=["body", "url"], msg=problem, type="value_error")])


def _audited(row: WebhookSubscription) -> dict[str, Any]:
    """What the audit trail keeps of a subscription: never its secret."""
    return row.model_dump(mode="json", exclude={"secret", "position", "updated_at"})


def _audit(session: AsyncSession, action: str, row: WebhookSubscription, before: dict[str, Any]) -> None:
    after = _audited(row) if action != "delete" else {}
    trail.record(
        session, action=action, entity_type="webhook", entity_id=row.id, version=None, before=before, after=after
    )


async def list_subscriptions(session: AsyncSession) -> list[WebhookSubscription]:
    stmt = select(WebhookSubscription).order_by(_SUBSCRIPTIONS.c.created_at, _SUBSCRIPTIONS.c.id)
    return list((await session.execute(stmt)).scalars())


async def get_subscription(session: AsyncSession, ident: uuid.UUID) -> WebhookSubscription:
    row = await session.get(WebhookSubscription, ident)
    if row is None:
        raise NotFound("No webhook subscription has this id.")
    return row


async def create_subscription(session: AsyncSession, body: WebhookCreate, allow_private: bool) -> WebhookSubscription:
    """A subscription receives the changes committed after it: its position starts at the feed's end. It sees
    the drafts its creating key sees (app.publication.visibility), and keeps that."""
    await _check_target(body.url, allow_private)
    position: int = (await session.execute(select(func.coalesce(func.max(_AUDIT.c.seq), 0)))).scalar_one()
    seen = sight(caller_of(session))
    row = WebhookSubscription(
        **body.model_dump(),
        secret=new_secret(),
        position=position,
        sees_drafts=not seen.nothing,
        drafts_of_labs=None if seen.everything or seen.nothing else sorted(str(lab) for lab in seen.labs),
    )
    session.add(row)
    await session.flush()
    _audit(session, "create", row, {})
    return row


async def replace_subscription(
    session: AsyncSession, row: WebhookSubscription, body: WebhookCreate, allow_private: bool
) -> WebhookSubscription:
    if body.url != row.url:
        await _check_target(body.url, allow_private)
    before = _audited(row)
    for name, value in body.model_dump().items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    await session.flush()
    _audit(session, "update", row, before)
    return row


async def delete_subscription(session: AsyncSession, row: WebhookSubscription) -> None:
    """Its deliveries go with it (ON DELETE CASCADE)."""
    before = _audited(row)
    await session.execute(_DELIVERIES.delete().where(_DELIVERIES.c.subscription_id == row.id))
    await session.delete(row)
    await session.flush()
    _audit(session, "delete", row, before)


async def list_deliveries(
    session: AsyncSession, subscription: WebhookSubscription, params: DeliveryFilters
) -> PageResult:
    c = _DELIVERIES.c
    stmt = select(_DELIVERIES).where(c.subscription_id == subscription.id)
    if params.status:
        stmt = stmt.where(c.status == params.status)
    after = None if params.cursor is None else cursor_values(params.cursor, _NEWEST_FIRST, DELIVERY_SORT, c.id)
    stmt = seek(stmt, DELIVERY_SORT, c.id, after)
    rows = [dict(row) for row in (await session.execute(stmt.limit(params.limit + 1))).mappings()]
    return PageResult(
        rows=rows[: params.limit],
        next_cursor=next_cursor(rows, params.limit, DELIVERY_SORT, _NEWEST_FIRST),
        total=None,
    )


async def get_delivery(
    session: AsyncSession, subscription: WebhookSubscription, delivery_id: uuid.UUID
) -> WebhookDelivery:
    row = await session.get(WebhookDelivery, delivery_id)
    if row is None or row.subscription_id != subscription.id:
        raise NotFound("This subscription has no delivery with this id.")
    return row


async def redeliver(session: AsyncSession, delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same message (same `webhook-id` and payload), whatever became of the first one.

    It is queued behind nothing but the entity's pending deliveries, and its attempts start afresh; the
    original keeps its history.
    """
    row = WebhookDelivery(
        subscription_id=delivery.subscription_id,
        message_id=delivery.message_id,
        seq=delivery.seq,
        event_type=delivery.event_type,
        entity_id=delivery.entity_id,
        payload=delivery.payload,
    )
    session.add(row)
    await session.flush()
    return row
