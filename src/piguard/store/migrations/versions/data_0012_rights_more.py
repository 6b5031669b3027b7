"""Data database: relatives' and guardians' requests, the storage-only state, customers' instructions.

- ``rights_cases.relationship`` (the requester's relationship to the customer: a code) and
  ``rights_cases.requester`` (the requester's own identity as they stated it: sealed, bound to the
  case; PIPL 49, Minors Regs 33);
- ``rights_storage_only``: customers whose deletion a legal floor stopped; the gate refuses every
  purpose but the kept legal ones (PIPL 47(2), R-DST-2);
- ``rights_instructions``: what a customer arranged for after their death (PIPL 49: "unless the
  deceased arranged otherwise").

Revision ID: data_0012
Revises: data_0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0012"
down_revision: str | None = "data_0009"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("rights_cases") as batch:
        batch.add_column(sa.Column("relationship", sa.String(16), nullable=True))
        batch.add_column(sa.Column("requester", sa.Text, nullable=True))
    op.create_table(
        "rights_storage_only",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("purposes", sa.Text, nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("since", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "customer_id", name="pk_rights_storage_only"),
    )
    op.create_table(
        "rights_instructions",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("no_relatives", sa.Boolean, nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("since", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "customer_id", name="pk_rights_instructions"),
    )


def downgrade() -> None:
    op.drop_table("rights_instructions")
    op.drop_table("rights_storage_only")
    with op.batch_alter_table("rights_cases") as batch:
        batch.drop_column("requester")
        batch.drop_column("relationship")
