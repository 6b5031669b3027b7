"""Data database: the incident register, its timeline, affected customers (as audit references),
notices, the emergency plan and drills (R-INC-1..7).

Revision ID: data_0017
Revises: data_0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from piguard.store.tables import UTCDateTime

revision = "data_0017"
down_revision: str | None = "data_0020"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("pi_types", sa.Text, nullable=False),
        sa.Column("discovered_at", UTCDateTime, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=True),
        sa.Column("persons", sa.Integer, nullable=False),
        sa.Column("persons_source", sa.String(16), nullable=False),
        sa.Column("sensitive", sa.Integer, nullable=False),
        sa.Column("minors", sa.Integer, nullable=False),
        sa.Column("proposed_grade", sa.String(32), nullable=False),
        sa.Column("grade", sa.String(32), nullable=True),
        sa.Column("large_amount", sa.Boolean, nullable=False),
        sa.Column("cause_known", sa.Boolean, nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("discoverer", sa.String(128), nullable=False),
        sa.Column("from_alert", sa.String(40), nullable=True),
        sa.Column("handling_ended_at", UTCDateTime, nullable=True),
        sa.Column("reports", sa.Text, nullable=False),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_incidents"),
    )
    op.create_index("ix_incidents_tenant_status", "incidents", ["tenant", "status"])
    op.create_table(
        "incident_events",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("justification", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("tenant", "incident_id", "seq", name="pk_incident_events"),
    )
    op.create_table(
        "incident_affected",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(40), nullable=False),
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("sensitive", sa.Boolean, nullable=False),
        sa.Column("minor", sa.Boolean, nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "incident_id", "customer_ref", name="pk_incident_affected"),
    )
    op.create_table(
        "incident_notices",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("incident_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("customer_ref", sa.String(64), nullable=True),
        sa.Column("message_id", sa.String(40), nullable=True),
        sa.Column("sealed", sa.Text, nullable=True),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_incident_notices"),
    )
    op.create_index("ix_incident_notices_tenant_incident_id", "incident_notices", ["tenant", "incident_id"])
    op.create_table(
        "incident_plans",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "version", name="pk_incident_plans"),
    )
    op.create_table(
        "incident_drills",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("plan_version", sa.Integer, nullable=True),
        sa.Column("participants", sa.Integer, nullable=False),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_incident_drills"),
    )


def downgrade() -> None:
    op.drop_table("incident_drills")
    op.drop_table("incident_plans")
    op.drop_index("ix_incident_notices_tenant_incident_id", "incident_notices")
    op.drop_table("incident_notices")
    op.drop_table("incident_affected")
    op.drop_table("incident_events")
    op.drop_index("ix_incidents_tenant_status", "incidents")
    op.drop_table("incidents")
