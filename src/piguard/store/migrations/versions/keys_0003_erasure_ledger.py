"""Key store: the erasure ledger (every erasure, replayed after a restore so the erased stay erased).

Revision ID: keys_0003
Revises: keys_0002
Branch: keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "keys_0003"
down_revision: str | None = "keys_0002"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def _schema() -> str | None:
    schema: str | None = context.config.attributes.get("schema")
    return schema


def upgrade() -> None:
    op.create_table(
        "erasure_ledger",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        schema=_schema(),
    )
    op.create_index(
        "ix_erasure_ledger_customer", "erasure_ledger", ["tenant", "customer_id"], schema=_schema()
    )


def downgrade() -> None:
    op.drop_index("ix_erasure_ledger_customer", "erasure_ledger", schema=_schema())
    op.drop_table("erasure_ledger", schema=_schema())
