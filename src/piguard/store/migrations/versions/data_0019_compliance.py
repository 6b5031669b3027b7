"""Data database: the compliance capability's governance records and report register.

- ``compliance_records``: versioned governance records (PI protection officer, internal policies,
  completed compliance audits); a new version never changes an old one.
- ``compliance_reports``: every compliance report generated, with its signed manifest.

Revision ID: data_0019
Revises: data_0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0019"
down_revision: str | None = "data_0016"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "compliance_records",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        sa.Column("scope", sa.String(16), nullable=True),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "kind", "name", "version", name="pk_compliance_records"),
    )
    op.create_index(
        "ix_compliance_records_tenant_kind_effective_on",
        "compliance_records",
        ["tenant", "kind", "effective_on"],
    )
    op.create_table(
        "compliance_reports",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_compliance_reports"),
    )
    op.create_index("ix_compliance_reports_tenant_at", "compliance_reports", ["tenant", "at"])


def downgrade() -> None:
    op.drop_index("ix_compliance_reports_tenant_at", "compliance_reports")
    op.drop_table("compliance_reports")
    op.drop_index("ix_compliance_records_tenant_kind_effective_on", "compliance_records")
    op.drop_table("compliance_records")
