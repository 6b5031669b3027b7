"""Data database: the outbox (owned by piguard.outbox).

One row per message to a customer: customer id, channel, template, sealed parameters (blanked
once sent or given up), status, attempts, next attempt. No address and no message text.
``piguard.outbox.tables`` describes the same.

Revision ID: data_0006
Revises: data_0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0006"
down_revision: str | None = "data_0005"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("reference", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
    )
    op.create_index(
        "ix_outbox_messages_tenant_status_next_attempt",
        "outbox_messages",
        ["tenant", "status", "next_attempt"],
    )
    op.create_index("ix_outbox_messages_tenant_reference", "outbox_messages", ["tenant", "reference"])


def downgrade() -> None:
    op.drop_table("outbox_messages")
