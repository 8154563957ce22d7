"""Allocations in the SCDL « subventions » 2.1.1 layout (schema.data.gouv.fr/scdl/subventions), as CSV.

How each column is filled:
- nomAttribuant, idAttribuant: the name and SIRET of the funding stream's managing organization.
- nomBeneficiaire, idBeneficiaire, rnaBeneficiaire: the beneficiary organization — the allocation's own
  organization, else the host organization of its lab, else the pilot of its project (the earliest recorded
  pilot); when none is known, the lab's name (else the project's title) with empty identifiers.
- dateConvention: the decision date; referenceDecision: the allocation's reference; objet: its purpose, else
  the stream's name.
- montant: euros with a dot and two decimals (`1234.50`), from integer cents, never through a float.
- nature: « aide en numéraire » (cash) or « aide en nature » (in-kind).
- conditionsVersement: « échelonné » with two disbursements or more, else « unique »;
  datesPeriodeVersement: the disbursements' dates, ISO, in order, joined by `_` (empty before any payment).
- idRAE: empty (not recorded); notificationUE: « oui » / « non »; pourcentageSubvention: the subsidy share as a
  number between 0 and 1 (`0.8`), as the schema's example writes it.

A row whose required idAttribuant is unknown (no managing organization, or one without a SIRET) is still
exported, with an empty cell, and never silently: the `X-Incomplete-Rows` header (and the CLI's message)
counts such rows, so a publisher can fix them before publishing. idBeneficiaire is optional in 2.1.1.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.core.csvout import csv_chunks
from app.funding import service as funding
from app.funding.schemas import AllocationFilters
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
)
INCOMPLETE_HEADER = "X-Incomplete-Rows"
BATCH = 500
NATURES = {"cash": "aide en numéraire", "in-kind": "aide en nature"}

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


def _missing_funder_id() -> ColumnElement[bool]:
    return or_(col(_funder.siret).is_(None), col(_funder.siret) == "")


def euros(cents: int) -> str:
    """`123450` → `1234.50`: exact, from integer cents."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}.{rest:02d}"


def share(value: Decimal) -> str:
    """`Decimal("0.8000")` → `0.8`, `Decimal("1.0000")` → `1`."""
    return format(value.normalize(), "f")


def scdl_row(row: Mapping[str, Any], paid_on: Sequence[Any]) -> list[Any]:
    return [
        row["funder_name"],
        row["funder_siret"],
        row["decided_on"],
        row["reference"],
        row["beneficiary_name"] or row["lab_name"] or row["project_title"],
        row["beneficiary_siret"],
        row["beneficiary_rna"],
        row["purpose"] or row["stream_name"],
        euros(row["amount_cents"]),
        NATURES.get(row["nature"], row["nature"]),
        "échelonné" if len(paid_on) > 1 else "unique",
        "_".join(day.isoformat() for day in paid_on),
        None,
        "oui" if row["eu_notified"] else "non",
        share(row["subsidy_share"]),
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
        col(_funder.name).label("funder_name"),
        col(_funder.siret).label("funder_siret"),
        col(_beneficiary.name).label("beneficiary_name"),
        col(_beneficiary.siret).label("beneficiary_siret"),
        col(_beneficiary.rna).label("beneficiary_rna"),
        col(Lab.name).label("lab_name"),
        col(Project.title).label("project_title"),
    )
    key = funding.ALLOCATION_SPEC.sorts[params.sort]
    order = (key.column.desc(), col(Allocation.id).desc()) if key.descending else (key.column, col(Allocation.id))
    return _joined(select(*columns)).where(*funding.allocation_filters(params)).order_by(*order)


async def incomplete_rows(session: AsyncSession, params: AllocationFilters) -> int:
    """How many matching allocations lack the required idAttribuant."""
    stmt = _joined(select(func.count())).where(*funding.allocation_filters(params), _missing_funder_id())
    return int((await session.execute(stmt)).scalar_one())


async def _payment_dates(session: AsyncSession, ids: list[Any]) -> dict[Any, list[Any]]:
    stmt = (
        select(col(Disbursement.allocation_id), col(Disbursement.paid_on))
        .where(col(Disbursement.allocation_id).in_(ids))
        .order_by(col(Disbursement.paid_on))
    )
    dates: dict[Any, list[Any]] = {}
    for allocation_id, paid_on in (await session.execute(stmt)).all():
        dates.setdefault(allocation_id, []).append(paid_on)
    return dates


async def _rows(session: AsyncSession, params: AllocationFilters) -> AsyncIterator[list[Any]]:
    """Allocations from a server-side cursor; each batch's disbursement dates in one more query."""
    result = await session.stream(_query(params).execution_options(yield_per=BATCH))
    async for batch in result.mappings().partitions(BATCH):
        dates = await _payment_dates(session, [row["id"] for row in batch])
        for row in batch:
            yield scdl_row(row, dates.get(row["id"], []))


async def scdl_chunks(session: AsyncSession, params: AllocationFilters) -> AsyncIterator[bytes]:
    """The SCDL CSV (`,`, UTF-8 with BOM), streamed."""
    async for chunk in csv_chunks(COLUMNS, _rows(session, params)):
        yield chunk
