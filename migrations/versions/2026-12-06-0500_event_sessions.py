"""Sessions of events: each event meets at one or more dated sessions; its own dates become their span.

Every event that exists gets one session from its dates, with the event's own id as the session's id: the
calendar UID of a session is made from its id, so a subscribed calendar keeps each event it already shows.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 05:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.CheckConstraint("ends_at >= starts_at", name=op.f("ck_event_sessions_ends_after_start")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_sessions_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_sessions")),
    )
    with op.batch_alter_table("event_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_sessions_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_sessions_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index("ix_event_sessions_starts_at_id", ["starts_at", "id"], unique=False)
        batch_op.create_index("ix_event_sessions_event_id_starts_at", ["event_id", "starts_at"], unique=False)
    op.execute(
        "INSERT INTO event_sessions (id, created_at, updated_at, version, event_id, starts_at, ends_at, status) "
        "SELECT id, created_at, updated_at, 1, id, starts_at, ends_at, 'scheduled' FROM events"
    )


def downgrade() -> None:
    with op.batch_alter_table("event_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_event_sessions_event_id_starts_at")
        batch_op.drop_index("ix_event_sessions_starts_at_id")
        batch_op.drop_index(batch_op.f("ix_event_sessions_updated_at"))
        batch_op.drop_index(batch_op.f("ix_event_sessions_created_at"))
    op.drop_table("event_sessions")
