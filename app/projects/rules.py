"""The rules of projects, as plain functions: the service checks one write with them, the importer each row;
each refusal has one wording."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.projects.schemas import ProjectStatus
from app.reference.data import PARIS

FORWARD = (
    ProjectStatus.exploring,
    ProjectStatus.designing,
    ProjectStatus.piloting,
    ProjectStatus.scaling,
    ProjectStatus.completed,
)
FINAL = frozenset({ProjectStatus.completed, ProjectStatus.abandoned})
REPLICATION_CYCLE = "a project cannot replicate itself, directly or through the projects it replicates"


def allowed_moves(current: ProjectStatus) -> list[ProjectStatus]:
    """Forward along the lifecycle (skipping is fine) or to abandoned; completed and abandoned are final."""
    if current in FINAL:
        return []
    return [*FORWARD[FORWARD.index(current) + 1 :], ProjectStatus.abandoned]


def move_refusal(current: ProjectStatus, target: ProjectStatus) -> str | None:
    """A status change off the lifecycle, naming the moves allowed."""
    allowed = allowed_moves(current)
    if target in allowed:
        return None
    states = ", ".join(allowed) if allowed else f"none ({current} is final)"
    return f"A project cannot move from {current} to {target}; allowed next states: {states}."


def today() -> date:
    """The registry's day (Paris time): what a phase given no date began on, and the last day a phase may begin."""
    return datetime.now(ZoneInfo(PARIS)).date()


@dataclass(frozen=True)
class Phase:
    """The phase a project enters: its status and the day it began (`effective_on`)."""

    status: ProjectStatus
    since: date


def next_phase(
    current: Phase | None, status: ProjectStatus, since: date | None, day: date
) -> tuple[Phase | None, str | None]:
    """The phase a write starts, if any, or the refusal of the date given (`status_since`).

    `current` is the stored phase (None for a new project), `since` the day given with the write (None: `day`, the
    registry's today, for a new phase; the stored day otherwise). A new phase begins neither after `day` nor before
    the phase it follows; a write that keeps the status cannot move the day its phase began.
    """
    if current is not None and status == current.status:
        if since is None or since == current.since:
            return None, None
        return None, (
            f"status_since {since} dates a status change, and the status stays {status} "
            f"(since {current.since}): give a new status with it."
        )
    began = day if since is None else since
    if began > day:
        return None, f"status_since {began} is in the future: a phase is dated by the day it began (today is {day})."
    if current is not None and began < current.since:
        return None, (
            f"status_since {began} is before {current.since}, the day the current phase ({current.status}) began."
        )
    return Phase(status, began), None
