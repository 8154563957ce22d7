"""Money: funding streams, their allocations to beneficiaries, and the disbursements paid against them."""

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Numeric, String, Text
from sqlmodel import Field

from app.models.base import Entity


class FundingStream(Entity, table=True):
    __tablename__ = "funding_streams"
    __table_args__ = (CheckConstraint("envelope_cents IS NULL OR envelope_cents >= 0", name="envelope_positive"),)

    code: str = Field(sa_type=String(40), unique=True, nullable=False)
    external_id: str | None = Field(default=None, sa_type=String(200), unique=True)
    name: str = Field(sa_type=String(300), nullable=False)
    description: str | None = Field(default=None, sa_type=Text)
    managing_organization_id: uuid.UUID | None = Field(default=None, foreign_key="organizations.id", index=True)
    envelope_cents: int | None = Field(default=None, sa_type=BigInteger)
    currency: str = Field(default="EUR", sa_type=String(3), nullable=False)
    starts_on: date | None = None
    ends_on: date | None = None
    search_title: str = Field(default="", sa_type=Text, nullable=False)
    search_text: str = Field(default="", sa_type=Text, nullable=False)


class Allocation(Entity, table=True):
    __tablename__ = "allocations"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "lab_id IS NOT NULL OR project_id IS NOT NULL OR organization_id IS NOT NULL", name="has_beneficiary"
        ),
    )

    external_id: str | None = Field(default=None, sa_type=String(200), unique=True)
    stream_id: uuid.UUID = Field(foreign_key="funding_streams.id", nullable=False, index=True)
    lab_id: uuid.UUID | None = Field(default=None, foreign_key="labs.id", index=True)
    project_id: uuid.UUID | None = Field(default=None, foreign_key="projects.id", index=True)
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organizations.id", index=True)
    amount_cents: int = Field(sa_type=BigInteger, nullable=False)
    currency: str = Field(default="EUR", sa_type=String(3), nullable=False)
    decided_on: date | None = None
    reference: str | None = Field(default=None, sa_type=String(200))
    purpose: str | None = Field(default=None, sa_type=String(255))
    status: str = Field(sa_type=String(20), nullable=False, index=True)
    nature: str = Field(default="cash", sa_type=String(20), nullable=False)
    subsidy_share: Decimal = Field(default=Decimal(1), sa_type=Numeric(5, 4), nullable=False)
    eu_notified: bool = Field(default=False, nullable=False)
    search_title: str = Field(default="", sa_type=Text, nullable=False)
    search_text: str = Field(default="", sa_type=Text, nullable=False)


class Disbursement(Entity, table=True):
    __tablename__ = "disbursements"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    external_id: str | None = Field(default=None, sa_type=String(200), unique=True)
    allocation_id: uuid.UUID = Field(foreign_key="allocations.id", nullable=False, index=True)
    amount_cents: int = Field(sa_type=BigInteger, nullable=False)
    paid_on: date = Field(nullable=False)
