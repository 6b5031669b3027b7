"""Data database: minors' review dates kept to the month, the day as a keyed tag (issue 11, item 9).

``consent_minors.next_review`` held the exact 14th or 18th birthday, which gives the birth date.
From now on it holds the first day of that month and ``review_day`` a keyed tag of the day
(:mod:`piguard.consent.store`); rows written before keep their exact date until the birthday job
or the next write of the customer rewrites them.

Revision ID: data_0008
Revises: data_0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "data_0008"
down_revision: str | None = "data_0007"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("consent_minors") as batch:
        batch.add_column(sa.Column("review_day", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent_minors") as batch:
        batch.drop_column("review_day")
