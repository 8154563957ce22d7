"""HTTP routes of funding: streams, allocations, and each allocation's disbursements."""

from functools import partial

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from app.core.db import SessionDep
from app.core.errors import error_responses
from app.core.schemas import Page, merge_patch
from app.crud.conditional import ItemRoute, created
from app.funding import scdl, service
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
from app.lists.export import streamed
from app.lists.fast import fast_list
from app.lists.params import LIST_EXPORTS
from app.lists.query import QueryModel
from app.models import Allocation, Disbursement, FundingStream

router = APIRouter(route_class=ItemRoute, tags=["funding"])

STREAMS = "/funding-streams"
STREAM = "/funding-streams/{stream}"
ALLOCATIONS = "/allocations"
ALLOCATION = "/allocations/{allocation}"
DISBURSEMENTS = "/allocations/{allocation}/disbursements"
DISBURSEMENT = "/allocations/{allocation}/disbursements/{disbursement}"


@router.get(STREAMS, response_model=Page[FundingStreamRead], responses={**LIST_EXPORTS, **error_responses(400, 422)})
@fast_list(service.STREAMS)
async def list_funding_streams(request: Request, params: QueryModel[FundingStreamFilters]) -> Response:
    """List funding streams, filtered and keyset-paginated."""
    return await service.STREAMS.respond(request, params)


@router.post(STREAMS, status_code=201, response_model=FundingStreamRead, responses=error_responses(409, 422))
async def create_funding_stream(
    session: SessionDep, request: Request, response: Response, body: FundingStreamCreate
) -> FundingStream:
    """Create a funding stream; its code must be new."""
    stream = await service.create_stream(session, body)
    created(request, response, stream, "get_funding_stream", stream=str(stream.id))
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
@fast_list(service.ALLOCATIONS)
async def list_allocations(request: Request, params: QueryModel[AllocationFilters]) -> Response:
    """List allocations, filtered by stream, beneficiary, status or decision date, and keyset-paginated."""
    return await service.ALLOCATIONS.respond(request, params)


@router.post(ALLOCATIONS, status_code=201, response_model=AllocationRead, responses=error_responses(409, 422))
async def create_allocation(
    session: SessionDep, request: Request, response: Response, body: AllocationCreate
) -> Allocation:
    """Allocate money from a stream to a lab, a project or an organization."""
    allocation = await service.create_allocation(session, body)
    created(request, response, allocation, "get_allocation", allocation=str(allocation.id))
    return allocation


@router.get(
    "/allocations.scdl.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **error_responses(400, 422)},
)
async def allocations_scdl(session: SessionDep, request: Request, params: QueryModel[AllocationFilters]) -> Response:
    """The matching committed allocations in the SCDL subventions 2.1.1 CSV layout; `X-Incomplete-Rows` counts
    rows lacking a required idAttribuant or dateConvention (exported with an empty cell)."""
    incomplete = await scdl.incomplete_rows(session, params)
    chunks = partial(scdl.scdl_chunks, params=params)
    media_type = "text/csv; charset=utf-8; header=present"
    response = await streamed(request, chunks, media_type, 'attachment; filename="subventions.csv"')
    response.headers[scdl.INCOMPLETE_HEADER] = str(incomplete)
    return response


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
    request: Request, allocation: AllocationDep, params: QueryModel[DisbursementFilters]
) -> Response:
    """List the disbursements paid against an allocation, keyset-paginated."""
    return await service.DISBURSEMENTS.respond(request, params, within={"allocation_id": allocation.id})


@router.post(DISBURSEMENTS, status_code=201, response_model=DisbursementRead, responses=error_responses(404, 409, 422))
async def create_disbursement(
    session: SessionDep, request: Request, response: Response, allocation: AllocationDep, body: DisbursementCreate
) -> Disbursement:
    """Record a payment against an allocation."""
    disbursement = await service.create_disbursement(session, allocation, body)
    created(
        request,
        response,
        disbursement,
        "get_disbursement",
        allocation=str(allocation.id),
        disbursement=str(disbursement.id),
    )
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
