"""Load-or-404 dependencies of labs."""

from typing import Annotated

from fastapi import Depends, Path

from app.core.db import SessionDep
from app.crud.conditional import conditional
from app.labs import service
from app.models import Lab


async def load_lab(session: SessionDep, lab: Annotated[str, Path(description="Lab id or slug.")]) -> Lab:
    return await service.get_lab(session, lab)


LabDep = Annotated[Lab, Depends(load_lab)]
LabItem = Annotated[Lab, Depends(conditional(load_lab))]
