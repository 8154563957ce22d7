"""Who may write what: keys bound to labs, the `funding` and `publish` scopes, publication of events and projects.

Every key that could write gets `funding` and `publish` as well: before this revision a `write` key wrote the
money and everything it wrote was public at once, so no key loses a right it had. Events and projects that
exist are `published`; every audit entry already written was public, so its public action is its action.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 03:00:00+00:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTED = ("funding", "publish")
_keys = sa.table("api_keys", sa.column("id", sa.Uuid()), sa.column("scopes", sa.JSON()))


def _rescope(change: Callable[[list[str]], list[str]]) -> None:
    connection = op.get_bind()
    for key_id, scopes in connection.execute(sa.select(_keys.c.id, _keys.c.scopes)).all():
        changed = change(list(scopes))
        if changed != list(scopes):
            connection.execute(_keys.update().where(_keys.c.id == key_id).values(scopes=changed))


def upgrade() -> None:
    op.create_table(
        "publication_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_changes")),
    )
    with op.batch_alter_table("publication_changes", schema=None) as batch_op:
        batch_op.create_index("ix_publication_changes_entity", ["entity_type", "entity_id", "id"], unique=False)
    op.create_table(
        "api_key_labs",
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("lab_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_api_key_labs_api_key_id_api_keys"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["lab_id"], ["labs.id"], name=op.f("fk_api_key_labs_lab_id_labs")),
        sa.PrimaryKeyConstraint("api_key_id", "lab_id", name=op.f("pk_api_key_labs")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_action", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("lab_id", sa.Uuid(), nullable=True))
    audit = sa.table("audit_log", sa.column("action"), sa.column("public_action"))
    op.execute(audit.update().values(public_action=audit.c.action))
    for table in ("events", "projects"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("publication", sa.String(length=16), nullable=False, server_default="published")
            )
            batch_op.add_column(sa.Column("publication_note", sa.String(length=1000), nullable=True))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("publication", server_default=None)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_publication_starts_at_id", ["publication", "starts_at", "id"], unique=False)
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_publication"), ["publication"], unique=False)
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sees_drafts", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("drafts_of_labs", sa.JSON(), nullable=True))
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.alter_column("sees_drafts", server_default=None)
    _rescope(lambda scopes: sorted({*scopes, *GRANTED}) if "write" in scopes else scopes)


def downgrade() -> None:
    _rescope(lambda scopes: [scope for scope in scopes if scope not in GRANTED] or ["read"])
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("drafts_of_labs")
        batch_op.drop_column("sees_drafts")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_publication"))
        batch_op.drop_column("publication_note")
        batch_op.drop_column("publication")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_publication_starts_at_id")
        batch_op.drop_column("publication_note")
        batch_op.drop_column("publication")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("lab_id")
        batch_op.drop_column("public_action")
    op.drop_table("api_key_labs")
    with op.batch_alter_table("publication_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_publication_changes_entity")
    op.drop_table("publication_changes")
