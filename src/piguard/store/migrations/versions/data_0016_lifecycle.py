"""Data database: legal holds (R-DST-2) and destruction records (R-DST-3), the life cycle's tables.

- ``lifecycle_holds``: one row per hold on a customer, with its matter, owner, review date, who
  placed and who released it and when; reasons sealed.
- ``lifecycle_destructions``: one signed record per erasure (ids and counts, no values).
- ``lifecycle_events``: account closures (relationship end), which start post-relationship clocks.

Revision ID: data_0016
Revises: data_0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0016"
down_revision: str | None = "data_0012"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "lifecycle_holds",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("matter", sa.String(64), nullable=True),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("review_on", sa.Date, nullable=True),
        sa.Column("placed_by", sa.String(128), nullable=False),
        sa.Column("placed_at", UTCDateTime, nullable=False),
        sa.Column("released_by", sa.String(128), nullable=True),
        sa.Column("released_at", UTCDateTime, nullable=True),
        sa.Column("release_reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_lifecycle_holds"),
    )
    op.create_index("ix_lifecycle_holds_tenant_customer_id", "lifecycle_holds", ["tenant", "customer_id"])
    op.create_table(
        "lifecycle_destructions",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("operation", sa.String(64), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("signature", sa.String(200), nullable=True),
        sa.Column("verified_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_lifecycle_destructions"),
    )
    op.create_index("ix_lifecycle_destructions_tenant_at", "lifecycle_destructions", ["tenant", "at"])

    op.create_table(
        "lifecycle_events",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "customer_id", "event", name="pk_lifecycle_events"),
    )


def downgrade() -> None:
    op.drop_table("lifecycle_events")
    op.drop_index("ix_lifecycle_destructions_tenant_at", "lifecycle_destructions")
    op.drop_table("lifecycle_destructions")
    op.drop_index("ix_lifecycle_holds_tenant_customer_id", "lifecycle_holds")
    op.drop_table("lifecycle_holds")
