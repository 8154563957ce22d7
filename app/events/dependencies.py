"""Load-or-404 dependencies of events."""

from typing import Annotated

from fastapi import Depends, Path

from app.core.db import SessionDep
from app.crud.conditional import conditional
from app.events import service, sessions
from app.models import Event, EventSession


async def load_event(session: SessionDep, event: Annotated[str, Path(description="Event id.")]) -> Event:
    return await service.get_event(session, event)


EventDep = Annotated[Event, Depends(load_event)]
EventItem = Annotated[Event, Depends(conditional(load_event))]


async def load_session(
    session: SessionDep, event: EventDep, session_id: Annotated[str, Path(description="Session id.")]
) -> EventSession:
    return await sessions.get_session(session, event, session_id)


SessionItem = Annotated[EventSession, Depends(conditional(load_session))]


async def find_session(
    session: SessionDep, session_id: Annotated[str, Path(description="Session id.")]
) -> EventSession:
    return await sessions.find_session(session, session_id)


AnySessionItem = Annotated[EventSession, Depends(conditional(find_session))]
