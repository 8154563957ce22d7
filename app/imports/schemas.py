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
    sessions = "sessions"


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


MAX_REPORTED_ERRORS = 1000
"""Errors a report lists at most (the first ones, in file order): 200 000 bad rows would otherwise answer, and keep
for an Idempotency-Key, a report of tens of megabytes. `lab-registry import --rejects` still gets every row."""

APPLIED = (
    "Whether the rows were written: false for a dry run, and for an atomic import with rejected rows (then nothing "
    "was written, and the status is 422)."
)
DONE = "(0 when `applied` is false: nothing was written)."
WOULD = "whether or not the import was applied: what the file amounts to."


class ImportReport(BaseModel):
    """What an import did (`applied`), and what the file amounts to (`would_…`): the same counts when it was
    applied; for a dry run or a refused import, the done counts are 0 and the `would_…` ones say what would have
    happened."""

    resource: ImportResource
    dry_run: bool
    atomic: bool
    applied: bool = Field(description=APPLIED)
    read: int = Field(description="Rows read (blank lines are skipped).")
    created: int = Field(description=f"Rows created {DONE}")
    updated: int = Field(description=f"Rows updated {DONE}")
    unchanged: int = Field(description=f"Rows identical to what is stored, left as they were {DONE}")
    would_create: int = Field(description=f"Rows that are new, {WOULD}")
    would_update: int = Field(description=f"Rows that change a stored one, {WOULD}")
    would_leave_unchanged: int = Field(description=f"Rows identical to what is stored, {WOULD}")
    rejected: int = Field(description="Rows rejected (a row may break several rules: see `error_count`).")
    error_count: int = Field(description="Every error found, listed in `errors` or not.")
    errors_truncated: bool = Field(description=f"Whether `errors` lists only the first {MAX_REPORTED_ERRORS}.")
    errors: list[RowProblem] = Field(
        description=f"The reasons rows were rejected, in file order: the first {MAX_REPORTED_ERRORS} at most."
    )


class ImportRejectedProblem(Problem):
    """An atomic import with rejected rows: problem+json carrying the whole report (nothing was written)."""

    resource: ImportResource
    dry_run: bool
    atomic: bool
    applied: bool
    read: int
    created: int
    updated: int
    unchanged: int
    would_create: int
    would_update: int
    would_leave_unchanged: int
    rejected: int
    error_count: int
    errors_truncated: bool
    errors: list[RowProblem]  # type: ignore[assignment]
