"""Data database: access tables (owned by piguard.access).

Revision ID: data_0002
Revises: data_0001
"""

from __future__ import annotations

revision = "data_0002"
down_revision: str | None = "data_0001"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Filled in by the access package's migration.
    pass


def downgrade() -> None:
    pass
