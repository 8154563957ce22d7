"""Organizations: any public or social-economy actor (host, partner, organizer, beneficiary, funder)."""

from sqlalchemy import String, Text
from sqlmodel import Field

from app.models.base import Entity


class Organization(Entity, table=True):
    __tablename__ = "organizations"

    slug: str = Field(sa_type=String(120), unique=True, nullable=False)
    external_id: str | None = Field(default=None, sa_type=String(200), unique=True)
    name: str = Field(sa_type=String(300), nullable=False, index=True)
    kind: str = Field(sa_type=String(40), nullable=False)
    siret: str | None = Field(default=None, sa_type=String(14), unique=True)
    rna: str | None = Field(default=None, sa_type=String(10))
    region_code: str | None = Field(default=None, foreign_key="regions.code", sa_type=String(3), index=True)
    website: str | None = Field(default=None, sa_type=String(1000))
    search_title: str = Field(default="", sa_type=Text, nullable=False)
    search_text: str = Field(default="", sa_type=Text, nullable=False)
