"""The incident tables, in SQLAlchemy Core; migration ``data_0017`` creates them.

- ``incidents``: the register (R-INC-1): times, category, PI types (catalog names), counts,
  grade (proposed and confirmed), stage, owner, discoverer, the alert it came from; everything
  staff type (title, place, cause, harm, measures, contact) is sealed in ``sealed``, bound to
  the incident.
- ``incident_events``: the timeline: every change with its kind and non-PI facts; a
  justification, when given, sealed.
- ``incident_affected``: the affected customers computed from the audit trail, as the trail's
  keyed customer references (never customer ids or values), with the fields and levels seen and
  the sensitive and minor flags.
- ``incident_notices``: every notice drafted or sent: regulator drafts (sealed), individual and
  guardian notices (the outbox message id), public announcements, recorded skips.
- ``incident_drills``, ``incident_plans``: the emergency plan's versions (sealed) and the drills
  (R-INC-5).
- ``incident_alerted`` (``data_0022``): when the clock job last alerted about a clock, for the
  alert's cool-down.

No column holds customer PI in clear.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text

from piguard.gate.sdk import UTCDateTime

incidents_metadata = MetaData(
    naming_convention={"ix": "ix_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}
)

incidents = Table(
    "incidents",
    incidents_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("category", String(64), nullable=False),
    Column("pi_types", Text, nullable=False),
    Column("discovered_at", UTCDateTime, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=True),
    Column("persons", Integer, nullable=False),
    Column("persons_source", String(16), nullable=False),
    Column("sensitive", Integer, nullable=False),
    Column("minors", Integer, nullable=False),
    Column("proposed_grade", String(32), nullable=False),
    Column("grade", String(32), nullable=True),
    Column("large_amount", Boolean, nullable=False),
    Column("cause_known", Boolean, nullable=False),
    Column("owner", String(128), nullable=False),
    Column("discoverer", String(128), nullable=False),
    Column("from_alert", String(40), nullable=True),
    Column("handling_ended_at", UTCDateTime, nullable=True),
    Column("reports", Text, nullable=False),
    Column("sealed", Text, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "tenant", "status"),
)

events = Table(
    "incident_events",
    incidents_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("incident_id", String(40), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("by", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("facts", Text, nullable=False),
    Column("justification", Text, nullable=True),
)

affected = Table(
    "incident_affected",
    incidents_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("incident_id", String(40), primary_key=True),
    Column("customer_ref", String(64), primary_key=True),
    Column("fields", Text, nullable=False),
    Column("sensitive", Boolean, nullable=False),
    Column("minor", Boolean, nullable=False),
    Column("entries", Integer, nullable=False),
)

notices = Table(
    "incident_notices",
    incidents_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("incident_id", String(40), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("channel", String(16), nullable=True),
    Column("customer_ref", String(64), nullable=True),
    Column("message_id", String(40), nullable=True),
    Column("sealed", Text, nullable=True),
    Column("by", String(128), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index(None, "tenant", "incident_id"),
)

plans = Table(
    "incident_plans",
    incidents_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("document", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("by", String(128), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

drills = Table(
    "incident_drills",
    incidents_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("held_on", Date, nullable=False),
    Column("plan_version", Integer, nullable=True),
    Column("participants", Integer, nullable=False),
    Column("sealed", Text, nullable=False),
    Column("by", String(128), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

#: When the clock job last alerted about one clock of one incident (``clock`` = a deadline's name,
#: ``incident_id`` empty for the yearly drill), and in which state: the cool-down of the
#: ``incident_deadline`` alert lives here, not in a process (migration ``data_0022``).
alerted = Table(
    "incident_alerted",
    incidents_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("incident_id", String(40), primary_key=True),
    Column("clock", String(32), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("alerted_at", UTCDateTime, nullable=False),
)
