"""Every table, imported once so Alembic and the relationships see them all."""

from app.models.audit import AuditEntry
from app.models.auth import ApiKey, ApiKeyLab
from app.models.base import Entity, UTCDateTime, utcnow
from app.models.campaigns import Campaign
from app.models.events import Event
from app.models.funding import Allocation, Disbursement, FundingStream
from app.models.idempotency import IdempotencyKey
from app.models.labs import Lab
from app.models.organizations import Organization
from app.models.projects import Project, ProjectPartner, ProjectStatusChange
from app.models.publication import PublicationChange
from app.models.reference import EventFormat, Region, Theme
from app.models.sessions import EventSession
from app.models.webhooks import WebhookDelivery, WebhookSubscription

__all__ = [
    "Allocation",
    "ApiKey",
    "ApiKeyLab",
    "AuditEntry",
    "Campaign",
    "Disbursement",
    "Entity",
    "Event",
    "EventFormat",
    "EventSession",
    "FundingStream",
    "IdempotencyKey",
    "Lab",
    "Organization",
    "Project",
    "ProjectPartner",
    "ProjectStatusChange",
    "PublicationChange",
    "Region",
    "Theme",
    "UTCDateTime",
    "WebhookDelivery",
    "WebhookSubscription",
    "utcnow",
]
