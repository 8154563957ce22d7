"""The audit trail (admin scope)."""

from fastapi import APIRouter, Request, Response

from app.audit import service
from app.audit.schemas import AuditEntryRead, AuditFilters
from app.core.db import SessionDep
from app.core.errors import error_responses
from app.core.schemas import Page
from app.lists.pages import json_page_response
from app.lists.query import QueryModel

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=Page[AuditEntryRead], responses=error_responses(400, 422))
async def list_audit_entries(session: SessionDep, request: Request, params: QueryModel[AuditFilters]) -> Response:
    """Every write ever made — API, CLI, imports — filtered, oldest first; deleted entities' last state included."""
    return json_page_response(request, AuditEntryRead, await service.list_entries(session, params))
