"""Data database: authentication counters (owned by piguard.access).

``access_auth_counters`` holds fixed-window counts of failed logins and step-ups per
(account, address) and of unauthenticated requests per address, so back-off and rate
limits hold across processes. The per-account hard lock (``access_principals.locked_at``)
is no longer set: an attacker could lock anyone out with five bad passwords. Existing locks
are lifted here, and ``failed_logins`` restarts from zero.

Revision ID: data_0009
Revises: data_0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0009"
down_revision: str | None = "data_0008"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "access_auth_counters",
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("window_start", sa.BigInteger, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("last_at", UTCDateTime, nullable=False),
        sa.Column("account", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key", "window_start", name="pk_access_auth_counters"),
    )
    op.create_index("ix_access_auth_counters_account", "access_auth_counters", ["account"])
    op.execute("UPDATE access_principals SET locked_at = NULL, failed_logins = 0")


def downgrade() -> None:
    op.drop_index("ix_access_auth_counters_account", table_name="access_auth_counters")
    op.drop_table("access_auth_counters")
