"""Load-or-404 dependencies of events."""

from typing import Annotated

from fastapi import Depends, Path

from app.core.db import SessionDep
from app.crud.conditional import conditional
from app.events import service
from app.models import Event


async def load_event(session: SessionDep, event: Annotated[str, Path(description="Event id.")]) -> Event:
    return await service.get_event(session, event)


EventDep = Annotated[Event, Depends(load_event)]
EventItem = Annotated[Event, Depends(conditional(load_event))]
