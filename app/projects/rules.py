"""The rules of projects, as plain functions: the service checks one write with them, the importer each row;
each refusal has one wording."""

from app.projects.schemas import ProjectStatus

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
