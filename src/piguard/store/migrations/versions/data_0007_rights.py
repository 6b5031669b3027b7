"""Data database: rights cases, their timelines, one-time codes and packages (owned by piguard.rights).

``piguard.rights.tables`` describes the same. No column holds customer PI in clear: customers
are random ids, reasons are sealed, codes are keyed digests.

Revision ID: data_0007
Revises: data_0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0007"
down_revision: str | None = "data_0006"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rights_cases",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("relation", sa.String(16), nullable=False),
        sa.Column("source", sa.String(64), nullable=True),
        sa.Column("intake_by", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_before_pause", sa.String(16), nullable=True),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("calendar_version", sa.String(32), nullable=False),
        sa.Column("extension", sa.Integer, nullable=False),
        sa.Column("verified", sa.String(16), nullable=True),
        sa.Column("verified_by", sa.String(128), nullable=True),
        sa.Column("closed_at", UTCDateTime, nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rights_cases"),
    )
    op.create_index("ix_rights_cases_tenant_customer_id", "rights_cases", ["tenant", "customer_id"])
    op.create_index("ix_rights_cases_tenant_status_due", "rights_cases", ["tenant", "status", "due"])
    op.create_table(
        "rights_events",
        sa.Column("id", _SERIAL, nullable=False, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rights_events"),
    )
    op.create_index("ix_rights_events_case_id_id", "rights_events", ["case_id", "id"])
    op.create_table(
        "rights_codes",
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
        sa.Column("sent_at", UTCDateTime, nullable=False),
        sa.Column("sends", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_rights_codes"),
    )
    op.create_table(
        "rights_packages",
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(71), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("downloaded_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("token_digest", name="pk_rights_packages"),
    )
    op.create_index("ix_rights_packages_case_id", "rights_packages", ["case_id"])
    op.create_table(
        "rights_restrictions",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("since", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "customer_id", "purpose", name="pk_rights_restrictions"),
    )


def downgrade() -> None:
    op.drop_table("rights_restrictions")
    op.drop_table("rights_packages")
    op.drop_table("rights_codes")
    op.drop_table("rights_events")
    op.drop_table("rights_cases")
