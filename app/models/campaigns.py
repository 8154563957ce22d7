"""Campaigns: named periods of events, such as the Mois de l'innovation publique."""

from datetime import date

from sqlalchemy import String, Text
from sqlmodel import Field

from app.models.base import Entity


class Campaign(Entity, table=True):
    __tablename__ = "campaigns"

    slug: str = Field(sa_type=String(120), unique=True, nullable=False)
    external_id: str | None = Field(default=None, sa_type=String(200), unique=True)
    name: str = Field(sa_type=String(300), nullable=False, index=True)
    starts_on: date = Field(nullable=False)
    ends_on: date = Field(nullable=False)
    description: str | None = Field(default=None, sa_type=Text)
    search_title: str = Field(default="", sa_type=Text, nullable=False)
    search_text: str = Field(default="", sa_type=Text, nullable=False)
