"""Key store: the newest signed audit checkpoint per tenant (an anchor outside the data database).

Revision ID: keys_0002
Revises: keys_0001
Branch: keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "keys_0002"
down_revision: str | None = "keys_0001"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def _schema() -> str | None:
    # The key store's PostgreSQL schema is chosen at install time (None on SQLite).
    schema: str | None = context.config.attributes.get("schema")
    return schema


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary, nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("tenant", name="pk_audit_anchors"),
        schema=_schema(),
    )


def downgrade() -> None:
    op.drop_table("audit_anchors", schema=_schema())
