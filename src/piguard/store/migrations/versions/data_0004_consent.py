"""Data database: consent tables (owned by piguard.consent).

Revision ID: data_0004
Revises: data_0003
"""

from __future__ import annotations

revision = "data_0004"
down_revision: str | None = "data_0003"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Filled in by the consent package's migration.
    pass


def downgrade() -> None:
    pass
