"""Data database: when the incident clock job last alerted about each clock (the cool-down of the
``incident_deadline`` alert, kept in the database so that any node's job sees it).

Revision ID: data_0022
Revises: data_0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0022"
down_revision: str | None = "data_0021"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "incident_alerted",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(40), nullable=False),
        sa.Column("clock", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("alerted_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "incident_id", "clock", name="pk_incident_alerted"),
    )


def downgrade() -> None:
    op.drop_table("incident_alerted")
