"""Use cases of funding: streams, the allocations they award, the disbursements paid against those. Every money
rule (app.funding.rules) is checked after locking the parent row — the stream for commitments, the allocation
for payments, always in that order — so that racing writes see each other's result; a refusal is a 409.
"""

import operator
import uuid
from collections.abc import Hashable, Sequence
from typing import Any

from sqlalchemy import CompoundSelect, RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import crud
from app.auth import permissions
from app.auth.permissions import Area
from app.core.errors import Conflict, NotFound
from app.core.locking import lock_for_update
from app.crud import Blocker, Reference, ResourceSpec
from app.funding import rules
from app.funding.schemas import (
    AllocationCreate,
    AllocationFilters,
    AllocationRead,
    AllocationStatus,
    DisbursementCreate,
    DisbursementFilters,
    DisbursementRead,
    FundingStreamCreate,
    FundingStreamFilters,
    FundingStreamRead,
)
from app.lists.filters import Filter, Prepared, common, compare, named_ids, reference, reference_shape
from app.lists.listing import Listing
from app.models import Allocation, Disbursement, FundingStream, Lab, Organization, Project

STREAM_SPEC = ResourceSpec(
    model=FundingStream,
    guard=permissions.guard(Area.funding, "funding stream"),
    noun="funding stream",
    slug_field="code",
    search_fields=("name", "code", "description"),
    unique_fields=("code", "external_id"),
    references={"managing_organization_id": Reference(Organization, "organization")},
    blockers=(Blocker("allocations", Allocation.stream_id),),  # type: ignore[arg-type]
)

ALLOCATION_SPEC = ResourceSpec(
    model=Allocation,
    guard=permissions.guard(Area.funding, "allocation"),
    noun="allocation",
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
    guard=permissions.guard(Area.funding, "disbursement"),
    noun="disbursement",
    unique_fields=("external_id",),
)


COMMITTED = rules.COMMITTED


async def committed_cents(session: AsyncSession, stream_id: uuid.UUID, *, excluding: uuid.UUID | None) -> int:
    """What the stream's committed allocations add up to, leaving out the one being changed."""
    column = ALLOCATION_SPEC.column
    stmt = select(func.coalesce(func.sum(column("amount_cents")), 0)).where(
        column("stream_id") == stream_id, column("status") == COMMITTED
    )
    if excluding is not None:
        stmt = stmt.where(column("id") != excluding)
    return int((await session.execute(stmt)).scalar_one())


async def _disbursed_cents(session: AsyncSession, allocation_id: uuid.UUID, *, excluding: uuid.UUID | None) -> int:
    """What was paid against the allocation, leaving out the disbursement being changed."""
    column = DISBURSEMENT_SPEC.column
    stmt = select(func.coalesce(func.sum(column("amount_cents")), 0)).where(column("allocation_id") == allocation_id)
    if excluding is not None:
        stmt = stmt.where(column("id") != excluding)
    return int((await session.execute(stmt)).scalar_one())


async def _check_envelope(
    session: AsyncSession, stream: RowMapping, requested: int, *, allocation_id: uuid.UUID | None
) -> None:
    """Committing `requested` cents on a locked stream must keep its committed total within the envelope."""
    if stream["envelope_cents"] is None:
        return
    committed = await committed_cents(session, stream["id"], excluding=allocation_id)
    refusal = rules.commitment_refusal(stream["code"], stream["envelope_cents"], committed, requested)
    if refusal is not None:
        raise Conflict(refusal)


async def _check_payable(
    session: AsyncSession, allocation_id: uuid.UUID, requested: int, *, disbursement_id: uuid.UUID | None
) -> None:
    """Paying `requested` cents needs a committed allocation whose amount covers all its disbursements."""
    allocation = await lock_for_update(session, Allocation, allocation_id)
    if allocation is None:
        return
    disbursed = await _disbursed_cents(session, allocation_id, excluding=disbursement_id)
    refusal = rules.payment_refusal(
        allocation_id, allocation["status"], allocation["amount_cents"], disbursed, requested
    )
    if refusal is not None:
        raise Conflict(refusal)


def stream_code(ident: str) -> str:
    """Codes are stored upper-case; a path or filter may give them in any case (`ftap` is `FTAP`)."""
    return ident.upper()


def _stream_shape(value: str) -> Prepared:
    by_id, named = reference_shape(value)
    return by_id, (*named, stream_code(value))


def _streams_named(by_id: Hashable, values: Sequence[Any]) -> CompoundSelect[Any]:
    """Streams a filter names: by id, external_id or code, the code in any case as in paths."""
    by_code = select(STREAM_SPEC.column("id")).where(STREAM_SPEC.column("code") == values[1])
    return named_ids(FundingStream, bool(by_id), values[0], ("code",)).union(by_code)


def stream_ids(value: str) -> CompoundSelect[Any]:
    """Streams a filter value names (for stats)."""
    return _streams_named(*_stream_shape(value))


STREAMS = Listing(
    "funding-streams", STREAM_SPEC.table, FundingStreamRead, FundingStreamFilters, common(STREAM_SPEC.table)
)


async def get_stream(session: AsyncSession, ident: str) -> FundingStream:
    return await crud.get(session, STREAM_SPEC, stream_code(ident))


async def create_stream(session: AsyncSession, data: FundingStreamCreate) -> FundingStream:
    return await crud.insert(session, STREAM_SPEC, data.model_dump())


async def replace_stream(session: AsyncSession, stream: FundingStream, data: FundingStreamCreate) -> FundingStream:
    """An envelope may be lowered (or set) only down to what the stream has already committed.

    When the stream changed between its loading and its lock, the check is left to the version check of the
    write, which refuses the change anyway.
    """
    envelope = data.envelope_cents
    if envelope is not None and (stream.envelope_cents is None or envelope < stream.envelope_cents):
        current = await lock_for_update(session, FundingStream, stream.id)
        if current is not None and current["version"] == stream.version:
            committed = await committed_cents(session, stream.id, excluding=None)
            refusal = rules.envelope_refusal(stream.code, envelope, committed)
            if refusal is not None:
                raise Conflict(refusal)
    return await crud.update(session, STREAM_SPEC, stream, data.model_dump())


async def delete_stream(session: AsyncSession, stream: FundingStream) -> None:
    """Refused while allocations still draw on the stream: deleting it would orphan their money."""
    await crud.delete(session, STREAM_SPEC, stream)


_allocation = ALLOCATION_SPEC.column
ALLOCATIONS = Listing(
    "allocations",
    ALLOCATION_SPEC.table,
    AllocationRead,
    AllocationFilters,
    (
        *common(ALLOCATION_SPEC.table),
        Filter(
            "stream", _stream_shape, lambda by_id, values: [_allocation("stream_id").in_(_streams_named(by_id, values))]
        ),
        reference("lab", _allocation("lab_id"), Lab),
        reference("project", _allocation("project_id"), Project),
        reference("organization", _allocation("organization_id"), Organization),
        compare("status", _allocation("status")),
        compare("nature", _allocation("nature")),
        compare("decided_after", _allocation("decided_on"), operator.ge),
        compare("decided_before", _allocation("decided_on"), operator.le),
    ),
)


async def get_allocation(session: AsyncSession, ident: str) -> Allocation:
    return await crud.get(session, ALLOCATION_SPEC, ident)


async def create_allocation(session: AsyncSession, data: AllocationCreate) -> Allocation:
    """A committed allocation must fit in what its stream's envelope has left; a proposed one always fits."""
    if data.status == AllocationStatus.committed:
        stream = await lock_for_update(session, FundingStream, data.stream_id)
        if stream is not None:
            await _check_envelope(session, stream, data.amount_cents, allocation_id=None)
    return await crud.insert(session, ALLOCATION_SPEC, data.model_dump())


async def _check_still_covers_payments(session: AsyncSession, allocation_id: uuid.UUID, data: AllocationCreate) -> None:
    """Money already paid keeps its allocation committed, for at least the amount paid."""
    disbursed = await _disbursed_cents(session, allocation_id, excluding=None)
    refusal = rules.paid_allocation_refusal(allocation_id, data.status, data.amount_cents, disbursed)
    if refusal is not None:
        raise Conflict(refusal)


async def replace_allocation(session: AsyncSession, allocation: Allocation, data: AllocationCreate) -> Allocation:
    """Re-check the money rules on what changes: more committed on the (new) stream must fit its envelope;
    less committed, or no longer committed, must still cover what was paid against the allocation.

    When the allocation changed between its loading and its lock, the checks are left to the version check of
    the write, which refuses the change anyway (409, or 412 under If-Match).
    """
    stream = None
    if data.status == AllocationStatus.committed:
        stream = await lock_for_update(session, FundingStream, data.stream_id)
    current = await lock_for_update(session, Allocation, allocation.id)
    if current is not None and current["version"] == allocation.version:
        was_committed = current["status"] == COMMITTED
        already_here = current["amount_cents"] if was_committed and current["stream_id"] == data.stream_id else 0
        if stream is not None and data.amount_cents > already_here:
            await _check_envelope(session, stream, data.amount_cents, allocation_id=allocation.id)
        if data.status != AllocationStatus.committed or data.amount_cents < current["amount_cents"]:
            await _check_still_covers_payments(session, allocation.id, data)
    return await crud.update(session, ALLOCATION_SPEC, allocation, data.model_dump())


async def delete_allocation(session: AsyncSession, allocation: Allocation) -> None:
    """Refused while disbursements were paid against it: the payments must keep their allocation."""
    await crud.delete(session, ALLOCATION_SPEC, allocation)


# Disbursements carry no text to search: `q` is ignored, as their query model says.
DISBURSEMENTS = Listing(
    "disbursements",
    DISBURSEMENT_SPEC.table,
    DisbursementRead,
    DisbursementFilters,
    (
        *common(DISBURSEMENT_SPEC.table),
        compare("paid_after", DISBURSEMENT_SPEC.column("paid_on"), operator.ge),
        compare("paid_before", DISBURSEMENT_SPEC.column("paid_on"), operator.le),
    ),
)


async def get_disbursement(session: AsyncSession, allocation: Allocation, ident: str) -> Disbursement:
    """A disbursement exists only under its own allocation: another allocation's is a 404, not a leak."""
    disbursement = await crud.get(session, DISBURSEMENT_SPEC, ident)
    if disbursement.allocation_id != allocation.id:
        raise NotFound(f"No disbursement with id '{ident}' on this allocation.")
    return disbursement


async def create_disbursement(session: AsyncSession, allocation: Allocation, data: DisbursementCreate) -> Disbursement:
    """A payment needs a committed allocation with enough left: its amount minus what was already paid."""
    await _check_payable(session, allocation.id, data.amount_cents, disbursement_id=None)
    return await crud.insert(session, DISBURSEMENT_SPEC, {**data.model_dump(), "allocation_id": allocation.id})


async def replace_disbursement(
    session: AsyncSession, disbursement: Disbursement, data: DisbursementCreate
) -> Disbursement:
    """A payment raised must still fit in its allocation, like a new one."""
    if data.amount_cents > disbursement.amount_cents:
        await _check_payable(session, disbursement.allocation_id, data.amount_cents, disbursement_id=disbursement.id)
    return await crud.update(session, DISBURSEMENT_SPEC, disbursement, data.model_dump())


async def delete_disbursement(session: AsyncSession, disbursement: Disbursement) -> None:
    await crud.delete(session, DISBURSEMENT_SPEC, disbursement)
