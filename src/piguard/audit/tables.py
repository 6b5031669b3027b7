"""The audit tables, in SQLAlchemy Core; they live in the DATA database so that an entry
and the data change it describes commit in one transaction.

The migration ``data_0003_audit`` is the source of truth; these objects describe the same
schema. Everything that matters for tamper evidence is in ``audit_entries.body`` (hashed);
the other entry columns are indexes for queries and are checked against the body.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, LargeBinary, MetaData, String, Table, Text

from piguard.store.tables import data_metadata

#: Shares the data database's naming convention; kept apart from ``data_metadata`` so the
#: store's own schema checks are not affected by importing this package.
audit_metadata = MetaData(naming_convention=data_metadata.naming_convention)

_NAME = 64
_ID = 128
_TIME = 32
_REF = 64

audit_head = Table(
    "audit_head",
    audit_metadata,
    Column("tenant", String(_NAME), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("entry_hash", LargeBinary(32), nullable=False),
    Column("checkpoint_seq", BigInteger, nullable=False),
    Column("checkpoint_time", String(_TIME), nullable=False),
)

audit_entries = Table(
    "audit_entries",
    audit_metadata,
    Column("tenant", String(_NAME), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("time", String(_TIME), nullable=False),
    Column("actor_id", String(_ID), nullable=False),
    Column("action", String(_NAME), nullable=False),
    Column("customer_ref", String(_REF), nullable=False),
    Column("prev_hash", LargeBinary(32), nullable=False),
    Column("entry_hash", LargeBinary(32), nullable=False),
    Column("mac", LargeBinary(32), nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_audit_entries_customer", "tenant", "customer_ref", "seq"),
    Index("ix_audit_entries_actor", "tenant", "actor_id", "seq"),
    Index("ix_audit_entries_action", "tenant", "action", "seq"),
    Index("ix_audit_entries_time", "tenant", "time"),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    audit_metadata,
    Column("tenant", String(_NAME), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("time", String(_TIME), nullable=False),
    Column("entry_hash", LargeBinary(32), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)

audit_archives = Table(
    "audit_archives",
    audit_metadata,
    Column("tenant", String(_NAME), primary_key=True),
    Column("through_seq", BigInteger, primary_key=True),
    Column("through_hash", LargeBinary(32), nullable=False),
    Column("archived_at", String(_TIME), nullable=False),
    Column("file", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("entries", BigInteger, nullable=False),
)

audit_alerts = Table(
    "audit_alerts",
    audit_metadata,
    Column("id", String(32), primary_key=True),
    Column("tenant", String(_NAME), nullable=False),
    Column("time", String(_TIME), nullable=False),
    Column("rule", String(_NAME), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("principal_id", String(_ID), nullable=False),
    Column("summary", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("first_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("action", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("acked_by", String(_ID), nullable=True),
    Column("acked_at", String(_TIME), nullable=True),
    Column("ack_comment", Text, nullable=True),
    Index("ix_audit_alerts_status", "tenant", "status", "time"),
)
