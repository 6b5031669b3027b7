"""Data database: audit tables (owned by piguard.audit).

The audit trail shares the data database so that an entry and the change it records
commit together (fail closed). ``piguard.audit.tables`` describes the same schema.

Revision ID: data_0003
Revises: data_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "data_0003"
down_revision: str | None = "data_0002"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("checkpoint_seq", sa.BigInteger, nullable=False),
        sa.Column("checkpoint_time", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name="pk_audit_head"),
    )
    op.create_table(
        "audit_entries",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("mac", sa.LargeBinary(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "seq", name="pk_audit_entries"),
    )
    op.create_index("ix_audit_entries_customer", "audit_entries", ["tenant", "customer_ref", "seq"])
    op.create_index("ix_audit_entries_actor", "audit_entries", ["tenant", "actor_id", "seq"])
    op.create_index("ix_audit_entries_action", "audit_entries", ["tenant", "action", "seq"])
    op.create_index("ix_audit_entries_time", "audit_entries", ["tenant", "time"])
    op.create_table(
        "audit_checkpoints",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "seq", "kind", name="pk_audit_checkpoints"),
    )
    op.create_table(
        "audit_archives",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("through_seq", sa.BigInteger, nullable=False),
        sa.Column("through_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("archived_at", sa.String(32), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("entries", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "through_seq", name="pk_audit_archives"),
    )
    op.create_table(
        "audit_alerts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("principal_id", sa.String(128), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("acked_by", sa.String(128), nullable=True),
        sa.Column("acked_at", sa.String(32), nullable=True),
        sa.Column("ack_comment", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_alerts"),
    )
    op.create_index("ix_audit_alerts_status", "audit_alerts", ["tenant", "status", "time"])


def downgrade() -> None:
    op.drop_index("ix_audit_alerts_status", table_name="audit_alerts")
    op.drop_table("audit_alerts")
    op.drop_table("audit_archives")
    op.drop_table("audit_checkpoints")
    for name in ("time", "action", "actor", "customer"):
        op.drop_index(f"ix_audit_entries_{name}", table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_table("audit_head")
