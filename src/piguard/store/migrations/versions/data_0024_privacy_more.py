"""Data database: guardians in the privacy centre, and messages to another contact field.

- ``privacy_sessions.acting``: ``guardian`` when the guardian of a child under 14 signed in for
  the child (the code went to the guardian's contact on record); NULL for the customer themselves.
- ``outbox_messages.to_field``: the profile's contact field a message goes to when it is not the
  first of its channel's type (a child's ``guardian_mobile``); the address itself is never stored.

Revision ID: data_0024
Revises: data_0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "data_0024"
down_revision: str | None = "data_0022"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("privacy_sessions") as batch:
        batch.add_column(sa.Column("acting", sa.String(16), nullable=True))
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("to_field", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("to_field")
    with op.batch_alter_table("privacy_sessions") as batch:
        batch.drop_column("acting")
