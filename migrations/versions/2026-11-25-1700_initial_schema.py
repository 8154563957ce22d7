"""Initial schema: every table of the domain, and the reference data (regions, themes, event formats).

Revision ID: 0001
Revises:
Create Date: 2026-11-25 17:13:04.427918+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("external_id", name=op.f("uq_campaigns_external_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_campaigns_slug")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaigns_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaigns_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "event_formats",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_event_formats")),
    )
    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    op.create_table(
        "themes",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_themes")),
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("rna", sa.String(length=10), nullable=True),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("website", sa.String(length=1000), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"], name=op.f("fk_organizations_region_code_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("external_id", name=op.f("uq_organizations_external_id")),
        sa.UniqueConstraint("siret", name=op.f("uq_organizations_siret")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organizations_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_organizations_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_organizations_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_organizations_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "funding_streams",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("managing_organization_id", sa.Uuid(), nullable=True),
        sa.Column("envelope_cents", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "envelope_cents IS NULL OR envelope_cents >= 0", name=op.f("ck_funding_streams_envelope_positive")
        ),
        sa.ForeignKeyConstraint(
            ["managing_organization_id"],
            ["organizations.id"],
            name=op.f("fk_funding_streams_managing_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_streams")),
        sa.UniqueConstraint("code", name=op.f("uq_funding_streams_code")),
        sa.UniqueConstraint("external_id", name=op.f("uq_funding_streams_external_id")),
    )
    with op.batch_alter_table("funding_streams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_funding_streams_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_funding_streams_managing_organization_id"), ["managing_organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_funding_streams_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "labs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("region_code", sa.String(length=3), nullable=False),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("host_organization_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("founded_on", sa.Date(), nullable=True),
        sa.Column("website", sa.String(length=1000), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name=op.f("ck_labs_latitude_range")
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name=op.f("ck_labs_longitude_range")
        ),
        sa.ForeignKeyConstraint(
            ["host_organization_id"], ["organizations.id"], name=op.f("fk_labs_host_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"], name=op.f("fk_labs_region_code_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labs")),
        sa.UniqueConstraint("external_id", name=op.f("uq_labs_external_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_labs_slug")),
    )
    with op.batch_alter_table("labs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_labs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_labs_host_organization_id"), ["host_organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_labs_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_labs_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_labs_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("lab_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("theme_code", sa.String(length=64), nullable=False),
        sa.Column("secondary_themes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("users_involved", sa.Integer(), nullable=True),
        sa.Column("agents_involved", sa.Integer(), nullable=True),
        sa.Column("results", sa.Text(), nullable=True),
        sa.Column("lessons", sa.Text(), nullable=True),
        sa.Column("replicates_project_id", sa.Uuid(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "agents_involved IS NULL OR agents_involved >= 0", name=op.f("ck_projects_agents_involved_positive")
        ),
        sa.CheckConstraint(
            "users_involved IS NULL OR users_involved >= 0", name=op.f("ck_projects_users_involved_positive")
        ),
        sa.ForeignKeyConstraint(["lab_id"], ["labs.id"], name=op.f("fk_projects_lab_id_labs")),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"], name=op.f("fk_projects_region_code_regions")),
        sa.ForeignKeyConstraint(
            ["replicates_project_id"], ["projects.id"], name=op.f("fk_projects_replicates_project_id_projects")
        ),
        sa.ForeignKeyConstraint(["theme_code"], ["themes.code"], name=op.f("fk_projects_theme_code_themes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("external_id", name=op.f("uq_projects_external_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_projects_slug")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_lab_id"), ["lab_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_replicates_project_id"), ["replicates_project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_theme_code"), ["theme_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_title"), ["title"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "allocations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("stream_id", sa.Uuid(), nullable=False),
        sa.Column("lab_id", sa.Uuid(), nullable=True),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("purpose", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("nature", sa.String(length=20), nullable=False),
        sa.Column("subsidy_share", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("eu_notified", sa.Boolean(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_allocations_amount_positive")),
        sa.CheckConstraint(
            "lab_id IS NOT NULL OR project_id IS NOT NULL OR organization_id IS NOT NULL",
            name=op.f("ck_allocations_has_beneficiary"),
        ),
        sa.ForeignKeyConstraint(["lab_id"], ["labs.id"], name=op.f("fk_allocations_lab_id_labs")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_allocations_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_allocations_project_id_projects")),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["funding_streams.id"], name=op.f("fk_allocations_stream_id_funding_streams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
        sa.UniqueConstraint("external_id", name=op.f("uq_allocations_external_id")),
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocations_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_allocations_lab_id"), ["lab_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_allocations_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_allocations_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_allocations_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_allocations_stream_id"), ["stream_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_allocations_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("theme_code", sa.String(length=64), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("format", sa.String(length=64), nullable=False),
        sa.Column("attendance_mode", sa.String(length=20), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("local_start_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("organizer_organization_id", sa.Uuid(), nullable=True),
        sa.Column("lab_id", sa.Uuid(), nullable=True),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("online_url", sa.String(length=1000), nullable=True),
        sa.Column("registration_url", sa.String(length=1000), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("participants_count", sa.Integer(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name=op.f("ck_events_capacity_positive")),
        sa.CheckConstraint("ends_at >= starts_at", name=op.f("ck_events_ends_after_start")),
        sa.CheckConstraint(
            "participants_count IS NULL OR participants_count >= 0", name=op.f("ck_events_participants_positive")
        ),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_events_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["format"], ["event_formats.code"], name=op.f("fk_events_format_event_formats")),
        sa.ForeignKeyConstraint(["lab_id"], ["labs.id"], name=op.f("fk_events_lab_id_labs")),
        sa.ForeignKeyConstraint(
            ["organizer_organization_id"],
            ["organizations.id"],
            name=op.f("fk_events_organizer_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_events_project_id_projects")),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"], name=op.f("fk_events_region_code_regions")),
        sa.ForeignKeyConstraint(["theme_code"], ["themes.code"], name=op.f("fk_events_theme_code_themes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("external_id", name=op.f("uq_events_external_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_format"), ["format"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_lab_id"), ["lab_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_events_organizer_organization_id"), ["organizer_organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_events_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_events_region_code_starts_at_id", ["region_code", "starts_at", "id"], unique=False)
        batch_op.create_index("ix_events_starts_at_id", ["starts_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_theme_code"), ["theme_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "project_partners",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_project_partners_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_project_partners_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_partners")),
        sa.UniqueConstraint("external_id", name=op.f("uq_project_partners_external_id")),
        sa.UniqueConstraint(
            "project_id", "organization_id", "role", name=op.f("uq_project_partners_project_id_organization_id_role")
        ),
    )
    with op.batch_alter_table("project_partners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_partners_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_project_partners_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_project_partners_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_project_partners_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "project_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_status_changes_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_status_changes")),
    )
    with op.batch_alter_table("project_status_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_status_changes_project_id"), ["project_id"], unique=False)

    op.create_table(
        "disbursements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("allocation_id", sa.Uuid(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_disbursements_amount_positive")),
        sa.ForeignKeyConstraint(
            ["allocation_id"], ["allocations.id"], name=op.f("fk_disbursements_allocation_id_allocations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursements")),
        sa.UniqueConstraint("external_id", name=op.f("uq_disbursements_external_id")),
    )
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disbursements_allocation_id"), ["allocation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disbursements_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_disbursements_updated_at"), ["updated_at"], unique=False)
    _seed_reference_data()


# Frozen copies of the reference data as shipped by this revision; later revisions add or change rows.
REGIONS = [
    ("01", "Guadeloupe", "America/Guadeloupe"),
    ("02", "Martinique", "America/Martinique"),
    ("03", "Guyane", "America/Cayenne"),
    ("04", "La Réunion", "Indian/Reunion"),
    ("06", "Mayotte", "Indian/Mayotte"),
    ("11", "Île-de-France", "Europe/Paris"),
    ("24", "Centre-Val de Loire", "Europe/Paris"),
    ("27", "Bourgogne-Franche-Comté", "Europe/Paris"),
    ("28", "Normandie", "Europe/Paris"),
    ("32", "Hauts-de-France", "Europe/Paris"),
    ("44", "Grand Est", "Europe/Paris"),
    ("52", "Pays de la Loire", "Europe/Paris"),
    ("53", "Bretagne", "Europe/Paris"),
    ("75", "Nouvelle-Aquitaine", "Europe/Paris"),
    ("76", "Occitanie", "Europe/Paris"),
    ("84", "Auvergne-Rhône-Alpes", "Europe/Paris"),
    ("93", "Provence-Alpes-Côte d'Azur", "Europe/Paris"),
    ("94", "Corse", "Europe/Paris"),
]
THEMES = [
    ("service-usager", "Service à l'usager"),
    ("continuite-crise", "Continuité des services publics en temps de crise"),
    ("innovation-manageriale", "Innovation managériale"),
    ("territorial", "Innovation territoriale"),
    ("design", "Design"),
    ("engagement-citoyen", "Engagement citoyen"),
    ("ecoresponsable", "Services écoresponsables"),
]
EVENT_FORMATS = [
    ("webinaire", "Webinaire"),
    ("formation", "Formation"),
    ("atelier-decouverte", "Atelier découverte"),
    ("atelier", "Atelier"),
    ("conference", "Conférence"),
    ("hackathon", "Hackathon"),
    ("visite", "Visite"),
    ("autre", "Autre"),
]


def _seed_reference_data() -> None:
    regions = sa.table("regions", sa.column("code"), sa.column("name"), sa.column("timezone"))
    themes = sa.table("themes", sa.column("code"), sa.column("label"))
    formats = sa.table("event_formats", sa.column("code"), sa.column("label"))
    op.bulk_insert(regions, [{"code": c, "name": n, "timezone": tz} for c, n, tz in REGIONS])
    op.bulk_insert(themes, [{"code": c, "label": label} for c, label in THEMES])
    op.bulk_insert(formats, [{"code": c, "label": label} for c, label in EVENT_FORMATS])


def downgrade() -> None:
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disbursements_updated_at"))
        batch_op.drop_index(batch_op.f("ix_disbursements_created_at"))
        batch_op.drop_index(batch_op.f("ix_disbursements_allocation_id"))

    op.drop_table("disbursements")
    with op.batch_alter_table("project_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_status_changes_project_id"))

    op.drop_table("project_status_changes")
    with op.batch_alter_table("project_partners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_partners_updated_at"))
        batch_op.drop_index(batch_op.f("ix_project_partners_project_id"))
        batch_op.drop_index(batch_op.f("ix_project_partners_organization_id"))
        batch_op.drop_index(batch_op.f("ix_project_partners_created_at"))

    op.drop_table("project_partners")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_updated_at"))
        batch_op.drop_index(batch_op.f("ix_events_theme_code"))
        batch_op.drop_index(batch_op.f("ix_events_status"))
        batch_op.drop_index("ix_events_starts_at_id")
        batch_op.drop_index("ix_events_region_code_starts_at_id")
        batch_op.drop_index(batch_op.f("ix_events_project_id"))
        batch_op.drop_index(batch_op.f("ix_events_organizer_organization_id"))
        batch_op.drop_index(batch_op.f("ix_events_lab_id"))
        batch_op.drop_index(batch_op.f("ix_events_format"))
        batch_op.drop_index(batch_op.f("ix_events_created_at"))
        batch_op.drop_index(batch_op.f("ix_events_campaign_id"))

    op.drop_table("events")
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_updated_at"))
        batch_op.drop_index(batch_op.f("ix_allocations_stream_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_status"))
        batch_op.drop_index(batch_op.f("ix_allocations_project_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_organization_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_lab_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_created_at"))

    op.drop_table("allocations")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_updated_at"))
        batch_op.drop_index(batch_op.f("ix_projects_title"))
        batch_op.drop_index(batch_op.f("ix_projects_theme_code"))
        batch_op.drop_index(batch_op.f("ix_projects_status"))
        batch_op.drop_index(batch_op.f("ix_projects_replicates_project_id"))
        batch_op.drop_index(batch_op.f("ix_projects_region_code"))
        batch_op.drop_index(batch_op.f("ix_projects_lab_id"))
        batch_op.drop_index(batch_op.f("ix_projects_created_at"))

    op.drop_table("projects")
    with op.batch_alter_table("labs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_labs_updated_at"))
        batch_op.drop_index(batch_op.f("ix_labs_region_code"))
        batch_op.drop_index(batch_op.f("ix_labs_name"))
        batch_op.drop_index(batch_op.f("ix_labs_host_organization_id"))
        batch_op.drop_index(batch_op.f("ix_labs_created_at"))

    op.drop_table("labs")
    with op.batch_alter_table("funding_streams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_streams_updated_at"))
        batch_op.drop_index(batch_op.f("ix_funding_streams_managing_organization_id"))
        batch_op.drop_index(batch_op.f("ix_funding_streams_created_at"))

    op.drop_table("funding_streams")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_updated_at"))
        batch_op.drop_index(batch_op.f("ix_organizations_region_code"))
        batch_op.drop_index(batch_op.f("ix_organizations_name"))
        batch_op.drop_index(batch_op.f("ix_organizations_created_at"))

    op.drop_table("organizations")
    op.drop_table("themes")
    op.drop_table("regions")
    op.drop_table("event_formats")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_updated_at"))
        batch_op.drop_index(batch_op.f("ix_campaigns_name"))
        batch_op.drop_index(batch_op.f("ix_campaigns_created_at"))

    op.drop_table("campaigns")
