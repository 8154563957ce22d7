"""HTTP routes of funding: streams, allocations, and each allocation's disbursements."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from app.core.concurrency import ItemRoute
from app.core.db import SessionDep, read_connection
from app.core.direct import direct_list
from app.core.errors import error_responses
from app.core.listing import page_response
from app.core.query import QueryModel
from app.core.schemas import LIST_EXPORTS, Page, merge_patch
from app.exports import scdl
from app.exports.lists import in_own_session
from app.funding import service
from app.funding.dependencies import (
    AllocationDep,
    AllocationItem,
    DisbursementItem,
    FundingStreamItem,
)
from app.funding.schemas import (
    AllocationCreate,
    AllocationFilters,
    AllocationRead,
    AllocationUpdate,
    DisbursementCreate,
    DisbursementFilters,
    DisbursementRead,
    DisbursementUpdate,
    FundingStreamCreate,
    FundingStreamFilters,
    FundingStreamRead,
    FundingStreamUpdate,
)
from app.models import Allocation, Disbursement, FundingStream

router = APIRouter(route_class=ItemRoute, tags=["funding"])

STREAMS = "/funding-streams"
STREAM = "/funding-streams/{stream}"
ALLOCATIONS = "/allocations"
ALLOCATION = "/allocations/{allocation}"
DISBURSEMENTS = "/allocations/{allocation}/disbursements"
DISBURSEMENT = "/allocations/{allocation}/disbursements/{disbursement}"


@router.get(STREAMS, response_model=Page[FundingStreamRead], responses={**LIST_EXPORTS, **error_responses(400, 422)})
@direct_list(FundingStreamRead, service.list_streams)
async def list_funding_streams(
    session: SessionDep, request: Request, params: QueryModel[FundingStreamFilters]
) -> Response:
    """List funding streams, filtered and keyset-paginated."""
    return page_response(request, FundingStreamRead, await service.list_streams(await read_connection(session), params))


@router.post(STREAMS, status_code=201, response_model=FundingStreamRead, responses=error_responses(409, 422))
async def create_funding_stream(
    session: SessionDep, request: Request, response: Response, body: FundingStreamCreate
) -> FundingStream:
    """Create a funding stream; its code must be new."""
    stream = await service.create_stream(session, body)
    response.headers["Location"] = str(request.url_for("get_funding_stream", stream=str(stream.id)))
    return stream


@router.get(STREAM, response_model=FundingStreamRead, responses=error_responses(404))
async def get_funding_stream(stream: FundingStreamItem) -> FundingStream:
    """Read one funding stream, by id or by code in any case (`ftap` is `FTAP`)."""
    return stream


@router.patch(STREAM, response_model=FundingStreamRead, responses=error_responses(404, 409, 422))
async def update_funding_stream(
    session: SessionDep,
    stream: FundingStreamItem,
    body: FundingStreamUpdate,  # type: ignore[valid-type]
) -> FundingStream:
    """Change some fields of a funding stream (JSON merge patch: `null` clears a field)."""
    return await service.replace_stream(session, stream, merge_patch(FundingStreamCreate, stream, body))


@router.put(STREAM, response_model=FundingStreamRead, responses=error_responses(404, 409, 422))
async def replace_funding_stream(
    session: SessionDep, stream: FundingStreamItem, body: FundingStreamCreate
) -> FundingStream:
    """Replace a funding stream with a full representation; omitted optional fields are cleared."""
    return await service.replace_stream(session, stream, body)


@router.delete(STREAM, status_code=204, responses=error_responses(404, 409))
async def delete_funding_stream(session: SessionDep, stream: FundingStreamItem) -> None:
    """Delete a funding stream; refused (409) while allocations draw on it."""
    await service.delete_stream(session, stream)


@router.get(ALLOCATIONS, response_model=Page[AllocationRead], responses={**LIST_EXPORTS, **error_responses(400, 422)})
@direct_list(AllocationRead, service.list_allocations)
async def list_allocations(session: SessionDep, request: Request, params: QueryModel[AllocationFilters]) -> Response:
    """List allocations, filtered by stream, beneficiary, status or decision date, and keyset-paginated."""
    return page_response(
        request, AllocationRead, await service.list_allocations(await read_connection(session), params)
    )


@router.post(ALLOCATIONS, status_code=201, response_model=AllocationRead, responses=error_responses(409, 422))
async def create_allocation(
    session: SessionDep, request: Request, response: Response, body: AllocationCreate
) -> Allocation:
    """Allocate money from a stream to a lab, a project or an organization."""
    allocation = await service.create_allocation(session, body)
    response.headers["Location"] = str(request.url_for("get_allocation", allocation=str(allocation.id)))
    return allocation


@router.get(
    "/allocations.scdl.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **error_responses(400, 422)},
)
async def allocations_scdl(
    session: SessionDep, request: Request, params: QueryModel[AllocationFilters]
) -> StreamingResponse:
    """The matching allocations in the SCDL subventions 2.1.1 CSV layout; `X-Incomplete-Rows` counts rows
    lacking the required idAttribuant (exported with an empty cell)."""
    incomplete = await scdl.incomplete_rows(session, params)
    return StreamingResponse(
        in_own_session(request.app.state.sessionmaker, lambda own: scdl.scdl_chunks(own, params)),
        media_type="text/csv; charset=utf-8; header=present",
        headers={
            scdl.INCOMPLETE_HEADER: str(incomplete),
            "Content-Disposition": 'attachment; filename="subventions.csv"',
        },
    )


@router.get(ALLOCATION, response_model=AllocationRead, responses=error_responses(404))
async def get_allocation(allocation: AllocationItem) -> Allocation:
    """Read one allocation, by id."""
    return allocation


@router.patch(ALLOCATION, response_model=AllocationRead, responses=error_responses(404, 409, 422))
async def update_allocation(
    session: SessionDep,
    allocation: AllocationItem,
    body: AllocationUpdate,  # type: ignore[valid-type]
) -> Allocation:
    """Change some fields of an allocation (JSON merge patch: `null` clears a field)."""
    return await service.replace_allocation(session, allocation, merge_patch(AllocationCreate, allocation, body))


@router.put(ALLOCATION, response_model=AllocationRead, responses=error_responses(404, 409, 422))
async def replace_allocation(session: SessionDep, allocation: AllocationItem, body: AllocationCreate) -> Allocation:
    """Replace an allocation with a full representation; omitted optional fields are cleared."""
    return await service.replace_allocation(session, allocation, body)


@router.delete(ALLOCATION, status_code=204, responses=error_responses(404, 409))
async def delete_allocation(session: SessionDep, allocation: AllocationItem) -> None:
    """Delete an allocation; refused (409) while disbursements were paid against it."""
    await service.delete_allocation(session, allocation)


@router.get(
    DISBURSEMENTS, response_model=Page[DisbursementRead], responses={**LIST_EXPORTS, **error_responses(400, 404, 422)}
)
async def list_disbursements(
    session: SessionDep,
    request: Request,
    allocation: AllocationDep,
    params: QueryModel[DisbursementFilters],
) -> Response:
    """List the disbursements paid against an allocation, keyset-paginated."""
    return page_response(
        request, DisbursementRead, await service.list_disbursements(await read_connection(session), allocation, params)
    )


@router.post(DISBURSEMENTS, status_code=201, response_model=DisbursementRead, responses=error_responses(404, 409, 422))
async def create_disbursement(
    session: SessionDep, request: Request, response: Response, allocation: AllocationDep, body: DisbursementCreate
) -> Disbursement:
    """Record a payment against an allocation."""
    disbursement = await service.create_disbursement(session, allocation, body)
    location = request.url_for("get_disbursement", allocation=str(allocation.id), disbursement=str(disbursement.id))
    response.headers["Location"] = str(location)
    return disbursement


@router.get(DISBURSEMENT, response_model=DisbursementRead, responses=error_responses(404))
async def get_disbursement(disbursement: DisbursementItem) -> Disbursement:
    """Read one disbursement of an allocation."""
    return disbursement


@router.patch(DISBURSEMENT, response_model=DisbursementRead, responses=error_responses(404, 409, 422))
async def update_disbursement(
    session: SessionDep,
    disbursement: DisbursementItem,
    body: DisbursementUpdate,  # type: ignore[valid-type]
) -> Disbursement:
    """Change some fields of a disbursement (JSON merge patch: `null` clears a field)."""
    patched = merge_patch(DisbursementCreate, disbursement, body)
    return await service.replace_disbursement(session, disbursement, patched)


@router.put(DISBURSEMENT, response_model=DisbursementRead, responses=error_responses(404, 409, 422))
async def replace_disbursement(
    session: SessionDep, disbursement: DisbursementItem, body: DisbursementCreate
) -> Disbursement:
    """Replace a disbursement with a full representation; omitted optional fields are cleared."""
    return await service.replace_disbursement(session, disbursement, body)


@router.delete(DISBURSEMENT, status_code=204, responses=error_responses(404))
async def delete_disbursement(session: SessionDep, disbursement: DisbursementItem) -> None:
    """Delete a disbursement."""
    await service.delete_disbursement(session, disbursement)
