"""The rows the store reads and writes: plain frozen dataclasses, no behaviour.

The store never looks inside ``payload`` or ``wrapped``: both are opaque bytes built
by the vault and the envelope layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

#: The values of :attr:`RecordRow.status`.
RECORD_STATUSES = frozenset({"active", "restricted", "deleting"})


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One customer record.

    :param tenant: the tenant that owns the record.
    :param customer_id: the customer; the partition key of every customer table.
    :param record_type: the catalog record type, e.g. ``customer``.
    :param record_id: unique within ``(tenant, record_type)``.
    :param schema_version: the catalog version the payload was written with.
    :param status: ``active``, ``restricted`` or ``deleting``.
    :param payload: packed ciphertexts, opaque to the store.
    :param created_at: timezone-aware.
    :param updated_at: timezone-aware.
    :param version: optimistic-concurrency counter, 1 for a new record.
    """

    tenant: str
    customer_id: str
    record_type: str
    record_id: str
    schema_version: int
    status: str
    payload: bytes
    created_at: datetime
    updated_at: datetime
    version: int = 1

    def __repr__(self) -> str:
        # The payload is ciphertext, but there is no reason to spray it into logs.
        return (
            f"RecordRow(tenant={self.tenant!r}, customer_id={self.customer_id!r}, "
            f"record_type={self.record_type!r}, record_id={self.record_id!r}, "
            f"status={self.status!r}, version={self.version}, payload=<{len(self.payload)} bytes>)"
        )


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One blind-index entry: a truncated keyed digest pointing at a record.

    :param digest: at most 8 bytes, from ``BlindIndexer.digest``.
    """

    tenant: str
    record_type: str
    field: str
    digest: bytes
    customer_id: str
    record_id: str


@dataclass(frozen=True, slots=True)
class WrappedKeyRow:
    """A customer's data key, wrapped by a KEK version.

    :param kek_version: the KEK version that wrapped ``wrapped``.
    :param wrapped: the self-describing wrapped-key blob.
    :param rotated_at: when the key was last rewrapped, ``None`` if never.
    """

    tenant: str
    customer_id: str
    kek_version: int
    wrapped: bytes
    created_at: datetime
    rotated_at: datetime | None = None

    def __repr__(self) -> str:
        return (
            f"WrappedKeyRow(tenant={self.tenant!r}, customer_id={self.customer_id!r}, "
            f"kek_version={self.kek_version}, wrapped=<{len(self.wrapped)} bytes>)"
        )
