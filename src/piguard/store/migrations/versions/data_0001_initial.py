"""Data database: records, blind index, meta.

Revision ID: data_0001
Revises:
Branch: data
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "data_0001"
down_revision: str | None = None
branch_labels = ("data",)
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "customer_id", "record_type", "record_id", name="pk_records"),
        sa.CheckConstraint("status IN ('active', 'restricted', 'deleting')", name="ck_records_status"),
        sa.CheckConstraint("version >= 1", name="ck_records_version"),
    )
    op.create_index(
        "uq_records_tenant_record_type_record_id",
        "records",
        ["tenant", "record_type", "record_id"],
        unique=True,
    )
    op.create_table(
        "blind_index",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("digest", sa.LargeBinary(8), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant", "customer_id", "record_type", "record_id", "field", "digest", name="pk_blind_index"
        ),
        sa.CheckConstraint("length(digest) <= 8", name="ck_blind_index_digest_length"),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_blind_index_lookup",
        "blind_index",
        ["tenant", "record_type", "field", "digest", "customer_id", "record_id"],
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_meta"),
    )


def downgrade() -> None:
    op.drop_table("meta")
    op.drop_index("ix_blind_index_lookup", table_name="blind_index")
    op.drop_table("blind_index")
    op.drop_index("uq_records_tenant_record_type_record_id", table_name="records")
    op.drop_table("records")
