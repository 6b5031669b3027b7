"""Data database: share requests, approved by a second person and downloaded once (issue 15).

- ``sharing_share_requests``: who asked for which share (agreement, fields, customers by random
  id), who decided it, and the transfer its one download produced. No customer value.

Revision ID: data_0021
Revises: data_0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0021"
down_revision: str | None = "data_0018"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "sharing_share_requests",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("agreement_id", sa.String(40), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("customers", sa.Text, nullable=True),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requested_role", sa.String(64), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Column("transfer_id", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sharing_share_requests"),
    )
    op.create_index(
        "ix_sharing_share_requests_tenant_state", "sharing_share_requests", ["tenant", "state"]
    )


def downgrade() -> None:
    op.drop_index("ix_sharing_share_requests_tenant_state", table_name="sharing_share_requests")
    op.drop_table("sharing_share_requests")
