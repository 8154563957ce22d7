"""Labs: the territorial public-innovation laboratories."""

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, String, Text
from sqlmodel import Field

from app.models.base import Entity


class Lab(Entity, table=True):
    __tablename__ = "labs"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"),
    )

    slug: str = Field(sa_type=String(120), unique=True, nullable=False)
    external_id: str | None = Field(default=None, sa_type=String(200), unique=True)
    name: str = Field(sa_type=String(300), nullable=False, index=True)
    region_code: str = Field(foreign_key="regions.code", sa_type=String(3), nullable=False, index=True)
    city: str | None = Field(default=None, sa_type=String(200))
    host_organization_id: uuid.UUID | None = Field(default=None, foreign_key="organizations.id", index=True)
    status: str = Field(sa_type=String(20), nullable=False)
    founded_on: date | None = None
    website: str | None = Field(default=None, sa_type=String(1000))
    contact_email: str | None = Field(default=None, sa_type=String(320))
    latitude: float | None = None
    longitude: float | None = None
    description: str | None = Field(default=None, sa_type=Text)
    search_title: str = Field(default="", sa_type=Text, nullable=False)
    search_text: str = Field(default="", sa_type=Text, nullable=False)
