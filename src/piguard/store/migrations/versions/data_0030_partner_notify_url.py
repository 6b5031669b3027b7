"""Data database: a partner's endpoint for deletion notices (issue 15 item 9, "outbox / webhook").

``sharing_partners.notify_url`` (optional): where the outbox POSTs a partner's deletion notices as
JSON signed with the installation's audit key, for partners whose systems take them by API.

Revision ID: data_0030
Revises: data_0029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "data_0030"
down_revision: str | None = "data_0029"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("sharing_partners") as batch:
        batch.add_column(sa.Column("notify_url", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sharing_partners") as batch:
        batch.drop_column("notify_url")
