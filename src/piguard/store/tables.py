"""The tables, in SQLAlchemy Core: one :class:`~sqlalchemy.MetaData` per database.

``data_metadata`` describes the DATA database (records, blind index, meta; later the
audit log). ``key_metadata`` describes the KEY STORE (wrapped data keys), which lives
in a separate SQLite file or PostgreSQL schema so that restoring an old copy of the
data database cannot bring back the keys of erased customers.

The migrations in ``migrations/versions`` are the source of truth for the schema;
these objects must describe the same thing (``tests/store/test_migrations.py`` checks
that they do).

**Invariant:** the customer id is part of the primary key of every customer table, so
erasing a customer is a range delete on one key prefix.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

#: Longest blind-index digest the schema accepts, in bytes.
MAX_DIGEST_BYTES = 8

# Identifier lengths. Generous, but bounded so PostgreSQL and SQLite behave alike.
_ID = 128
_NAME = 64

_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that goes in and comes out as timezone-aware UTC.

    SQLite has no time zones and hands back naive values; PostgreSQL hands back the
    session's zone. Either way callers see UTC, and naive input is refused rather than
    guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        utc = value.astimezone(UTC)
        # SQLite stores the text form; dropping the zone keeps it sortable and compact.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


data_metadata = MetaData(naming_convention=_NAMING)
key_metadata = MetaData(naming_convention=_NAMING)

records = Table(
    "records",
    data_metadata,
    Column("tenant", String(_NAME), primary_key=True),
    Column("customer_id", String(_ID), primary_key=True),
    Column("record_type", String(_NAME), primary_key=True),
    Column("record_id", String(_ID), primary_key=True),
    Column("schema_version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    CheckConstraint("status IN ('active', 'restricted', 'deleting')", name="status"),
    CheckConstraint("version >= 1", name="version"),
    # Fetch by record id without knowing the customer; also makes record ids unique
    # per (tenant, record_type) across customers.
    Index("uq_records_tenant_record_type_record_id", "tenant", "record_type", "record_id", unique=True),
)

blind_index = Table(
    "blind_index",
    data_metadata,
    # Customer first: erasing a customer and replacing a record's entries are prefix
    # deletes on the primary key.
    Column("tenant", String(_NAME), primary_key=True),
    Column("customer_id", String(_ID), primary_key=True),
    Column("record_type", String(_NAME), primary_key=True),
    Column("record_id", String(_ID), primary_key=True),
    Column("field", String(_NAME), primary_key=True),
    Column("digest", LargeBinary(MAX_DIGEST_BYTES), primary_key=True),
    CheckConstraint(f"length(digest) <= {MAX_DIGEST_BYTES}", name="digest_length"),
    # The search path. It holds every column, so lookups never touch the table.
    Index(
        "ix_blind_index_lookup",
        "tenant",
        "record_type",
        "field",
        "digest",
        "customer_id",
        "record_id",
    ),
    # The rows are tiny and always reached by key: a rowid would only add a b-tree.
    sqlite_with_rowid=False,
)

meta = Table(
    "meta",
    data_metadata,
    Column("key", String(_NAME), primary_key=True),
    Column("value", Text, nullable=False),
)

data_keys = Table(
    "data_keys",
    key_metadata,
    Column("tenant", String(_NAME), primary_key=True),
    Column("customer_id", String(_ID), primary_key=True),
    Column("kek_version", Integer, nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("rotated_at", UTCDateTime, nullable=True),
    Index("ix_data_keys_kek_version", "kek_version"),
)

#: The newest signed audit checkpoint per tenant, kept apart from the data database so that
#: rolling the trail back there is noticed (:mod:`piguard.audit.anchors`). Public data: a
#: signature over a chain hash, no key material and no customer values.
audit_anchors = Table(
    "audit_anchors",
    key_metadata,
    Column("tenant", String(_NAME), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("time", String(32), nullable=False),
    Column("entry_hash", LargeBinary, nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("signature", LargeBinary, nullable=False),
)

#: Every erasure, in order (kept in the key store, which a restore does not roll back with the
#: data): a restored backup replays it so that a customer erased after the backup stays erased.
#: Customer ids are random references; ``detail`` names record types, record ids and field names
#: (JSON), never a value.
erasure_ledger = Table(
    "erasure_ledger",
    key_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(_NAME), nullable=False),
    Column("customer_id", String(_ID), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("detail", Text, nullable=False),
    Column("at", String(32), nullable=False),
    Index("ix_erasure_ledger_customer", "tenant", "customer_id"),
)
