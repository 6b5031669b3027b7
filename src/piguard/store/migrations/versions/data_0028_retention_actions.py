"""Data database: what retention does at the end of a period (review queue, anonymous statistics).

- ``lifecycle_reviews``: records whose period ended under a rule asking for a person's decision.
- ``lifecycle_statistics``: counts kept by ``anonymise`` (record type, rule, month), no one in them.
- ``lifecycle_events.event`` widened: ``purpose_fulfilled:<purpose>`` names the purpose.

Revision ID: data_0028
Revises: data_0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0028"
down_revision: str | None = "data_0027"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "lifecycle_reviews",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("queued_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("keep_until", sa.Date, nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_lifecycle_reviews"),
    )
    op.create_index("ix_lifecycle_reviews_tenant_customer_id", "lifecycle_reviews", ["tenant", "customer_id"])
    op.create_index("ix_lifecycle_reviews_tenant_status", "lifecycle_reviews", ["tenant", "status"])
    op.create_table(
        "lifecycle_statistics",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "record_type", "rule", "month", name="pk_lifecycle_statistics"),
    )
    with op.batch_alter_table("lifecycle_events") as batch:
        batch.alter_column("event", type_=sa.String(96), existing_type=sa.String(32), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("lifecycle_events") as batch:
        batch.alter_column("event", type_=sa.String(32), existing_type=sa.String(96), existing_nullable=False)
    op.drop_table("lifecycle_statistics")
    op.drop_index("ix_lifecycle_reviews_tenant_status", "lifecycle_reviews")
    op.drop_index("ix_lifecycle_reviews_tenant_customer_id", "lifecycle_reviews")
    op.drop_table("lifecycle_reviews")
