"""Applying the publication rules to a write, and keeping each move in the history."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit import trail
from app.auth.permissions import caller_of
from app.core.errors import NotFound
from app.models import PublicationChange
from app.publication.rules import Publication, check_move, initial_state
from app.publication.visibility import can_see


def visible_or_404(session: AsyncSession, entity: Any, noun: str, ident: str) -> Any:
    """The row, when the caller may see it; else, for it, it does not exist."""
    if not can_see(caller_of(session), entity.publication, entity.lab_id):
        raise NotFound(f"No {noun} with id or slug '{ident}'.")
    return entity


def state_to_write(session: AsyncSession, current: str | None, values: dict[str, Any], noun: str) -> dict[str, Any]:
    """The row's values with the publication it is written with: the initial state of a new row (`current` None),
    or the move a change asks (checked); a `publication` left out keeps the current one. Single writes and
    imported rows alike."""
    caller = caller_of(session)
    asked = values.get("publication")
    if current is None:
        values["publication"] = initial_state(caller, Publication(asked) if asked else None, noun)
        return values
    if asked is None:
        values["publication"] = current
        return values
    check_move(caller, Publication(current), Publication(asked), values.get("publication_note"), noun)
    return values


async def record(
    session: AsyncSession, entity_type: str, entity_id: uuid.UUID, before: str | None, after: str, note: str | None
) -> None:
    """Keep a move (or a new row's first state) in the publication history, in the write's transaction."""
    if before == after:
        return
    session.add(
        PublicationChange(
            entity_type=entity_type,
            entity_id=entity_id,
            from_state=before,
            to_state=after,
            actor=trail.actor_of(session).name,
            note=note,
        )
    )
    await session.flush()


async def history(session: AsyncSession, entity_type: str, entity_id: uuid.UUID) -> Sequence[PublicationChange]:
    stmt = (
        select(PublicationChange)
        .where(col(PublicationChange.entity_type) == entity_type, col(PublicationChange.entity_id) == entity_id)
        .order_by(col(PublicationChange.id))
    )
    return (await session.execute(stmt)).scalars().all()
