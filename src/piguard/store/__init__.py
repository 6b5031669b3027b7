"""Storage: the DATA database and the KEY STORE, on SQLite or PostgreSQL.

Two databases, on purpose:

- :class:`Database` holds customer records (opaque ciphertext payloads), their blind
  index and installation settings (``meta``); later the audit log joins it, so audit
  entries and data commit in one transaction (:meth:`Database.transaction`).
- :class:`KeyStore` holds each customer's wrapped data key, in a separate SQLite file
  or PostgreSQL schema (``piguard_keys``). Restoring an old copy of the data database
  therefore cannot revive the keys of customers erased since.

**Invariant:** the customer id is in the primary key of every customer table; erasing a
customer is :meth:`Database.delete_customer` plus :meth:`KeyStore.destroy`.

**Boundary:** the store never sees plaintext or key material in the clear; payloads,
digests and wrapped keys are opaque bytes to it. Its errors are
:class:`~piguard.errors.StorageError`, :class:`~piguard.errors.Conflict` and
:class:`~piguard.errors.NotFound`, and never quote row values.

Schemas are created and upgraded by Alembic migrations shipped in ``migrations/``
(two branches, ``data`` and ``keys``, with their own version tables), run by
:meth:`Database.migrate` and :meth:`KeyStore.migrate`.

SQLite runs in WAL mode with ``foreign_keys=ON`` and ``temp_store=MEMORY``; the data
database syncs NORMAL (FULL on request), the key store FULL with ``secure_delete=ON``
and a truncating checkpoint after each destroy. PostgreSQL goes through psycopg 3
(``postgresql+psycopg://``).
"""

from __future__ import annotations

from piguard.store.database import Database
from piguard.store.keystore import DEFAULT_SCHEMA, KeyStore
from piguard.store.rows import RECORD_STATUSES, IndexRow, RecordRow, WrappedKeyRow
from piguard.store.urls import DATA_URL_ENV, KEYSTORE_URL_ENV, default_urls

__all__ = [
    "DATA_URL_ENV",
    "DEFAULT_SCHEMA",
    "KEYSTORE_URL_ENV",
    "RECORD_STATUSES",
    "Database",
    "IndexRow",
    "KeyStore",
    "RecordRow",
    "WrappedKeyRow",
    "default_urls",
]
