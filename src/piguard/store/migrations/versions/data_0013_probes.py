"""Data database: the probe budget on masked fields (owned by piguard.access; issue 11, items 2, 17).

- ``access_probes``: one row per exact search or match check on a field the caller does not see
  in clear, hit or miss (no value, digest or customer), counted over the last hour;
- ``access_principals.probes_per_hour``: a principal's own, tighter probe budget.

Revision ID: data_0013
Revises: data_0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0013"
down_revision: str | None = "data_0012"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "access_probes",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("principal_id", sa.String(64), nullable=False),
        sa.Column("target", sa.String(129), nullable=False),
        sa.Column("probed_at", UTCDateTime, nullable=False),
        sa.Column("hit", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_probes"),
    )
    op.create_index("ix_access_probes_window", "access_probes", ["principal_id", "target", "probed_at"])
    with op.batch_alter_table("access_principals") as batch:
        batch.add_column(sa.Column("probes_per_hour", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_principals") as batch:
        batch.drop_column("probes_per_hour")
    op.drop_index("ix_access_probes_window", table_name="access_probes")
    op.drop_table("access_probes")
