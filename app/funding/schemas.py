"""Request and response shapes of funding streams, allocations and disbursements."""

import uuid
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, PlainSerializer, StringConstraints, field_validator, model_validator

from app.core.schemas import Cents, Day, EntityRead, ExternalId, Input, LongText, Name, ShortText, ends_after, partial
from app.lists.params import ListParams

StreamCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Z0-9]+(?:[-_][A-Z0-9]+)*$"),
    Field(description="Upper-case ASCII code, stable: `FTAP`, `RELANCE`.", examples=["FTAP"]),
]
EnvelopeCents = Annotated[
    int,
    Field(
        ge=0,
        le=9_000_000_000_000_000,
        description="Total budget of the stream, in integer euro cents: its committed allocations never exceed "
        "it, and it cannot be lowered below what is committed (409). No envelope means no limit.",
    ),
]
SubsidyShare = Annotated[
    Decimal,
    Field(ge=Decimal("0.01"), le=Decimal(1), max_digits=5, decimal_places=4),
    PlainSerializer(float, return_type=float, when_used="json"),
]
"""The share of the funded cost the allocation covers (SCDL `pourcentageSubvention`): 0.01 to 1, a JSON number."""

DecisionNumber = Annotated[str, StringConstraints(min_length=1, max_length=200)]
RefParam = Annotated[str, StringConstraints(max_length=200)]


class Currency(StrEnum):
    EUR = "EUR"


class AllocationStatus(StrEnum):
    proposed = "proposed"
    committed = "committed"
    cancelled = "cancelled"


class AllocationNature(StrEnum):
    cash = "cash"
    in_kind = "in-kind"


class FundingStreamCreate(Input):
    """A source of money, such as the Fonds pour la transformation de l'action publique."""

    code: StreamCode
    name: Name = Field(examples=["Fonds pour la transformation de l'action publique"])
    description: LongText | None = None
    external_id: ExternalId | None = None
    managing_organization_id: uuid.UUID | None = Field(default=None, description="The body that awards the money.")
    envelope_cents: EnvelopeCents | None = None
    currency: Currency = Currency.EUR
    starts_on: Day | None = None
    ends_on: Day | None = None

    _ends_on_after_start = field_validator("ends_on")(ends_after("starts_on"))


FundingStreamUpdate = partial(
    FundingStreamCreate, "FundingStreamUpdate", "Fields to change on a funding stream (JSON merge patch)."
)


class FundingStreamRead(EntityRead):
    """A funding stream as stored."""

    code: str
    external_id: str | None
    name: str
    description: str | None
    managing_organization_id: uuid.UUID | None
    envelope_cents: int | None
    currency: Currency
    starts_on: date | None
    ends_on: date | None


class FundingStreamFilters(ListParams):
    """Filters of the funding stream list."""

    sort: Literal[
        "relevance", "code", "-code", "name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"
    ] = "code"


class AllocationCreate(Input):
    """Money from one stream to a beneficiary: a lab, a project or an organization (at least one)."""

    stream_id: uuid.UUID
    lab_id: uuid.UUID | None = None
    project_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    amount_cents: Cents = Field(examples=[5_000_000])
    currency: Currency = Currency.EUR
    decided_on: Day | None = None
    reference: DecisionNumber | None = Field(default=None, description="Decision number.", examples=["FTAP-2020-042"])
    purpose: Annotated[str, StringConstraints(max_length=255)] | None = Field(
        default=None, description="What the money is for (under 256 characters)."
    )
    status: AllocationStatus = Field(
        default=AllocationStatus.proposed,
        description="Only committed allocations count against the stream's envelope: committing (on create, "
        "or by raising the amount, moving to another stream or changing the status) more than the envelope has "
        "left is refused (409), and cancelling frees the amount. An allocation with disbursements stays "
        "committed: it cannot be cancelled or proposed again (409); lower its amount to what was paid instead.",
    )
    nature: AllocationNature = AllocationNature.cash
    subsidy_share: SubsidyShare = Field(
        default=1, validate_default=True, description="Share of the cost covered, 0.01 to 1."
    )
    eu_notified: bool = Field(default=False, description="Notified to the European Commission as state aid.")
    external_id: ExternalId | None = None

    @model_validator(mode="after")
    def _has_beneficiary(self) -> Self:
        if self.lab_id is None and self.project_id is None and self.organization_id is None:
            raise ValueError("an allocation needs a beneficiary: give lab_id, project_id or organization_id")
        return self


AllocationUpdate = partial(
    AllocationCreate, "AllocationUpdate", "Fields to change on an allocation (JSON merge patch)."
)


class AllocationRead(EntityRead):
    """An allocation as stored."""

    external_id: str | None
    stream_id: uuid.UUID
    lab_id: uuid.UUID | None
    project_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    amount_cents: int
    currency: Currency
    decided_on: date | None
    reference: str | None
    purpose: str | None
    status: AllocationStatus
    nature: AllocationNature
    subsidy_share: SubsidyShare
    eu_notified: bool


class AllocationFilters(ListParams):
    """Filters of the allocation list; `q` searches the reference and the purpose."""

    stream: RefParam | None = Field(default=None, description="Funding stream by id, code or external_id.")
    lab: RefParam | None = Field(default=None, description="Lab by id, slug or external_id.")
    project: RefParam | None = Field(default=None, description="Project by id, slug or external_id.")
    organization: RefParam | None = Field(default=None, description="Organization by id, slug or external_id.")
    status: AllocationStatus | None = None
    nature: AllocationNature | None = None
    decided_after: Day | None = Field(default=None, description="Decided on or after this date.")
    decided_before: Day | None = Field(default=None, description="Decided on or before this date.")
    sort: Literal[
        "relevance", "created_at", "-created_at", "updated_at", "-updated_at", "amount_cents", "-amount_cents"
    ] = "created_at"


class DisbursementCreate(Input):
    """A payment made against an allocation. Only a committed allocation takes payments, and they never add up
    to more than its amount (409 with the figures); an allocation's amount cannot be lowered below them either."""

    amount_cents: Cents = Field(examples=[1_000_000])
    paid_on: Day
    external_id: ExternalId | None = None


DisbursementUpdate = partial(
    DisbursementCreate, "DisbursementUpdate", "Fields to change on a disbursement (JSON merge patch)."
)


class DisbursementRead(EntityRead):
    """A disbursement as stored."""

    external_id: str | None
    allocation_id: uuid.UUID
    amount_cents: int
    paid_on: date


class DisbursementFilters(ListParams):
    """Filters of an allocation's disbursements."""

    q: ShortText | None = Field(default=None, description="Not available: disbursements carry no text to search.")
    paid_after: Day | None = Field(default=None, description="Paid on or after this date.")
    paid_before: Day | None = Field(default=None, description="Paid on or before this date.")
    sort: Literal["paid_on", "-paid_on", "created_at", "-created_at", "updated_at", "-updated_at"] = "paid_on"

    @field_validator("q")
    @classmethod
    def _no_search(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError("disbursements carry no text to search; filter by paid_after, paid_before instead")
        return value
