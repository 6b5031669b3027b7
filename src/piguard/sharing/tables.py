"""The sharing tables, in SQLAlchemy Core; migration ``data_0018`` creates them.

- ``sharing_partners``: the partner register (name, unified social credit code, contact, country,
  role, security assessment and its expiry, status). Partners are organisations: no customer PI.
- ``sharing_agreements``: one row per agreement (R-SHR-1): type, partner, purpose, term, the exact
  fields and each field's desensitisation rule, method, safeguards, sub-entrustment, cross-border
  mechanism, the signed document's hash, its state; at the end of an entrustment the
  return-or-delete evidence (R-DST-5).
- ``sharing_assessments``: PIPIAs (R-SHR-3, R-AUD-3), versioned, linked to an agreement; the
  GB/T 39335-2020 sections as JSON; kept at least 3 years.
- ``sharing_transfers``: the transfer log (R-SHR-4): time, recipient, agreement, purpose, fields,
  rules, persons, content hash, operator; kept at least 3 years.
- ``sharing_transfer_persons``: which customers (random ids) each transfer carried, with the
  local calendar year and whether it was cross-border and sensitive: the per-customer history and
  the yearly cross-border person counts (R-SHR-6).
- ``sharing_deletion_notices``: a partner told to delete an erased customer's data, and its
  acknowledgement (the message itself is in the one outbox, by the notice's id).
- ``sharing_share_requests`` (migration ``data_0021``): a share asked for by one person, approved
  by another (separation of duties), downloaded once by the requester; customers by random id.

No column holds customer PI in clear: customers appear by their random ids only.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text

from piguard.gate.sdk import UTCDateTime

sharing_metadata = MetaData(
    naming_convention={"ix": "ix_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}
)

partners = Table(
    "sharing_partners",
    sharing_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("uscc", String(18), nullable=True),
    Column("contact", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("role", String(24), nullable=False),
    Column("authority", Boolean, nullable=False),
    Column("security_basis", String(64), nullable=False),
    Column("assessed_on", Date, nullable=False),
    Column("assessment_expires", Date, nullable=False),
    Column("assessor", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Where deletion notices are POSTed as signed JSON (the partner's system), besides or
    # instead of the contact address; optional.
    Column("notify_url", String(500), nullable=True),
)

agreements = Table(
    "sharing_agreements",
    sharing_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("partner_id", String(40), nullable=False),
    Column("type", String(24), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("record_type", String(64), nullable=False),
    # {"field": {"rule": ..., "params": {...}}}: the exact fields and how each leaves.
    Column("fields", Text, nullable=False),
    Column("method", String(200), nullable=False),
    Column("safeguards", Text, nullable=False),
    Column("sub_entrustment", Boolean, nullable=False),
    Column("mechanism", String(32), nullable=True),
    Column("destination", String(2), nullable=True),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("document_sha256", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("end_outcome", String(16), nullable=True),
    Column("end_evidence_sha256", String(64), nullable=True),
    Column("suspended_reason", String(64), nullable=True),
    Index(None, "tenant", "partner_id"),
)

assessments = Table(
    "sharing_assessments",
    sharing_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("agreement_id", String(40), nullable=True),
    Column("purpose", String(64), nullable=True),
    Column("version", Integer, nullable=False),
    Column("sections", Text, nullable=False),
    Column("conclusion", String(16), nullable=False),
    Column("reviewer", String(200), nullable=False),
    Column("assessed_on", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("keep_until", Date, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "tenant", "agreement_id"),
)

transfers = Table(
    "sharing_transfers",
    sharing_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("partner_id", String(40), nullable=True),
    Column("agreement_id", String(40), nullable=True),
    Column("purpose", String(64), nullable=False),
    Column("fields", Text, nullable=False),
    Column("rules", Text, nullable=False),
    Column("persons", Integer, nullable=False),
    Column("left_out", Text, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("manifest", Text, nullable=False),
    Column("operator", String(128), nullable=False),
    Column("approver", String(128), nullable=True),
    Column("cross_border", Boolean, nullable=False),
    Column("keep_until", Date, nullable=False),
    Index(None, "tenant", "partner_id"),
)

transfer_persons = Table(
    "sharing_transfer_persons",
    sharing_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("transfer_id", String(40), primary_key=True),
    Column("customer_id", String(128), primary_key=True),
    Column("year", Integer, nullable=False),
    Column("cross_border", Boolean, nullable=False),
    Column("sensitive", Boolean, nullable=False),
    Index(None, "tenant", "customer_id"),
    Index(None, "tenant", "year", "cross_border"),
)

deletion_notices = Table(
    "sharing_deletion_notices",
    sharing_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("partner_id", String(40), nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("cause", String(24), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("acknowledged_at", UTCDateTime, nullable=True),
    Column("acknowledged_by", String(128), nullable=True),
    Index(None, "tenant", "partner_id"),
)

share_requests = Table(
    "sharing_share_requests",
    sharing_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("agreement_id", String(40), nullable=False),
    # ["field", ...] and the customers (random ids, JSON) or NULL for every customer.
    Column("fields", Text, nullable=False),
    Column("customers", Text, nullable=True),
    Column("format", String(8), nullable=False),
    Column("requested_by", String(128), nullable=False),
    Column("requested_role", String(64), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    # pending -> approved -> done (the one download), or refused
    Column("state", String(16), nullable=False),
    Column("decided_by", String(128), nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("transfer_id", String(40), nullable=True),
    Index(None, "tenant", "state"),
)
