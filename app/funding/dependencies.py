"""Load-or-404 dependencies of funding streams, allocations and disbursements."""

from typing import Annotated

from fastapi import Depends, Path

from app.core.db import SessionDep
from app.crud.conditional import conditional
from app.funding import service
from app.models import Allocation, Disbursement, FundingStream


async def load_stream(
    session: SessionDep, stream: Annotated[str, Path(description="Funding stream id, or code in any case.")]
) -> FundingStream:
    return await service.get_stream(session, stream)


FundingStreamDep = Annotated[FundingStream, Depends(load_stream)]
FundingStreamItem = Annotated[FundingStream, Depends(conditional(load_stream))]


async def load_allocation(
    session: SessionDep, allocation: Annotated[str, Path(description="Allocation id.")]
) -> Allocation:
    return await service.get_allocation(session, allocation)


AllocationDep = Annotated[Allocation, Depends(load_allocation)]
AllocationItem = Annotated[Allocation, Depends(conditional(load_allocation))]


async def load_disbursement(
    session: SessionDep,
    allocation: AllocationDep,
    disbursement: Annotated[str, Path(description="Disbursement id.")],
) -> Disbursement:
    return await service.get_disbursement(session, allocation, disbursement)


DisbursementDep = Annotated[Disbursement, Depends(load_disbursement)]
DisbursementItem = Annotated[Disbursement, Depends(conditional(load_disbursement))]
