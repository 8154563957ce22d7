"""Webhook subscriptions and their deliveries (admin scope)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from app.core.db import SessionDep
from app.core.errors import error_responses
from app.core.schemas import Page, merge_patch
from app.core.urls import url_for
from app.lists.pages import json_page_response
from app.lists.query import QueryModel
from app.models.webhooks import WebhookDelivery, WebhookSubscription
from app.webhooks import service
from app.webhooks.schemas import (
    DeliveryFilters,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookPatch,
    WebhookRead,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


async def load_subscription(
    session: SessionDep, webhook_id: Annotated[uuid.UUID, Path(description="The subscription's id.")]
) -> WebhookSubscription:
    return await service.get_subscription(session, webhook_id)


SubscriptionDep = Annotated[WebhookSubscription, Depends(load_subscription)]


def _allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.webhook_allow_private_urls)


@router.get("", response_model=list[WebhookRead])
async def list_webhooks(session: SessionDep) -> list[WebhookSubscription]:
    """Every subscription, oldest first; never their secrets."""
    return await service.list_subscriptions(session)


@router.post("", status_code=201, response_model=WebhookCreated, responses=error_responses(400, 422))
async def create_webhook(
    session: SessionDep, request: Request, response: Response, body: WebhookCreate
) -> WebhookSubscription:
    """Subscribe a URL to changes from now on; the answer is the only time the secret is shown."""
    row = await service.create_subscription(session, body, _allow_private(request))
    response.headers["Location"] = url_for(request, "get_webhook", webhook_id=str(row.id))
    return row


@router.get("/{webhook_id}", response_model=WebhookRead, responses=error_responses(404))
async def get_webhook(subscription: SubscriptionDep) -> WebhookSubscription:
    """One subscription, without its secret."""
    return subscription


@router.patch("/{webhook_id}", response_model=WebhookRead, responses=error_responses(404, 422))
async def update_webhook(
    session: SessionDep,
    request: Request,
    subscription: SubscriptionDep,
    patch: WebhookPatch,  # type: ignore[valid-type]
) -> WebhookSubscription:
    """Change the URL, event types, description or active flag (JSON merge patch)."""
    body = merge_patch(WebhookCreate, subscription, patch)
    return await service.replace_subscription(session, subscription, body, _allow_private(request))


@router.delete("/{webhook_id}", status_code=204, responses=error_responses(404))
async def delete_webhook(session: SessionDep, subscription: SubscriptionDep) -> None:
    """Remove a subscription and its deliveries; nothing more is sent to it."""
    await service.delete_subscription(session, subscription)


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryRead], responses=error_responses(400, 404, 422))
async def list_deliveries(
    session: SessionDep,
    request: Request,
    subscription: SubscriptionDep,
    params: QueryModel[DeliveryFilters],
) -> Response:
    """Deliveries, newest first: status, attempts with their status codes, errors and timings, the payload."""
    return json_page_response(request, DeliveryRead, await service.list_deliveries(session, subscription, params))


DeliveryId = Annotated[uuid.UUID, Path(description="The delivery's id.")]


@router.get("/{webhook_id}/deliveries/{delivery_id}", response_model=DeliveryRead, responses=error_responses(404))
async def get_delivery(session: SessionDep, subscription: SubscriptionDep, delivery_id: DeliveryId) -> WebhookDelivery:
    """One delivery with its attempts."""
    return await service.get_delivery(session, subscription, delivery_id)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=201,
    response_model=DeliveryRead,
    responses=error_responses(404),
)
async def redeliver(
    session: SessionDep,
    request: Request,
    response: Response,
    subscription: SubscriptionDep,
    delivery_id: DeliveryId,
) -> WebhookDelivery:
    """Send a message again: a new delivery with the same `webhook-id`, sent on the dispatcher's next round."""
    row = await service.redeliver(session, await service.get_delivery(session, subscription, delivery_id))
    response.headers["Location"] = url_for(
        request, "get_delivery", webhook_id=str(subscription.id), delivery_id=str(row.id)
    )
    return row
