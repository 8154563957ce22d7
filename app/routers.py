"""Every router of the API, in the order the documentation shows them."""

from typing import Any

from fastapi import APIRouter

from app.audit.router import router as audit_router
from app.auth.router import router as api_keys_router
from app.auth.schemas import Scope
from app.campaigns.router import router as campaigns_router
from app.changes.router import router as changes_router
from app.events.router import router as events_router
from app.events.session_router import router as sessions_router
from app.find.router import router as find_router
from app.funding.router import router as funding_router
from app.imports.router import router as imports_router
from app.labs.router import router as labs_router
from app.opendata.router import router as opendata_router
from app.organizations.router import router as organizations_router
from app.projects.router import router as projects_router
from app.reference.router import router as reference_router
from app.stats.router import router as stats_router
from app.webhooks.router import router as webhooks_router

API_PREFIX = "/api/v1"

# Guarded by method: reads public (or any valid key, by setting), writes need the scope each router names (None:
# a key, the route checking its scope).
ROUTERS: list[tuple[APIRouter, Scope | None]] = [
    (reference_router, Scope.write),
    (organizations_router, Scope.write),
    (labs_router, Scope.write),
    (funding_router, Scope.funding),
    (projects_router, Scope.write),
    (campaigns_router, Scope.write),
    (events_router, Scope.write),
    (sessions_router, Scope.write),
    (find_router, Scope.write),
    (stats_router, Scope.write),
    (changes_router, Scope.write),
    (imports_router, None),
    (opendata_router, Scope.write),
]

# Guarded as a whole: every operation needs the `admin` scope.
ADMIN_ROUTERS: list[APIRouter] = [api_keys_router, audit_router, webhooks_router]

TAGS: list[dict[str, Any]] = [
    {"name": "reference", "description": "Regions, themes and event formats (read-only, shipped by migrations)."},
    {"name": "organizations", "description": "Public and social-economy actors: hosts, partners, organizers, funders."},
    {"name": "labs", "description": "Territorial public-innovation labs."},
    {"name": "funding", "description": "Funding streams (FTAP, France Relance), allocations and disbursements."},
    {"name": "projects", "description": "Transformation projects and actions, their partners and status history."},
    {"name": "campaigns", "description": "Named periods of events, such as the Mois de l'innovation publique."},
    {"name": "events", "description": "Webinars, trainings, workshops and other events."},
    {"name": "sessions", "description": "The dated sessions of events, and the agenda of sessions across events."},
    {"name": "search", "description": "One French full-text search across labs, projects, events and organizations."},
    {"name": "api-keys", "description": "API keys and their scopes (admin scope)."},
    {"name": "audit", "description": "Every write, who made it and what it changed (admin scope)."},
    {"name": "stats", "description": "Figures computed from the data: overview, events, projects, funding, coverage."},
    {"name": "changes", "description": "Every create, update and delete in commit order, to stay in sync."},
    {"name": "imports", "description": "Bulk upserts from CSV (Excel's too) or JSON Lines files, with a report."},
    {"name": "webhooks", "description": "Signed deliveries of changes to subscribed URLs (admin scope)."},
    {"name": "opendata", "description": "The Frictionless Data Package describing every export (Licence Ouverte 2.0)."},
]
