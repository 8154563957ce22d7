"""The shapes of an import: what can be imported, the options, and the report."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import Problem


class ImportResource(StrEnum):
    organizations = "organizations"
    labs = "labs"
    funding_streams = "funding-streams"
    allocations = "allocations"
    disbursements = "disbursements"
    projects = "projects"
    project_partners = "project-partners"
    campaigns = "campaigns"
    events = "events"


class ImportOptions(BaseModel):
    """Query parameters of an import; unknown ones are refused, as on the lists."""

    model_config = ConfigDict(extra="forbid")

    dry_run: bool = Field(default=False, description="Validate everything and write nothing.")
    atomic: bool = Field(
        default=True,
        description="All or nothing: with any rejected row nothing is written (422). With `false` the good rows "
        "are written and the bad ones reported.",
    )


class RowProblem(BaseModel):
    """Why one row was rejected: its line in the file (the header is line 1), the column and value at fault."""

    line: int
    column: str | None
    value: Any = None
    message: str


class ImportReport(BaseModel):
    """What an import did, or would do in a dry run."""

    resource: ImportResource
    dry_run: bool
    atomic: bool
    read: int = Field(description="Rows read (blank lines are skipped).")
    created: int
    updated: int
    unchanged: int = Field(description="Rows identical to what is stored: not rewritten, no new version.")
    rejected: int
    errors: list[RowProblem] = Field(description="Each rejected row, in file order.")


class ImportRejectedProblem(Problem):
    """An atomic import with rejected rows: problem+json carrying the whole report (nothing was written)."""

    resource: ImportResource
    dry_run: bool
    atomic: bool
    read: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[RowProblem]  # type: ignore[assignment]
