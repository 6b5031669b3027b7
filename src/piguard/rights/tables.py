"""The rights tables, in SQLAlchemy Core; migration ``data_0007_rights`` creates them.

- ``rights_cases``: one row per request or complaint: type, customer (a random id), channel,
  relation of the requester, who took it in, status, times, the due date and the calendar data it
  was computed with, the extension granted, how identity was verified, the outcome code.
- ``rights_events``: the timeline; staff-typed reasons are sealed (bound to the case and step).
- ``rights_codes``: the one-time code of a case's identity check, as a keyed digest, with its
  expiry and attempt count.
- ``rights_packages``: an access or portability package waiting for its one-time download:
  sealed, bound to the link's token digest, blanked once downloaded.
- ``rights_restrictions``: purposes a customer restricted (PIPL 44), enforced by a gate guard.
- ``rights_storage_only``: customers kept only because a legal floor covers them (R-DST-2); the
  same guard refuses every purpose but the kept legal ones (migration ``data_0012``).
- ``rights_instructions``: a customer's "no relatives' access" instruction (PIPL 49).

No column holds customer PI in clear.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text

from piguard.gate.sdk import UTCDateTime

rights_metadata = MetaData(
    naming_convention={"ix": "ix_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}
)
_SERIAL = BigInteger().with_variant(Integer(), "sqlite")

cases = Table(
    "rights_cases",
    rights_metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("type", String(32), nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("relation", String(16), nullable=False),
    # A relative's or guardian's relationship (a code) and their own identity as stated (sealed).
    Column("relationship", String(16), nullable=True),
    Column("requester", Text, nullable=True),
    Column("source", String(64), nullable=True),
    Column("intake_by", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_before_pause", String(16), nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("due", Date, nullable=False),
    Column("provisional", Boolean, nullable=False),
    Column("calendar_version", String(32), nullable=False),
    Column("extension", Integer, nullable=False),
    Column("verified", String(16), nullable=True),
    Column("verified_by", String(128), nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("outcome", String(32), nullable=True),
    Index("ix_rights_cases_tenant_customer_id", "tenant", "customer_id"),
    Index("ix_rights_cases_tenant_status_due", "tenant", "status", "due"),
)

events = Table(
    "rights_events",
    rights_metadata,
    Column("id", _SERIAL, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("case_id", String(40), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("event", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("reason", Text, nullable=True),  # sealed
    Column("detail", Text, nullable=False),  # JSON, names and codes only
    Index("ix_rights_events_case_id_id", "case_id", "id"),
)

codes = Table(
    "rights_codes",
    rights_metadata,
    Column("case_id", String(40), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("sends", Integer, nullable=False),
)

packages = Table(
    "rights_packages",
    rights_metadata,
    # The one-time link's token is never stored: only its SHA-256.
    Column("token_digest", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("case_id", String(40), nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),  # access | portability
    Column("content", Text, nullable=False),  # sealed; blanked once downloaded or expired
    Column("content_hash", String(71), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("downloaded_at", UTCDateTime, nullable=True),
    Index("ix_rights_packages_case_id", "case_id"),
)

restrictions = Table(
    "rights_restrictions",
    rights_metadata,
    # A customer restricted (or objected to) processing for a purpose (PIPL 44); the gate's
    # restriction guard refuses every later operation for that purpose on that customer.
    Column("tenant", String(64), primary_key=True),
    Column("customer_id", String(128), primary_key=True),
    Column("purpose", String(64), primary_key=True),
    Column("case_id", String(40), nullable=False),
    Column("since", UTCDateTime, nullable=False),
)

storage_only = Table(
    "rights_storage_only",
    rights_metadata,
    # Deletion stopped by a legal floor (PIPL 47(2)): the data is kept sealed and the gate refuses
    # every purpose but ``purposes`` (a JSON list: the floors' own legal-obligation purposes).
    Column("tenant", String(64), primary_key=True),
    Column("customer_id", String(128), primary_key=True),
    Column("purposes", Text, nullable=False),
    Column("case_id", String(40), nullable=False),
    Column("since", UTCDateTime, nullable=False),
)

instructions = Table(
    "rights_instructions",
    rights_metadata,
    # PIPL 49: close relatives of a deceased customer may use the rights unless the customer
    # arranged otherwise while alive.
    Column("tenant", String(64), primary_key=True),
    Column("customer_id", String(128), primary_key=True),
    Column("no_relatives", Boolean, nullable=False),
    Column("by", String(128), nullable=False),
    Column("since", UTCDateTime, nullable=False),
)
