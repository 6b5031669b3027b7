"""Data database: consent tables (owned by piguard.consent).

Notices, the append-only consent ledger, marketing preferences, the deletion hand-off
queue, minors' review dates and the change watermark. ``piguard.consent.tables``
describes the same. Triggers make the ledger, the notices and the marketing history
append-only at the database level (R-COL-2).

Revision ID: data_0004
Revises: data_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0004"
down_revision: str | None = "data_0003"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_APPEND_ONLY = ("consent_records", "consent_notices", "consent_marketing")


def upgrade() -> None:
    op.create_table(
        "consent_notices",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text_zh", sa.Text, nullable=False),
        sa.Column("text_en", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(71), nullable=False),
        sa.Column("material", sa.Boolean, nullable=False),
        sa.Column("purposes_changed", sa.Text, nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=False),
        sa.Column("effective_at", UTCDateTime, nullable=False),
        sa.Column("operator", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "version", name="pk_consent_notices"),
    )
    op.create_table(
        "consent_records",
        sa.Column("id", _SERIAL, nullable=False, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("purposes", sa.Text, nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("retention", sa.Text, nullable=False),
        sa.Column("notice_version", sa.Integer, nullable=True),
        sa.Column("notice_hash", sa.String(71), nullable=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("operator", sa.String(128), nullable=False),
        sa.Column("given_at", UTCDateTime, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("evidence_ref", sa.String(200), nullable=True),
        sa.Column("guardian_ref", sa.String(80), nullable=True),
        sa.Column("guardian_relationship", sa.String(32), nullable=True),
        sa.Column("recipient", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_consent_records"),
    )
    op.create_index(
        "ix_consent_records_tenant_customer_id_id", "consent_records", ["tenant", "customer_id", "id"]
    )
    op.create_table(
        "consent_marketing",
        sa.Column("id", _SERIAL, nullable=False, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("opt_out", sa.Boolean, nullable=False),
        sa.Column("personalised", sa.Boolean, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("operator", sa.String(128), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consent_marketing"),
    )
    op.create_index(
        "ix_consent_marketing_tenant_customer_id_id", "consent_marketing", ["tenant", "customer_id", "id"]
    )
    op.create_table(
        "consent_deletions",
        sa.Column("id", _SERIAL, nullable=False, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("source_record", sa.BigInteger, nullable=True),
        sa.Column("marked_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consent_deletions"),
    )
    op.create_index("ix_consent_deletions_tenant_status_id", "consent_deletions", ["tenant", "status", "id"])
    op.create_table(
        "consent_minors",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("band", sa.String(16), nullable=False),
        sa.Column("next_review", sa.Date, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "customer_id", name="pk_consent_minors"),
    )
    op.create_index("ix_consent_minors_tenant_next_review", "consent_minors", ["tenant", "next_review"])
    op.create_table(
        "consent_watermark",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("tenant", name="pk_consent_watermark"),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    """Refuse UPDATE and DELETE on the append-only tables, whoever issues them (R-COL-2)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION piguard_consent_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'consent history is append-only (R-COL-2)'; END $$"
        )
        for table in _APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION piguard_consent_immutable()"
            )
        return
    for table in _APPEND_ONLY:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'consent history is append-only (R-COL-2)'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        op.execute("DROP FUNCTION IF EXISTS piguard_consent_immutable()")
    else:
        for table in _APPEND_ONLY:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
    op.drop_table("consent_watermark")
    op.drop_index("ix_consent_minors_tenant_next_review", table_name="consent_minors")
    op.drop_table("consent_minors")
    op.drop_index("ix_consent_deletions_tenant_status_id", table_name="consent_deletions")
    op.drop_table("consent_deletions")
    op.drop_index("ix_consent_marketing_tenant_customer_id_id", table_name="consent_marketing")
    op.drop_table("consent_marketing")
    op.drop_index("ix_consent_records_tenant_customer_id_id", table_name="consent_records")
    op.drop_table("consent_records")
    op.drop_table("consent_notices")
