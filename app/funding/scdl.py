"""Committed allocations in the SCDL « subventions » 2.1.1 layout (schema.data.gouv.fr/scdl/subventions), as CSV;
how each column is filled is in docs/exports.md. A row lacking a required value we may not know (idAttribuant,
dateConvention) is exported with an empty cell and counted in the `X-Incomplete-Rows` header.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.audit.trail import PUBLISHED
from app.core.db import reading
from app.core.security import ANONYMOUS as PUBLIC
from app.exports.csv import csv_chunks
from app.funding import service as funding
from app.funding.rules import COMMITTED
from app.funding.schemas import AllocationFilters
from app.lists.export import chunks_of_rows
from app.models import Allocation, Disbursement, FundingStream, Lab, Organization, Project, ProjectPartner

COLUMNS = (
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
)
INCOMPLETE_HEADER = "X-Incomplete-Rows"
NATURES = {"cash": "aide en numéraire", "in-kind": "aide en nature"}
OBJECT_LENGTH = 256
"""The schema's `maxLength` of `objet`."""

_funder = aliased(Organization, name="funder")
_beneficiary = aliased(Organization, name="beneficiary")
_host = aliased(Organization, name="host")


def _pilot() -> Any:
    """The project's earliest recorded pilot organization, as a correlated scalar."""
    return (
        select(col(ProjectPartner.organization_id))
        .where(col(ProjectPartner.project_id) == col(Allocation.project_id), col(ProjectPartner.role) == "pilot")
        .order_by(col(ProjectPartner.created_at), col(ProjectPartner.id))
        .limit(1)
        .scalar_subquery()
    )


def _joined(stmt: Select[Any]) -> Select[Any]:
    beneficiary_id = func.coalesce(col(Allocation.organization_id), col(Lab.host_organization_id), _pilot())
    return (
        stmt.select_from(Allocation)
        .join(FundingStream, col(FundingStream.id) == col(Allocation.stream_id))
        .outerjoin(_funder, col(_funder.id) == col(FundingStream.managing_organization_id))
        .outerjoin(Lab, col(Lab.id) == col(Allocation.lab_id))
        .outerjoin(Project, col(Project.id) == col(Allocation.project_id))
        .outerjoin(_beneficiary, col(_beneficiary.id) == beneficiary_id)
    )


def _granted() -> ColumnElement[bool]:
    """Only committed allocations are grants: a proposed one was never decided."""
    return col(Allocation.status) == COMMITTED


def _incomplete() -> ColumnElement[bool]:
    return or_(col(_funder.siret).is_(None), col(_funder.siret) == "", col(Allocation.decided_on).is_(None))


def euros(cents: int) -> str:
    """`123450` → `1234.50`: exact, from integer cents."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}.{rest:02d}"


def share(value: Decimal) -> str:
    """`Decimal("0.8000")` → `0.8`, `Decimal("1.0000")` → `1`."""
    return format(value.normalize(), "f")


def payment_period(paid_on: Sequence[date], decided_on: date | None, stream_ends_on: date | None) -> str:
    """`datesPeriodeVersement`: the one payment's date, the span of several (`first/last`), and before any
    payment the period it is due in (the decision to the stream's end, or the decision day alone)."""
    if len(paid_on) == 1:
        return paid_on[0].isoformat()
    if paid_on:
        return f"{paid_on[0].isoformat()}/{paid_on[-1].isoformat()}"
    if decided_on is None:
        return ""
    until = stream_ends_on if stream_ends_on is not None and stream_ends_on >= decided_on else decided_on
    return f"{decided_on.isoformat()}/{until.isoformat()}"


def scdl_row(row: Mapping[Any, Any], paid_on: Sequence[date]) -> list[Any]:
    return [
        row["funder_name"],
        row["funder_siret"],
        row["decided_on"],
        row["reference"],
        row["beneficiary_name"] or row["lab_name"] or row["project_title"],
        row["beneficiary_siret"],
        row["beneficiary_rna"],
        (row["purpose"] or row["stream_name"])[:OBJECT_LENGTH],
        euros(row["amount_cents"]),
        NATURES.get(row["nature"], row["nature"]),
        "échelonné" if len(paid_on) > 1 else "unique",
        payment_period(paid_on, row["decided_on"], row["stream_ends_on"]),
        None,
        "oui" if row["eu_notified"] else "non",
        share(row["subsidy_share"]),
        row["stream_name"],
    ]


def _query(params: AllocationFilters) -> Select[Any]:
    columns: tuple[Any, ...] = (
        col(Allocation.id),
        col(Allocation.decided_on),
        col(Allocation.reference),
        col(Allocation.purpose),
        col(Allocation.amount_cents),
        col(Allocation.nature),
        col(Allocation.eu_notified),
        col(Allocation.subsidy_share),
        col(FundingStream.name).label("stream_name"),
        col(FundingStream.ends_on).label("stream_ends_on"),
        col(_funder.name).label("funder_name"),
        col(_funder.siret).label("funder_siret"),
        col(_beneficiary.name).label("beneficiary_name"),
        col(_beneficiary.siret).label("beneficiary_siret"),
        col(_beneficiary.rna).label("beneficiary_rna"),
        col(Lab.name).label("lab_name"),
        # A project's title names the beneficiary only once the project is public.
        case((col(Project.publication) == PUBLISHED, col(Project.title))).label("project_title"),
    )
    key = funding.ALLOCATIONS.sort_key(params)
    if key.column.key not in {column.key for column in columns}:
        columns = (*columns, key.column)
    return _joined(select(*columns)).where(*funding.ALLOCATIONS.where(params, PUBLIC), _granted())


async def incomplete_rows(session: AsyncSession, params: AllocationFilters) -> int:
    """How many exported allocations lack a required idAttribuant or dateConvention."""
    stmt = _joined(select(func.count())).where(*funding.ALLOCATIONS.where(params, PUBLIC), _granted(), _incomplete())
    return int((await session.execute(stmt)).scalar_one())


async def _payment_dates(engine: AsyncEngine, ids: list[Any]) -> dict[Any, list[Any]]:
    stmt = (
        select(col(Disbursement.allocation_id), col(Disbursement.paid_on))
        .where(col(Disbursement.allocation_id).in_(ids))
        .order_by(col(Disbursement.paid_on))
    )
    dates: dict[Any, list[Any]] = {}
    async with reading(engine) as connection:
        paid = (await connection.execute(stmt)).all()
    for allocation_id, paid_on in paid:
        dates.setdefault(allocation_id, []).append(paid_on)
    return dates


async def _rows(engine: AsyncEngine, params: AllocationFilters) -> AsyncIterator[list[Any]]:
    """Allocations a chunk at a time; each chunk's disbursement dates in one more query."""
    key = funding.ALLOCATIONS.sort_key(params)
    async for chunk in chunks_of_rows(engine, _query(params), key, funding.ALLOCATIONS.table.c.id):
        dates = await _payment_dates(engine, [row["id"] for row in chunk])
        for row in chunk:
            yield scdl_row(row, dates.get(row["id"], []))


async def scdl_chunks(engine: AsyncEngine, params: AllocationFilters) -> AsyncIterator[bytes]:
    """The SCDL CSV (`,`, UTF-8 with BOM), streamed."""
    async for chunk in csv_chunks(COLUMNS, _rows(engine, params)):
        yield chunk
