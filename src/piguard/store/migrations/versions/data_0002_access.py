"""Data database: access tables (owned by piguard.access).

Principals (staff users and API clients), bearer tokens (hashes only), just-in-time
grants, training records and quota reads. ``piguard.access.tables`` describes the same.

Revision ID: data_0002
Revises: data_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0002"
down_revision: str | None = "data_0001"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "access_principals",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("totp_secret", sa.String(255), nullable=True),
        sa.Column("totp_last_step", sa.Integer, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text, nullable=True),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_at", UTCDateTime, nullable=True),
        sa.Column("customers_per_hour", sa.Integer, nullable=True),
        sa.Column("max_results", sa.Integer, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_principals"),
        sa.UniqueConstraint("name", name="uq_access_principals_name"),
    )
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("principal_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=True),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.Column("step_up_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_access_tokens_token_hash"),
    )
    op.create_index("ix_access_tokens_principal_id", "access_tokens", ["principal_id"])
    op.create_table(
        "access_grants",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("requester_id", sa.String(64), nullable=False),
        sa.Column("requester_role", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=True),
        sa.Column("record_type", sa.String(64), nullable=True),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("max_rows", sa.Integer, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("expires_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_grants"),
    )
    op.create_index(
        "ix_access_grants_lookup", "access_grants", ["requester_id", "customer_id", "purpose", "status"]
    )
    op.create_table(
        "access_training",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("principal_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("course", sa.String(128), nullable=False),
        sa.Column("completed_on", sa.Date, nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("valid_until", sa.Date, nullable=True),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_training"),
    )
    op.create_index("ix_access_training_principal_id", "access_training", ["principal_id"])
    op.create_table(
        "access_quota_reads",
        sa.Column("principal_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("read_at", UTCDateTime, nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("principal_id", "customer_id", "read_at", name="pk_access_quota_reads"),
    )
    op.create_index("ix_access_quota_reads_window", "access_quota_reads", ["principal_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_access_quota_reads_window", table_name="access_quota_reads")
    op.drop_table("access_quota_reads")
    op.drop_index("ix_access_training_principal_id", table_name="access_training")
    op.drop_table("access_training")
    op.drop_index("ix_access_grants_lookup", table_name="access_grants")
    op.drop_table("access_grants")
    op.drop_index("ix_access_tokens_principal_id", table_name="access_tokens")
    op.drop_table("access_tokens")
    op.drop_table("access_principals")
