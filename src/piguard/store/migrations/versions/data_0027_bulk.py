"""Data database: import checkpoints, so a bulk import resumes after its last committed batch.

- ``import_checkpoints``: per tenant and import (a keyed digest of its source), the highest row
  number whose batch committed, written in that batch's transaction.

Revision ID: data_0027
Revises: data_0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0027"
down_revision: str | None = "data_0025"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "import_checkpoints",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("import_key", sa.String(64), nullable=False),
        sa.Column("record_type", sa.String(64), nullable=False),
        sa.Column("rows_done", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "import_key", name="pk_import_checkpoints"),
    )


def downgrade() -> None:
    op.drop_table("import_checkpoints")
