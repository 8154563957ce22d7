"""Who may write what, beyond a key's scopes: a key bound to labs writes only what belongs to them. One check,
which each resource's `guard` applies to a single write (app.crud) and the importer to each row."""

import uuid
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import REQUEST_STATE
from app.core.errors import Forbidden
from app.core.security import CALLER_STATE, ROOT, Caller
from app.crud import Guard
from app.models import Event, Lab, Project


class Area(StrEnum):
    """What a bound key may do with a resource: content of its labs (events, projects and their partners), its
    labs themselves (change, not create or delete), organizations (create only: a shared directory); never
    campaigns nor money."""

    content = "content"
    labs = "labs"
    organizations = "organizations"
    campaigns = "campaigns"
    funding = "funding"


def caller_of(session: AsyncSession) -> Caller:
    """Who writes in this session: the request's caller, or the root of trust outside requests (CLI, seed)."""
    state = session.info.get(REQUEST_STATE)
    caller: Caller = ROOT if state is None else getattr(state, CALLER_STATE, ROOT)
    return caller


async def _lab_name(session: AsyncSession, lab_id: uuid.UUID | None) -> str:
    if lab_id is None:
        return "no lab"
    row = (await session.execute(select(Lab.name, Lab.slug).where(Lab.id == lab_id))).first()  # type: ignore[call-overload]
    return f"lab {row.name} ({row.slug})" if row is not None else f"lab {lab_id}"


async def check(
    session: AsyncSession,
    area: Area,
    noun: str,
    action: str,
    before: uuid.UUID | None,
    after: uuid.UUID | None,
) -> None:
    """Refuse (403, naming the lab) what a bound key may not write: `before`/`after` are the labs the row belongs
    to before and after the write (`before` unused on a create, `after` on a delete)."""
    labs = caller_of(session).labs
    if labs is None:
        return
    refusal = None
    if area in (Area.campaigns, Area.funding):
        refusal = f"A key bound to labs may not write {noun}s."
    elif area is Area.organizations and action != "create":
        refusal = "A key bound to labs may create organizations, not change or delete them."
    elif area is Area.labs and action == "create":
        refusal = "A key bound to labs may change its labs, not create labs."
    elif area is Area.labs and action == "delete":
        refusal = f"A key bound to labs may change its labs, not delete {await _lab_name(session, before)}."
    elif area in (Area.content, Area.labs):
        if action != "create" and before not in labs:
            refusal = f"This {noun} belongs to {await _lab_name(session, before)}, not to one of this key's labs."
        elif action != "delete" and after not in labs:
            verb = "create" if action == "create" else "move"
            refusal = (
                f"This key may not {verb} a {noun} for {await _lab_name(session, after)}: it writes for its labs only."
            )
    if refusal is not None:
        raise Forbidden(refusal)


LabOf = Callable[[AsyncSession, Mapping[str, Any]], Awaitable[uuid.UUID | None]]


def column(name: str) -> LabOf:
    """The lab a row names in one of its columns (`lab_id`; `id` for a lab itself)."""

    async def lab_of(_session: AsyncSession, row: Mapping[str, Any]) -> uuid.UUID | None:
        value: uuid.UUID | None = row.get(name)
        return value

    return lab_of


async def project_lab(session: AsyncSession, row: Mapping[str, Any]) -> uuid.UUID | None:
    """The lab of the project a row belongs to (a partner)."""
    lab_id: uuid.UUID | None = (
        await session.execute(select(Project.lab_id).where(Project.id == row.get("project_id")))  # type: ignore[call-overload]
    ).scalar_one_or_none()
    return lab_id


async def event_lab(session: AsyncSession, row: Mapping[str, Any]) -> uuid.UUID | None:
    """The lab of the event a row belongs to (a session)."""
    lab_id: uuid.UUID | None = (
        await session.execute(select(Event.lab_id).where(Event.id == row.get("event_id")))  # type: ignore[call-overload]
    ).scalar_one_or_none()
    return lab_id


def guard(area: Area, noun: str, lab_of: LabOf | None = None) -> Guard:
    """A resource's guard: `check` on the labs its rows belong to, before and after a write."""

    async def check_write(
        session: AsyncSession, action: str, current: Mapping[str, Any] | None, values: Mapping[str, Any] | None
    ) -> None:
        if caller_of(session).labs is None:
            return
        before = await lab_of(session, current) if lab_of is not None and current is not None else None
        after = await lab_of(session, values) if lab_of is not None and values is not None else None
        await check(session, area, noun, action, before, after)

    return check_write
