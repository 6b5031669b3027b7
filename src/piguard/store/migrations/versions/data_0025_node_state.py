"""Data database: state shared by every node (issue 12, item 1).

- ``node_console_sessions``: console sessions by cookie digest (sealed API token, CSRF, last use).
- ``node_rate_buckets``: API rate-limit token buckets, charged with one atomic upsert.
- ``node_rule_events``: events inside the monitoring rules' sliding windows.
- ``node_rule_cooldowns``: when a monitoring rule last fired for a key.

Revision ID: data_0025
Revises: data_0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0025"
down_revision: str | None = "data_0024"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "node_console_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("principal_id", sa.String(64), nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("last_seen", UTCDateTime, nullable=False),
        sa.Column("flashes", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_node_console_sessions"),
    )
    op.create_index("ix_node_console_sessions_principal_id", "node_console_sessions", ["principal_id"])
    op.create_index("ix_node_console_sessions_last_seen", "node_console_sessions", ["last_seen"])
    op.create_table(
        "node_rate_buckets",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("admitted", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_node_rate_buckets"),
    )
    op.create_index("ix_node_rate_buckets_at", "node_rate_buckets", ["at"])
    op.create_table(
        "node_rule_events",
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("value", sa.String(160), nullable=True),
        sa.Column("weight", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("rule", "key", "seq", name="pk_node_rule_events"),
    )
    op.create_index("ix_node_rule_events_rule_key_at", "node_rule_events", ["rule", "key", "at"])
    op.create_table(
        "node_rule_cooldowns",
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("key", sa.String(240), nullable=False),
        sa.Column("last_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("rule", "key", name="pk_node_rule_cooldowns"),
    )


def downgrade() -> None:
    op.drop_table("node_rule_cooldowns")
    op.drop_index("ix_node_rule_events_rule_key_at", table_name="node_rule_events")
    op.drop_table("node_rule_events")
    op.drop_index("ix_node_rate_buckets_at", table_name="node_rate_buckets")
    op.drop_table("node_rate_buckets")
    op.drop_index("ix_node_console_sessions_last_seen", table_name="node_console_sessions")
    op.drop_index("ix_node_console_sessions_principal_id", table_name="node_console_sessions")
    op.drop_table("node_console_sessions")
