"""Key store: wrapped per-customer data keys.

Revision ID: keys_0001
Revises:
Branch: keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "keys_0001"
down_revision: str | None = None
branch_labels = ("keys",)
depends_on: str | None = None


def _schema() -> str | None:
    # The key store's PostgreSQL schema is chosen at install time (None on SQLite).
    schema: str | None = context.config.attributes.get("schema")
    return schema


def upgrade() -> None:
    schema = _schema()
    op.create_table(
        "data_keys",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("kek_version", sa.Integer, nullable=False),
        sa.Column("wrapped", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "customer_id", name="pk_data_keys"),
        schema=schema,
    )
    op.create_index("ix_data_keys_kek_version", "data_keys", ["kek_version"], schema=schema)


def downgrade() -> None:
    schema = _schema()
    op.drop_index("ix_data_keys_kek_version", table_name="data_keys", schema=schema)
    op.drop_table("data_keys", schema=schema)
