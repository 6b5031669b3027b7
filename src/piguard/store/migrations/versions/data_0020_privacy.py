"""Data database: the customer privacy centre's sessions, one-time codes and rate-limit counters.

- ``privacy_sessions``: signed-in customer browsers (cookie digest, customer, CSRF, expiry, revocation).
- ``privacy_challenges``: one-time codes for sign-in and step-up, as keyed digests.
- ``privacy_limits``: fixed-window counters, shared by every node.

Revision ID: data_0020
Revises: data_0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0020"
down_revision: str | None = "data_0019"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_seen", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_sessions"),
    )
    op.create_index("ix_privacy_sessions_tenant_customer_id", "privacy_sessions", ["tenant", "customer_id"])
    op.create_table(
        "privacy_challenges",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=True),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("field", sa.String(128), nullable=True),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_challenges"),
    )
    op.create_table(
        "privacy_limits",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("window_end", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "key", name="pk_privacy_limits"),
    )
    op.create_index("ix_privacy_limits_window_end", "privacy_limits", ["window_end"])


def downgrade() -> None:
    op.drop_index("ix_privacy_limits_window_end", table_name="privacy_limits")
    op.drop_table("privacy_limits")
    op.drop_table("privacy_challenges")
    op.drop_index("ix_privacy_sessions_tenant_customer_id", table_name="privacy_sessions")
    op.drop_table("privacy_sessions")
