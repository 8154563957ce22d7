"""Idempotency keys remember whether their request was applied (`applied_at`, set in the request's own
transaction), so that a key left unanswered by a worker that died before its commit can be taken over by a
retry instead of answering 409 until it expires.

Keys left unanswered before this revision may have been applied (a worker that died between the commit and
storing the answer): they are marked applied, so they keep answering 409 until they expire, as they did.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 23:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True))
    keys = sa.table("idempotency_keys", sa.column("applied_at"), sa.column("created_at"), sa.column("response_status"))
    op.execute(keys.update().where(keys.c.response_status.is_(None)).values(applied_at=keys.c.created_at))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("applied_at")
