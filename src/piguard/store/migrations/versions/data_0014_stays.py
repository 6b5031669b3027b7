"""Data database: hotel stays checked in (owned by piguard.access; issue 11, item 5).

``access_stay_checkins``: a stay grants the front desk's row scope (``active_stay``) only once it
is checked in through the gated ``stay_check_in`` (the guest's ID number matched the record, or a
second person approved a check-in grant) and until ``stay_check_out``. Failed ID matches are
counted (the number is never stored); at the limit, check-in by ID number locks for that guest.
Stays existing before this migration are not checked in: the front desk checks them in again
(or an approver approves), so no stay keeps a scope nobody proved.

Revision ID: data_0014
Revises: data_0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0014"
down_revision: str | None = "data_0013"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "access_stay_checkins",
        sa.Column("stay_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("method", sa.String(16), nullable=True),
        sa.Column("grant_id", sa.String(64), nullable=True),
        sa.Column("failed_matches", sa.Integer, nullable=False),
        sa.Column("checked_in_at", UTCDateTime, nullable=True),
        sa.Column("checked_in_by", sa.String(64), nullable=True),
        sa.Column("checked_out_at", UTCDateTime, nullable=True),
        sa.Column("checked_out_by", sa.String(64), nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("stay_id", name="pk_access_stay_checkins"),
    )
    op.create_index("ix_access_stay_checkins_customer_id", "access_stay_checkins", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_access_stay_checkins_customer_id", table_name="access_stay_checkins")
    op.drop_table("access_stay_checkins")
