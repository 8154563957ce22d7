"""Key management (admin scope): list, create (the key is shown once), revoke."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.auth import service
from app.auth.dependencies import CallerDep
from app.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from app.core.db import SessionDep
from app.core.errors import Gone, error_responses
from app.core.urls import url_for

router = APIRouter(prefix="/api-keys", tags=["api-keys"])

KeyIdent = Annotated[
    str, Path(description="Key id, its prefix as shown by the list, or the key itself.", max_length=64)
]


@router.get("", response_model=list[ApiKeyRead])
async def list_api_keys(session: SessionDep) -> list[ApiKeyRead]:
    """Every key, revoked and expired ones included, with the labs each is bound to; never the keys themselves."""
    return await service.list_keys(session)


@router.post("", status_code=201, response_model=ApiKeyCreated, responses=error_responses(400, 403, 409, 422))
async def create_api_key(
    session: SessionDep, request: Request, response: Response, caller: CallerDep, body: ApiKeyCreate
) -> ApiKeyCreated:
    """Create a key, within the creating key's scopes, expiry and labs; the answer is the only time it is shown."""
    row, key = await service.create_key(
        session, name=body.name, scopes=body.scopes, expires_at=body.expires_at, labs=body.labs, issuer=caller
    )
    response.headers["Location"] = url_for(request, "get_api_key", key=str(row.id))
    (read,) = await service.read_keys(session, [row])
    return ApiKeyCreated.model_validate({**read.model_dump(), "key": key})


@router.get("/{key}", response_model=ApiKeyRead, responses=error_responses(404, 410))
async def get_api_key(session: SessionDep, key: KeyIdent) -> ApiKeyRead:
    """One key, by id, prefix or the key itself; a revoked key is gone (410, the key as it was in the problem)."""
    row = await service.get_key(session, key)
    (read,) = await service.read_keys(session, [row])
    if row.revoked_at is not None:
        gone = Gone(f"The API key {row.prefix} was revoked at {row.revoked_at.isoformat()}.")
        gone.extensions = read.model_dump(mode="json")
        raise gone
    return read


@router.delete("/{key}", status_code=204, responses=error_responses(404))
async def revoke_api_key(session: SessionDep, key: KeyIdent) -> None:
    """Revoke a key at once and for good; it stays listed with its `revoked_at`."""
    await service.revoke_key(session, await service.get_key(session, key))
