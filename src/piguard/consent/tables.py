"""The consent tables, in SQLAlchemy Core; migration ``data_0004_consent`` creates them.

They live in the DATA database, in their own :class:`~sqlalchemy.MetaData`, and
``tests/consent/test_tables.py`` checks that this module and the migration agree.

- ``consent_notices``: published notice versions (texts, content hash, material flag).
- ``consent_records``: the ledger, append-only; database triggers refuse UPDATE and
  DELETE so that even SQL typed by hand cannot rewrite history (R-COL-2).
- ``consent_marketing``: marketing preference changes, append-only, latest wins.
- ``consent_deletions``: fields left without a legal basis, handed to the retention job.
- ``consent_minors``: age band and next review month per customer, its day as a keyed tag (no birth date).
- ``consent_watermark``: one counter per tenant, bumped by every change, so that each
  process can tell cheaply whether its cached consent states are still current.

**Invariant:** no column holds customer PI in clear: customers are random ids,
guardians keyed digests, and the only date about a person is the next review date.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text

from piguard.gate.sdk import UTCDateTime

_ID = 128
_NAME = 64

consent_metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; BigInteger renders as BIGINT there.
_SERIAL = BigInteger().with_variant(Integer(), "sqlite")

notices = Table(
    "consent_notices",
    consent_metadata,
    Column("tenant", String(_NAME), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("text_zh", Text, nullable=False),
    Column("text_en", Text, nullable=False),
    Column("content_hash", String(71), nullable=False),
    Column("material", Boolean, nullable=False),
    Column("purposes_changed", Text, nullable=False),  # JSON list
    Column("published_at", UTCDateTime, nullable=False),
    Column("effective_at", UTCDateTime, nullable=False),
    Column("operator", String(_ID), nullable=False),
)

records = Table(
    "consent_records",
    consent_metadata,
    Column("id", _SERIAL, primary_key=True, autoincrement=True),
    Column("tenant", String(_NAME), nullable=False),
    Column("customer_id", String(_ID), nullable=False),
    Column("action", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("purposes", Text, nullable=False),  # JSON list
    Column("categories", Text, nullable=False),  # JSON list
    Column("retention", Text, nullable=False),  # JSON list
    Column("notice_version", Integer, nullable=True),
    Column("notice_hash", String(71), nullable=True),
    Column("channel", String(_NAME), nullable=False),
    Column("operator", String(_ID), nullable=False),
    Column("given_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("evidence_ref", String(200), nullable=True),
    Column("guardian_ref", String(80), nullable=True),
    Column("guardian_relationship", String(32), nullable=True),
    Column("recipient", String(200), nullable=True),
    # A customer's history in order: the one query behind every consent state.
    Index("ix_consent_records_tenant_customer_id_id", "tenant", "customer_id", "id"),
)

marketing = Table(
    "consent_marketing",
    consent_metadata,
    Column("id", _SERIAL, primary_key=True, autoincrement=True),
    Column("tenant", String(_NAME), nullable=False),
    Column("customer_id", String(_ID), nullable=False),
    Column("opt_out", Boolean, nullable=False),
    Column("personalised", Boolean, nullable=False),
    Column("channel", String(_NAME), nullable=False),
    Column("operator", String(_ID), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index("ix_consent_marketing_tenant_customer_id_id", "tenant", "customer_id", "id"),
)

deletions = Table(
    "consent_deletions",
    consent_metadata,
    Column("id", _SERIAL, primary_key=True, autoincrement=True),
    Column("tenant", String(_NAME), nullable=False),
    Column("customer_id", String(_ID), nullable=False),
    Column("record_type", String(_NAME), nullable=False),
    Column("fields", Text, nullable=False),  # JSON list
    Column("reason", String(200), nullable=False),
    Column("source_record", BigInteger, nullable=True),
    Column("marked_at", UTCDateTime, nullable=False),
    # 'marked' when handed over; the retention job records what it did in its own tables.
    Column("status", String(16), nullable=False),
    Index("ix_consent_deletions_tenant_status_id", "tenant", "status", "id"),
    # The retention sweep asks for one customer's marks, once per customer (data_0029).
    Index("ix_consent_deletions_tenant_customer_id", "tenant", "customer_id"),
)

minors = Table(
    "consent_minors",
    consent_metadata,
    Column("tenant", String(_NAME), primary_key=True),
    Column("customer_id", String(_ID), primary_key=True),
    Column("band", String(16), nullable=False),
    # The first day of the month of the next review (14th or 18th birthday): the birthday job's
    # index. The day itself is ``review_day``, a keyed tag, so the table never gives a birth date.
    Column("next_review", Date, nullable=True),
    Column("review_day", String(32), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    # The birthday job's query: everyone whose review date has come.
    Index("ix_consent_minors_tenant_next_review", "tenant", "next_review"),
)

watermark = Table(
    "consent_watermark",
    consent_metadata,
    Column("tenant", String(_NAME), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

#: Tables whose rows are never changed or removed once written (R-COL-2).
APPEND_ONLY = ("consent_records", "consent_notices", "consent_marketing")
