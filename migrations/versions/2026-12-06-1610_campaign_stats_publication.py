"""The covering index of a campaign's figures carries `publication`: the figures count published events only
(0009), and without the column SQLite read a campaign's figures through the publication index, every published
event of every campaign (`bench/stats.py`, "campaign events by theme": 15 ms against 0.6 on 20 000 events).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 16:10:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_events_campaign_stats"
FIGURES = ["theme_code", "format", "status", "participants_count"]


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(NAME)
        batch_op.create_index(NAME, ["campaign_id", "publication", *FIGURES], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(NAME)
        batch_op.create_index(NAME, ["campaign_id", *FIGURES], unique=False)
