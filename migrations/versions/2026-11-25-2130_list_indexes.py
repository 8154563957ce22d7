"""List indexes: each event filter followed by the default sort, and the title sort.

A filtered page of events sorted by start (`?status=cancelled`, `?format=…`, `?lab=…`, `?campaign=…`) was found
by walking the start-time index and skipping the rows that do not match: on 1 000 000 events (bench/lists.py)
14 ms a page for the 2 % of cancelled events, 2 s for the campaign's, all in one November. Each single-column
index of a filter becomes (filter, starts_at, id), so such a page is one index seek and a keyset page deep in
the list costs what page 1 does; the leading column still serves every lookup the single-column index served,
so writes maintain as many indexes as before. `?sort=title` sorted the whole table on every page (440 ms):
(title, id) is the one index added.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 21:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILTERED = ("theme_code", "format", "status", "organizer_organization_id", "lab_id", "project_id", "campaign_id")


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        for name in FILTERED:
            batch_op.drop_index(f"ix_events_{name}")
            batch_op.create_index(f"ix_events_{name}_starts_at_id", [name, "starts_at", "id"], unique=False)
        batch_op.create_index("ix_events_title_id", ["title", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_title_id")
        for name in FILTERED:
            batch_op.drop_index(f"ix_events_{name}_starts_at_id")
            batch_op.create_index(f"ix_events_{name}", [name], unique=False)
