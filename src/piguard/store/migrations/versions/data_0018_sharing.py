"""Data database: partners, agreements, impact assessments and the transfer log (issue 15).

- ``sharing_partners``: the partner register (organisations, no customer PI).
- ``sharing_agreements``: agreements with their exact fields and desensitisation rules.
- ``sharing_assessments``: versioned PIPIAs, kept at least 3 years.
- ``sharing_transfers`` / ``sharing_transfer_persons``: the transfer log (kept at least 3 years)
  and which customers (random ids) each transfer carried, for the yearly cross-border counts.
- ``sharing_deletion_notices``: partners told to delete an erased customer's data.

Revision ID: data_0018
Revises: data_0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0018"
down_revision: str | None = "data_0017"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "sharing_agreements",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("partner_id", sa.String(40), nullable=False),
        sa.Column("type", sa.String(24), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("method", sa.String(200), nullable=False),
        sa.Column("safeguards", sa.Text, nullable=False),
        sa.Column("sub_entrustment", sa.Boolean, nullable=False),
        sa.Column("mechanism", sa.String(32), nullable=True),
        sa.Column("destination", sa.String(2), nullable=True),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime, nullable=True),
        sa.Column("end_outcome", sa.String(16), nullable=True),
        sa.Column("end_evidence_sha256", sa.String(64), nullable=True),
        sa.Column("suspended_reason", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sharing_agreements"),
    )
    op.create_index("ix_sharing_agreements_tenant_partner_id", "sharing_agreements", ["tenant", "partner_id"])
    op.create_table(
        "sharing_assessments",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("agreement_id", sa.String(40), nullable=True),
        sa.Column("purpose", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("sections", sa.Text, nullable=False),
        sa.Column("conclusion", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("assessed_on", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("keep_until", sa.Date, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sharing_assessments"),
    )
    op.create_index(
        "ix_sharing_assessments_tenant_agreement_id", "sharing_assessments", ["tenant", "agreement_id"]
    )
    op.create_table(
        "sharing_deletion_notices",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("partner_id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("cause", sa.String(24), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("acknowledged_at", UTCDateTime, nullable=True),
        sa.Column("acknowledged_by", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sharing_deletion_notices"),
    )
    op.create_index(
        "ix_sharing_deletion_notices_tenant_partner_id", "sharing_deletion_notices", ["tenant", "partner_id"]
    )
    op.create_table(
        "sharing_partners",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("authority", sa.Boolean, nullable=False),
        sa.Column("security_basis", sa.String(64), nullable=False),
        sa.Column("assessed_on", sa.Date, nullable=False),
        sa.Column("assessment_expires", sa.Date, nullable=False),
        sa.Column("assessor", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sharing_partners"),
    )
    op.create_table(
        "sharing_transfer_persons",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("transfer_id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("cross_border", sa.Boolean, nullable=False),
        sa.Column("sensitive", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "transfer_id", "customer_id", name="pk_sharing_transfer_persons"),
    )
    op.create_index(
        "ix_sharing_transfer_persons_tenant_year_cross_border",
        "sharing_transfer_persons",
        ["tenant", "year", "cross_border"],
    )
    op.create_index(
        "ix_sharing_transfer_persons_tenant_customer_id",
        "sharing_transfer_persons",
        ["tenant", "customer_id"],
    )
    op.create_table(
        "sharing_transfers",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("partner_id", sa.String(40), nullable=True),
        sa.Column("agreement_id", sa.String(40), nullable=True),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("persons", sa.Integer, nullable=False),
        sa.Column("left_out", sa.Text, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("operator", sa.String(128), nullable=False),
        sa.Column("approver", sa.String(128), nullable=True),
        sa.Column("cross_border", sa.Boolean, nullable=False),
        sa.Column("keep_until", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sharing_transfers"),
    )
    op.create_index("ix_sharing_transfers_tenant_partner_id", "sharing_transfers", ["tenant", "partner_id"])


def downgrade() -> None:

    op.drop_index("ix_sharing_transfers_tenant_partner_id", "sharing_transfers")
    op.drop_table("sharing_transfers")
    op.drop_index("ix_sharing_transfer_persons_tenant_year_cross_border", "sharing_transfer_persons")
    op.drop_index("ix_sharing_transfer_persons_tenant_customer_id", "sharing_transfer_persons")
    op.drop_table("sharing_transfer_persons")
    op.drop_table("sharing_partners")
    op.drop_index("ix_sharing_deletion_notices_tenant_partner_id", "sharing_deletion_notices")
    op.drop_table("sharing_deletion_notices")
    op.drop_index("ix_sharing_assessments_tenant_agreement_id", "sharing_assessments")
    op.drop_table("sharing_assessments")
    op.drop_index("ix_sharing_agreements_tenant_partner_id", "sharing_agreements")
    op.drop_table("sharing_agreements")
