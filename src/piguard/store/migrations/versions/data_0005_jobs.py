"""Data database: job leases (owned by piguard.jobs).

One row per scheduled job and tenant: next due time, the node holding it and until when, the
last outcome. ``piguard.jobs.tables`` describes the same. No customer data.

Revision ID: data_0005
Revises: data_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0005"
down_revision: str | None = "data_0004"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "job_leases",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("next_due", UTCDateTime, nullable=False),
        sa.Column("owner", sa.String(128), nullable=True),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("last_started", UTCDateTime, nullable=True),
        sa.Column("last_finished", UTCDateTime, nullable=True),
        sa.Column("last_outcome", sa.String(64), nullable=True),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "name", name="pk_job_leases"),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
