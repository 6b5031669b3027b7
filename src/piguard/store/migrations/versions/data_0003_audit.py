"""Data database: audit tables (owned by piguard.audit).

Revision ID: data_0003
Revises: data_0002
"""

from __future__ import annotations

revision = "data_0003"
down_revision: str | None = "data_0002"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Filled in by the audit package's migration.
    pass


def downgrade() -> None:
    pass
