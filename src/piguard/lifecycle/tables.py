"""The life-cycle tables, in SQLAlchemy Core; migration ``data_0016`` creates them.

- ``lifecycle_holds``: legal holds (R-DST-2): one row per customer held, with the matter it belongs
  to (a litigation or case reference, so a set of customers can be held and listed together), its
  owner, review date, who placed and who released it and when. The reasons are sealed, bound to
  the hold and step (staff type them; they may name people).
- ``lifecycle_events``: what starts a retention clock and is not a record's own time: a
  customer's account closure (``relationship_end``), the end of their contract (``contract_end``),
  a purpose fulfilled for them (``purpose_fulfilled:<purpose>``), the inactive-account notice; who
  recorded it and when; the reason sealed.
- ``lifecycle_reviews``: records whose retention ended under a rule that asks for a person's
  decision (``review``): queued by the run, decided once (destroy, or keep until a day, with a
  sealed reason); the run then acts on the decision.
- ``lifecycle_statistics``: what ``anonymise`` keeps of the records it destroys: a count per
  record type, rule and month of the record's transaction date, with nothing about anyone.
- ``lifecycle_destructions``: destruction records (R-DST-3), one per erasure: the signed document
  (no customer value in it: ids and counts), written in the erasing transaction, verified and
  signed once it committed (``signature`` empty until then; a job signs any left behind).

No column holds customer PI in clear.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, MetaData, String, Table, Text

from piguard.gate.sdk import UTCDateTime

lifecycle_metadata = MetaData(
    naming_convention={"ix": "ix_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}
)

holds = Table(
    "lifecycle_holds",
    lifecycle_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(128), nullable=False),
    # A matter reference staff give (e.g. a court case number): an identifier, not free text.
    Column("matter", String(64), nullable=True),
    Column("owner", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("review_on", Date, nullable=True),
    Column("placed_by", String(128), nullable=False),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("released_by", String(128), nullable=True),
    Column("released_at", UTCDateTime, nullable=True),
    Column("release_reason", Text, nullable=True),
    Index(None, "tenant", "customer_id"),
)

destructions = Table(
    "lifecycle_destructions",
    lifecycle_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("operation", String(64), nullable=False),
    Column("method", String(16), nullable=False),
    Column("records", Integer, nullable=False),
    Column("document", Text, nullable=False),
    Column("signature", String(200), nullable=True),
    Column("verified_at", UTCDateTime, nullable=True),
    Index(None, "tenant", "at"),
    # Each erasure looks up its customer's unsigned records: without this, a scan of every record
    # so far, and a run slowing as it goes (20 destroyed/s at 200,000 customers; data_0029).
    Index(None, "tenant", "customer_id"),
)

events = Table(
    "lifecycle_events",
    lifecycle_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("customer_id", String(128), primary_key=True),
    Column("event", String(96), primary_key=True),
    Column("on_date", Date, nullable=False),
    Column("by", String(128), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
)

reviews = Table(
    "lifecycle_reviews",
    lifecycle_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(128), nullable=False),
    Column("record_type", String(64), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("due", Date, nullable=False),
    Column("queued_at", UTCDateTime, nullable=False),
    # open | destroy | keep
    Column("status", String(16), nullable=False),
    Column("keep_until", Date, nullable=True),
    Column("decided_by", String(128), nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("reason", Text, nullable=True),
    Index(None, "tenant", "customer_id"),
    Index(None, "tenant", "status"),
)

statistics = Table(
    "lifecycle_statistics",
    lifecycle_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("record_type", String(64), primary_key=True),
    Column("rule", String(64), primary_key=True),
    # YYYY-MM of the record's transaction date (its creation, else its last change).
    Column("month", String(7), primary_key=True),
    Column("records", Integer, nullable=False),
)
