"""Reference data shipped by migrations: regions, themes, event formats."""

from sqlalchemy import String
from sqlmodel import Field, SQLModel


class Region(SQLModel, table=True):
    """A French region by INSEE code, with the time zone its local times are read in."""

    __tablename__ = "regions"

    code: str = Field(primary_key=True, sa_type=String(3))
    name: str = Field(sa_type=String(100), nullable=False)
    timezone: str = Field(sa_type=String(64), nullable=False)


class Theme(SQLModel, table=True):
    """A theme of public innovation; stable kebab-case code, French label."""

    __tablename__ = "themes"

    code: str = Field(primary_key=True, sa_type=String(64))
    label: str = Field(sa_type=String(200), nullable=False)


class EventFormat(SQLModel, table=True):
    """How an event is held (webinaire, formation…); a training session is a `formation`."""

    __tablename__ = "event_formats"

    code: str = Field(primary_key=True, sa_type=String(64))
    label: str = Field(sa_type=String(200), nullable=False)
