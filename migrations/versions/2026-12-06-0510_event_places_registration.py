"""Events as labs run them: a place (venue, address, commune, point), registration and access.

An event's `city` becomes its place's city (the other parts empty): no row is refused for what it lacked before.
The place's point and commune get columns of their own, indexed for the where-filters; existing events have
no capacity filled in as full, speak French and declare no accessibility.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACE_KEYS = ("name", "address", "postal_code", "city", "commune_code", "latitude", "longitude")
PLACED = ("department_code", "commune_code")
# The default sort's indexes, then with the place's point after their keys.
SORTED = {
    "ix_events_starts_at_id": ["starts_at", "id"],
    "ix_events_publication_starts_at_id": ["publication", "starts_at", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("commune_code", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("department_code", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("registration_deadline", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("registered_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("places_left", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("is_full", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("price", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("price_note", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("accessibility", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("languages", sa.JSON(), nullable=False, server_default='["fr"]'))
        batch_op.create_check_constraint(
            op.f("ck_events_registered_positive"), "registered_count IS NULL OR registered_count >= 0"
        )
    events = sa.table(
        "events",
        sa.column("city", sa.String()),
        sa.column("place", sa.JSON()),
        sa.column("capacity", sa.Integer()),
        sa.column("places_left", sa.Integer()),
    )
    # The place is built in SQL so that a million rows migrate in one statement on either engine.
    build = sa.func.json_build_object if op.get_bind().dialect.name == "postgresql" else sa.func.json_object
    parts = [item for key in PLACE_KEYS for item in (sa.literal(key), events.c.city if key == "city" else sa.null())]
    op.execute(events.update().where(events.c.city.is_not(None)).values(place=build(*parts)))
    op.execute(events.update().where(events.c.capacity.is_not(None)).values(places_left=events.c.capacity))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("is_full", server_default=None)
        batch_op.alter_column("accessibility", server_default=None)
        batch_op.alter_column("languages", server_default=None)
        for name in PLACED:
            batch_op.create_index(f"ix_events_{name}_starts_at_id", [name, "starts_at", "id"], unique=False)
        for name, columns in SORTED.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, [*columns, "latitude", "longitude"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        for name, columns in SORTED.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)
        for name in PLACED:
            batch_op.drop_index(f"ix_events_{name}_starts_at_id")
        batch_op.drop_constraint(op.f("ck_events_registered_positive"), type_="check")
        for name in (
            "languages",
            "accessibility",
            "price_note",
            "price",
            "is_full",
            "places_left",
            "registered_count",
            "registration_deadline",
            "department_code",
            "commune_code",
            "longitude",
            "latitude",
            "place",
        ):
            batch_op.drop_column(name)
