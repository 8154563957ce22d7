"""Use cases of funding: streams, the allocations they award, and the disbursements paid against those."""

from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import crud
from app.core.crud import Blocker, PageResult, Reference, ResourceSpec
from app.core.errors import NotFound
from app.core.pagination import sorts_for
from app.funding.schemas import (
    AllocationCreate,
    AllocationFilters,
    DisbursementCreate,
    DisbursementFilters,
    FundingStreamCreate,
    FundingStreamFilters,
)
from app.models import Allocation, Disbursement, FundingStream, Lab, Organization, Project

STREAM_SPEC = ResourceSpec(
    model=FundingStream,
    noun="funding stream",
    sorts=sorts_for(FundingStream, "code", "name"),
    default_sort="code",
    slug_field="code",
    search_fields=("code", "name", "description"),
    unique_fields=("code", "external_id"),
    references={"managing_organization_id": Reference(Organization, "organization")},
    blockers=(Blocker("allocations", Allocation.stream_id),),  # type: ignore[arg-type]
)

ALLOCATION_SPEC = ResourceSpec(
    model=Allocation,
    noun="allocation",
    sorts=sorts_for(Allocation, "amount_cents"),
    default_sort="created_at",
    search_fields=("reference", "purpose"),
    unique_fields=("external_id",),
    references={
        "stream_id": Reference(FundingStream, "funding stream"),
        "lab_id": Reference(Lab, "lab"),
        "project_id": Reference(Project, "project"),
        "organization_id": Reference(Organization, "organization"),
    },
    blockers=(Blocker("disbursements", Disbursement.allocation_id),),  # type: ignore[arg-type]
)

DISBURSEMENT_SPEC = ResourceSpec(
    model=Disbursement,
    noun="disbursement",
    sorts=sorts_for(Disbursement, "paid_on"),
    default_sort="paid_on",
    unique_fields=("external_id",),
)


def stream_code(ident: str) -> str:
    """Codes are stored upper-case; a path or filter may give them in any case (`ftap` is `FTAP`)."""
    return ident.upper()


def stream_ids(value: str) -> CompoundSelect[Any]:
    """Streams a filter names: by id, external_id or code, the code in any case as in paths."""
    by_code = select(STREAM_SPEC.column("id")).where(STREAM_SPEC.column("code") == stream_code(value))
    return crud.reference_ids(FundingStream, value, "code").union(by_code)


def stream_filters(params: FundingStreamFilters) -> list[ColumnElement[bool]]:
    return crud.common_filters(STREAM_SPEC, params.q, params.updated_since)


async def list_streams(session: AsyncSession, params: FundingStreamFilters) -> PageResult:
    return await crud.list_page(session, STREAM_SPEC, stream_filters(params), params.list_query(params.sort))


async def get_stream(session: AsyncSession, ident: str) -> FundingStream:
    return await crud.get(session, STREAM_SPEC, stream_code(ident))


async def create_stream(session: AsyncSession, data: FundingStreamCreate) -> FundingStream:
    return await crud.insert(session, STREAM_SPEC, data.model_dump())


async def replace_stream(session: AsyncSession, stream: FundingStream, data: FundingStreamCreate) -> FundingStream:
    return await crud.update(session, STREAM_SPEC, stream, data.model_dump())


async def delete_stream(session: AsyncSession, stream: FundingStream) -> None:
    """Refused while allocations still draw on the stream: deleting it would orphan their money."""
    await crud.delete(session, STREAM_SPEC, stream)


def allocation_filters(params: AllocationFilters) -> list[ColumnElement[bool]]:
    where = crud.common_filters(ALLOCATION_SPEC, params.q, params.updated_since)
    column = ALLOCATION_SPEC.column
    if params.stream:
        where.append(column("stream_id").in_(stream_ids(params.stream)))
    if params.lab:
        where.append(column("lab_id").in_(crud.reference_ids(Lab, params.lab)))
    if params.project:
        where.append(column("project_id").in_(crud.reference_ids(Project, params.project)))
    if params.organization:
        where.append(column("organization_id").in_(crud.reference_ids(Organization, params.organization)))
    if params.status:
        where.append(column("status") == params.status)
    if params.nature:
        where.append(column("nature") == params.nature)
    if params.decided_after:
        where.append(column("decided_on") >= params.decided_after)
    if params.decided_before:
        where.append(column("decided_on") <= params.decided_before)
    return where


async def list_allocations(session: AsyncSession, params: AllocationFilters) -> PageResult:
    return await crud.list_page(session, ALLOCATION_SPEC, allocation_filters(params), params.list_query(params.sort))


async def get_allocation(session: AsyncSession, ident: str) -> Allocation:
    return await crud.get(session, ALLOCATION_SPEC, ident)


async def create_allocation(session: AsyncSession, data: AllocationCreate) -> Allocation:
    return await crud.insert(session, ALLOCATION_SPEC, data.model_dump())


async def replace_allocation(session: AsyncSession, allocation: Allocation, data: AllocationCreate) -> Allocation:
    return await crud.update(session, ALLOCATION_SPEC, allocation, data.model_dump())


async def delete_allocation(session: AsyncSession, allocation: Allocation) -> None:
    """Refused while disbursements were paid against it: the payments must keep their allocation."""
    await crud.delete(session, ALLOCATION_SPEC, allocation)


def disbursement_filters(allocation: Allocation, params: DisbursementFilters) -> list[ColumnElement[bool]]:
    where = crud.common_filters(DISBURSEMENT_SPEC, None, params.updated_since)
    where.append(DISBURSEMENT_SPEC.column("allocation_id") == allocation.id)
    if params.paid_after:
        where.append(DISBURSEMENT_SPEC.column("paid_on") >= params.paid_after)
    if params.paid_before:
        where.append(DISBURSEMENT_SPEC.column("paid_on") <= params.paid_before)
    return where


async def list_disbursements(session: AsyncSession, allocation: Allocation, params: DisbursementFilters) -> PageResult:
    where = disbursement_filters(allocation, params)
    return await crud.list_page(session, DISBURSEMENT_SPEC, where, params.list_query(params.sort))


async def get_disbursement(session: AsyncSession, allocation: Allocation, ident: str) -> Disbursement:
    """A disbursement exists only under its own allocation: another allocation's is a 404, not a leak."""
    disbursement = await crud.get(session, DISBURSEMENT_SPEC, ident)
    if disbursement.allocation_id != allocation.id:
        raise NotFound(f"No disbursement with id '{ident}' on this allocation.")
    return disbursement


async def create_disbursement(session: AsyncSession, allocation: Allocation, data: DisbursementCreate) -> Disbursement:
    return await crud.insert(session, DISBURSEMENT_SPEC, {**data.model_dump(), "allocation_id": allocation.id})


async def replace_disbursement(
    session: AsyncSession, disbursement: Disbursement, data: DisbursementCreate
) -> Disbursement:
    return await crud.update(session, DISBURSEMENT_SPEC, disbursement, data.model_dump())


async def delete_disbursement(session: AsyncSession, disbursement: Disbursement) -> None:
    await crud.delete(session, DISBURSEMENT_SPEC, disbursement)
