"""Dated project phases: each status change carries the day its phase began, and a project the day its current
phase began.

Rows written before this revision get a day that does not refuse them afterwards: a later change is dated by the
day it was written (in Paris time, the registry's day), the only evidence there is; a project's first entry by its
`starts_on` when that is earlier. That entry was written when the project was registered, often years after it
began (a whole portfolio loaded at once): dating it by the write would say no project existed before the load,
and every past figure (`as_of`) would be empty, where the start day says at least since when the project ran.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 05:00:00+00:00
"""

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARIS = ZoneInfo("Europe/Paris")
_changes = sa.table(
    "project_status_changes",
    sa.column("id", sa.Integer()),
    sa.column("project_id", sa.Uuid()),
    sa.column("from_status", sa.String()),
    sa.column("at", UTCDateTime(timezone=True)),
    sa.column("effective_on", sa.Date()),
)
_projects = sa.table(
    "projects",
    sa.column("id", sa.Uuid()),
    sa.column("starts_on", sa.Date()),
    sa.column("created_at", UTCDateTime(timezone=True)),
    sa.column("status_since", sa.Date()),
)


def _day(instant: datetime) -> date:
    return instant.astimezone(PARIS).date()


def _date_existing_rows() -> None:
    connection = op.get_bind()
    projects = {
        row.id: row
        for row in connection.execute(sa.select(_projects.c.id, _projects.c.starts_on, _projects.c.created_at))
    }
    history = connection.execute(
        sa.select(_changes.c.id, _changes.c.project_id, _changes.c.from_status, _changes.c.at).order_by(
            _changes.c.project_id, _changes.c.at, _changes.c.id
        )
    ).all()
    dated: list[dict[str, object]] = []
    since: dict[object, date] = {}
    for change in history:
        day = _day(change.at)
        starts_on = projects[change.project_id].starts_on
        if change.from_status is None and starts_on is not None and starts_on < day:
            day = starts_on
        # Never before the phase it follows, so no stored history is refused by the new rule.
        day = max(day, since.get(change.project_id, day))
        since[change.project_id] = day
        dated.append({"change_id": change.id, "day": day})
    if dated:
        connection.execute(
            _changes.update()
            .where(_changes.c.id == sa.bindparam("change_id"))
            .values(effective_on=sa.bindparam("day")),
            dated,
        )
    undated = [
        {"project_id": project_id, "day": since.get(project_id) or _day(row.created_at)}
        for project_id, row in projects.items()
    ]
    if undated:
        connection.execute(
            _projects.update()
            .where(_projects.c.id == sa.bindparam("project_id"))
            .values(status_since=sa.bindparam("day")),
            undated,
        )


def upgrade() -> None:
    with op.batch_alter_table("project_status_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_on", sa.Date(), nullable=True))
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_since", sa.Date(), nullable=True))
    _date_existing_rows()
    with op.batch_alter_table("project_status_changes", schema=None) as batch_op:
        batch_op.alter_column("effective_on", existing_type=sa.Date(), nullable=False)
        batch_op.create_index("ix_project_status_changes_phase", ["project_id", "effective_on", "id"], unique=False)
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.alter_column("status_since", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("status_since")
    with op.batch_alter_table("project_status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_project_status_changes_phase")
        batch_op.drop_column("effective_on")
