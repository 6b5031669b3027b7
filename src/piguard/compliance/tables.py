"""The compliance tables, in SQLAlchemy Core; migration ``data_0019`` creates them.

- ``compliance_records``: governance records, versioned: the PI protection officer (R-TRN-2),
  internal policies and procedures (R-TRN-3, the rules for under-14s R-MIN-2) and completed
  compliance audits (R-AUD-5, R-MIN-5). One row per version; a new version never changes an old
  one, so the history is evidence too. The body is the officer's published contact or the policy
  text (staff write them for publication: no customer data).
- ``compliance_reports``: every compliance report generated (on demand or by the schedule): its
  summary counts, the manifest of its files and the manifest's signature (the audit key). The
  files themselves are kept under ``<home>/compliance/reports/<id>/``.

No column holds customer PI.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, MetaData, String, Table, Text

from piguard.gate.sdk import UTCDateTime

compliance_metadata = MetaData(
    naming_convention={"ix": "ix_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}
)

records = Table(
    "compliance_records",
    compliance_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("content_hash", String(80), nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("scope", String(16), nullable=True),
    Column("recorded_by", String(128), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index(None, "tenant", "kind", "effective_on"),
)

reports = Table(
    "compliance_reports",
    compliance_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("by", String(128), nullable=False),
    Column("summary", Text, nullable=False),
    Column("manifest", Text, nullable=False),
    Column("signature", String(200), nullable=False),
    Index(None, "tenant", "at"),
)
