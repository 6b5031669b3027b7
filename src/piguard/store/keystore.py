"""The KEY STORE: each customer's data key, wrapped by a KEK version.

It is deliberately a separate database from the data (its own SQLite file, or its own
PostgreSQL schema that backups of the data leave out), so that restoring an old copy of
the data cannot bring back the keys of customers who were erased since: without its
key, an erased customer's restored ciphertext stays unreadable.

**Invariant:** a destroyed key is gone from the SQLite file and its WAL when
:meth:`KeyStore.destroy` returns (``secure_delete=ON`` zeroes the freed cells; a
``wal_checkpoint(TRUNCATE)`` empties the log). PostgreSQL offers no such guarantee:
dead tuples linger until VACUUM reuses their space, and WAL archives keep everything.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields
from operator import attrgetter
from typing import Any

from sqlalchemy import Engine, Row, bindparam, delete, func, insert, select, tuple_, update

from piguard.clock import Clock, SystemClock
from piguard.errors import ConfigError
from piguard.store import _migrate
from piguard.store._bulk import bulk_insert, bulk_update
from piguard.store._engine import make_engine, parse_url, read_transaction, translate, write_transaction
from piguard.store.rows import WrappedKeyRow
from piguard.store.tables import audit_anchors, data_keys, erasure_ledger, key_metadata

#: The PostgreSQL schema of the key store unless told otherwise.
DEFAULT_SCHEMA = "piguard_keys"

# Keep IN lists well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 500

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_COLUMNS = [data_keys.c[f.name] for f in fields(WrappedKeyRow)]
_NAMES = [f.name for f in fields(WrappedKeyRow)]
_COLUMNS = [data_keys.c[name] for name in _NAMES]
_key_values = attrgetter(*_NAMES)
_GET = select(*_COLUMNS).where(
    data_keys.c.tenant == bindparam("t"), data_keys.c.customer_id == bindparam("c")
)

_log = logging.getLogger(__name__)


def _key(row: Row[Any]) -> WrappedKeyRow:
    return WrappedKeyRow(**dict(zip(_NAMES, row, strict=True)))


#: Key rows already read in the running gate operation (see :meth:`KeyStore.operation`).
_MEMO: ContextVar[dict[tuple[int, str, str], WrappedKeyRow | None] | None] = ContextVar(
    "piguard_key_memo", default=None
)


class KeyStore:
    """Wrapped per-customer data keys.

    Every method runs its own short transaction. Write a customer's key (and let it
    commit) before writing the customer's data: the key store syncs every commit
    (``synchronous=FULL`` on SQLite), so data never outlives its key in a crash.

    :param url: ``sqlite:///path/keys.db`` or ``postgresql+psycopg://...``.
    :param schema: PostgreSQL only: the schema holding the key store (default
        ``piguard_keys``). Must be ``None`` for SQLite.
    :param clock: supplies ``rotated_at``.
    :param busy_timeout_ms: SQLite only: how long to wait for another writer.
    :raises ConfigError: unsupported URL, or a schema that is invalid or given for SQLite.
    """

    def __init__(
        self,
        url: str,
        schema: str | None = None,
        *,
        clock: Clock | None = None,
        busy_timeout_ms: int = 5000,
    ) -> None:
        parsed = parse_url(url)
        self._clock: Clock = clock or SystemClock()
        self._sqlite = parsed.get_backend_name() == "sqlite"
        if self._sqlite:
            if schema is not None:
                raise ConfigError("a key store schema applies to PostgreSQL only")
            self.schema: str | None = None
        else:
            self.schema = DEFAULT_SCHEMA if schema is None else schema
            if not _SCHEMA_NAME.fullmatch(self.schema):
                raise ConfigError("a key store schema is lower-case letters, digits and _ (max 63)")
        self._base_engine = make_engine(
            parsed,
            pragmas={
                "busy_timeout": str(int(busy_timeout_ms)),
                "journal_mode": "WAL",
                # Keys are few and precious: every commit reaches the disk.
                "synchronous": "FULL",
                "foreign_keys": "ON",
                "temp_store": "MEMORY",
                # Deleted cells and freed pages are overwritten with zeros.
                "secure_delete": "ON",
            },
        )
        #: The engine to query through; on PostgreSQL it maps the tables into the schema.
        self.engine: Engine = (
            self._base_engine
            if self.schema is None
            else self._base_engine.execution_options(schema_translate_map={None: self.schema})
        )

    def __repr__(self) -> str:
        return f"KeyStore({self._base_engine.url!r}, schema={self.schema!r})"

    # -- lifecycle ---------------------------------------------------------------

    def migrate(self) -> None:
        """Create or upgrade the key store (and its PostgreSQL schema). Idempotent.

        :raises StorageError: a migration failed (nothing was changed).
        """
        _migrate.upgrade(
            self._base_engine,
            branch=_migrate.KEYS_BRANCH,
            version_table=_migrate.KEYS_VERSION_TABLE,
            metadata=key_metadata,
            schema=self.schema,
        )

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._base_engine.dispose()

    # -- reads -------------------------------------------------------------------

    @contextmanager
    def operation(self) -> Iterator[None]:
        """One look per customer per gate operation: inside the block :meth:`get` asks the
        database once per customer (the gate's existence check and the read's unwrap share it);
        every write of a key drops its entry. Outside a block every :meth:`get` asks again."""
        token = _MEMO.set({})
        try:
            yield
        finally:
            _MEMO.reset(token)

    def _forget(self, tenant: str, customer_id: str) -> None:
        memo = _MEMO.get()
        if memo is not None:
            memo.pop((id(self), tenant, customer_id), None)

    def get(self, tenant: str, customer_id: str) -> WrappedKeyRow | None:
        """A customer's wrapped key, or ``None`` (never created, or destroyed).

        :raises StorageError: the database failed.
        """
        memo = _MEMO.get()
        key = (id(self), tenant, customer_id)
        if memo is not None and key in memo:
            return memo[key]
        # One statement, no explicit transaction: this runs on every read of customer data.
        with translate("get key"), self.engine.connect() as conn:
            found = conn.execute(_GET, {"t": tenant, "c": customer_id}).first()
        row = None if found is None else _key(found)
        if memo is not None:
            memo[key] = row
        return row

    def get_many(self, tenant: str, customer_ids: Iterable[str]) -> dict[str, WrappedKeyRow]:
        """The wrapped keys of several customers of one tenant, by customer id.

        Customers without a key are simply absent from the result.

        :raises StorageError: the database failed.
        """
        wanted = sorted(set(customer_ids))
        found: dict[str, WrappedKeyRow] = {}
        with read_transaction(self.engine) as conn, translate("get keys"):
            for start in range(0, len(wanted), _CHUNK):
                query = select(*_COLUMNS).where(
                    data_keys.c.tenant == tenant,
                    data_keys.c.customer_id.in_(wanted[start : start + _CHUNK]),
                )
                for row in conn.execute(query):
                    key = _key(row)
                    found[key.customer_id] = key
        return found

    def iter_batches(
        self, batch_size: int, *, kek_version: int | None = None
    ) -> Iterator[list[WrappedKeyRow]]:
        """Walk every key (or those wrapped by ``kek_version``) in ``(tenant, customer_id)`` order.

        Keyset pagination: each batch is read in its own short transaction and no
        connection is held while the caller works on it, so the caller may rewrap or
        destroy keys meanwhile. A key rewrapped away from ``kek_version`` before its
        batch is read is skipped; one created behind the cursor is not seen.

        :raises ValueError: ``batch_size`` is not positive.
        :raises StorageError: the database failed.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        after: tuple[str, str] | None = None
        while True:
            query = select(*_COLUMNS).order_by(data_keys.c.tenant, data_keys.c.customer_id).limit(batch_size)
            if kek_version is not None:
                query = query.where(data_keys.c.kek_version == kek_version)
            if after is not None:
                query = query.where(tuple_(data_keys.c.tenant, data_keys.c.customer_id) > tuple_(*after))
            with read_transaction(self.engine) as conn, translate("iterate keys"):
                batch = [_key(row) for row in conn.execute(query)]
            if not batch:
                return
            yield batch
            if len(batch) < batch_size:
                return
            after = (batch[-1].tenant, batch[-1].customer_id)

    def count_by_kek_version(self) -> dict[int, int]:
        """How many keys each KEK version wraps.

        :raises StorageError: the database failed.
        """
        query = select(data_keys.c.kek_version, func.count()).group_by(data_keys.c.kek_version)
        with read_transaction(self.engine) as conn, translate("count keys"):
            return {int(version): int(count) for version, count in conn.execute(query)}

    # -- audit anchor ------------------------------------------------------------

    def put_audit_anchor(self, tenant: str, document: dict[str, Any]) -> None:
        """Keep a signed audit checkpoint as ``tenant``'s newest anchor, unless a newer one is kept.

        The anchor only moves forward (compare on ``seq``), so checkpoints published out of
        order by several threads or processes never move it back.

        :param document: :meth:`~piguard.audit.signing.Checkpoint.as_dict`.
        :raises StorageError: the database failed.
        """
        values = {
            "seq": int(document["seq"]),
            "kind": str(document["kind"]),
            "time": str(document["time"]),
            "entry_hash": bytes.fromhex(document["entry_hash"]),
            "key_id": str(document["key_id"]),
            "signature": bytes.fromhex(document["signature"]),
        }
        c = audit_anchors.c
        with write_transaction(self.engine) as conn, translate("put audit anchor"):
            moved = conn.execute(
                update(audit_anchors).where(c.tenant == tenant, c.seq <= values["seq"]).values(values)
            ).rowcount
            if not moved and conn.execute(select(c.seq).where(c.tenant == tenant)).first() is None:
                conn.execute(insert(audit_anchors).values(tenant=tenant, **values))

    def audit_anchor(self, tenant: str) -> dict[str, Any] | None:
        """``tenant``'s newest anchored checkpoint, as a document, or ``None``.

        :raises StorageError: the database failed.
        """
        c = audit_anchors.c
        query = select(c.seq, c.kind, c.time, c.entry_hash, c.key_id, c.signature).where(c.tenant == tenant)
        with read_transaction(self.engine) as conn, translate("get audit anchor"):
            row = conn.execute(query).first()
        if row is None:
            return None
        return {
            "seq": int(row[0]),
            "kind": row[1],
            "time": row[2],
            "entry_hash": bytes(row[3]).hex(),
            "key_id": row[4],
            "signature": bytes(row[5]).hex(),
        }

    # -- writes ------------------------------------------------------------------

    def put_many(self, rows: Sequence[WrappedKeyRow]) -> None:
        """Store new wrapped keys, all in one transaction.

        :raises Conflict: a customer already has a key (nothing is stored).
        :raises StorageError: the database failed.
        """
        for row in rows:
            self._forget(row.tenant, row.customer_id)
        if not rows:
            return
        with (
            write_transaction(self.engine) as conn,
            translate("put keys", conflict="a customer already has a data key"),
        ):
            # The driver's own bulk path (executemany / COPY): a key per customer on import,
            # and SQLAlchemy's per-row parameter handling cost 20 µs a key here.
            bulk_insert(conn, data_keys, _COLUMNS, map(_key_values, rows))

    def rewrap_many(self, rows: Sequence[tuple[str, str, int, int, bytes]]) -> int:
        """Replace wrapped keys after a KEK rotation, each only if still at its old version.

        The compare-and-set means a concurrent rewrap (or destroy) is never
        overwritten: such rows are skipped and not counted.

        :param rows: ``(tenant, customer_id, old_kek_version, new_kek_version, new_wrapped)``.
        :returns: how many keys were replaced.
        :raises StorageError: the database failed.
        """
        for tenant, customer_id, *_ in rows:
            self._forget(tenant, customer_id)
        if not rows:
            return 0
        now = self._clock.now()
        c = data_keys.c
        with write_transaction(self.engine) as conn, translate("rewrap keys"):
            changed = bulk_update(
                conn,
                data_keys,
                [c.kek_version, c.wrapped, c.rotated_at],
                [c.tenant, c.customer_id, c.kek_version],
                (
                    (new, wrapped, now, tenant, customer_id, old)
                    for tenant, customer_id, old, new, wrapped in rows
                ),
            )
        return changed

    def destroy(self, tenant: str, customer_id: str, *, ledger: bool = True) -> bool:
        """Delete a customer's wrapped key for good (crypto-shredding).

        On SQLite the log is then checkpointed and truncated, so the key is in neither
        the database file nor the WAL (see :meth:`scrub`). The erasure is entered in the
        erasure ledger in the same transaction (unless ``ledger`` is false: a key whose
        records never committed is no erasure).

        :returns: whether there was a key to destroy.
        :raises StorageError: the database failed.
        """
        self._forget(tenant, customer_id)
        query = delete(data_keys).where(data_keys.c.tenant == tenant, data_keys.c.customer_id == customer_id)
        with write_transaction(self.engine) as conn, translate("destroy key"):
            existed = conn.execute(query).rowcount > 0
            if existed and ledger:
                conn.execute(
                    insert(erasure_ledger).values(self._ledger_row(tenant, customer_id, "customer", {}))
                )
        if existed:
            self.scrub()
        return existed

    # -- the erasure ledger ------------------------------------------------------

    def _ledger_row(self, tenant: str, customer_id: str, kind: str, detail: dict[str, Any]) -> dict[str, Any]:
        return {
            "tenant": tenant,
            "customer_id": customer_id,
            "kind": kind,
            "detail": json.dumps(detail, sort_keys=True, ensure_ascii=False),
            "at": self._clock.now().isoformat(timespec="seconds"),
        }

    def enter_erasure(self, tenant: str, customer_id: str, detail: dict[str, Any]) -> int:
        """Enter a partial erasure (records dropped, fields removed; the key kept) in the ledger.

        Called before the data transaction commits: a crash between the two leaves an entry for
        an erasure that did not happen, so a restore can only erase more, never revive.

        :param detail: ``drop``, ``strip``, ``drop_records``, ``strip_records`` (names and ids only).
        :returns: the entry's sequence number.
        :raises StorageError: the database failed.
        """
        with write_transaction(self.engine) as conn, translate("enter erasure"):
            result = conn.execute(
                insert(erasure_ledger).values(self._ledger_row(tenant, customer_id, "partial", detail))
            )
            key = result.inserted_primary_key
            return int(key[0]) if key else 0

    def erasures(self, tenant: str, *, after: int = 0, batch_size: int = 5000) -> Iterator[dict[str, Any]]:
        """The ledger's entries after sequence number ``after``, oldest first.

        :raises StorageError: the database failed.
        """
        c = erasure_ledger.c
        last = after
        while True:
            query = (
                select(c.seq, c.customer_id, c.kind, c.detail, c.at)
                .where(c.tenant == tenant, c.seq > last)
                .order_by(c.seq)
                .limit(batch_size)
            )
            with read_transaction(self.engine) as conn, translate("read erasure ledger"):
                rows = conn.execute(query).all()
            for row in rows:
                last = int(row[0])
                yield {
                    "seq": last,
                    "customer_id": row[1],
                    "kind": row[2],
                    "detail": json.loads(row[3]),
                    "at": row[4],
                }
            if len(rows) < batch_size:
                return

    def erasure_head(self, tenant: str) -> int:
        """The ledger's newest sequence number for ``tenant`` (0: empty).

        :raises StorageError: the database failed.
        """
        c = erasure_ledger.c
        with read_transaction(self.engine) as conn, translate("read erasure ledger"):
            return int(conn.execute(select(func.max(c.seq)).where(c.tenant == tenant)).scalar() or 0)

    def scrub(self) -> bool:
        """SQLite: copy the WAL into the database file and truncate it to zero bytes.

        Needed after a destroy because the WAL still holds earlier copies of the
        changed pages. A reader in another process can make the checkpoint stop
        short; then it returns ``False`` and should be retried.

        :returns: whether the WAL is now empty (always ``True`` on PostgreSQL).
        :raises StorageError: the database failed.
        """
        if not self._sqlite:
            return True
        with translate("scrub key store"):
            raw = self._base_engine.raw_connection()
            try:
                cursor = raw.cursor()
                # The driver connection is in autocommit mode, so this runs outside any
                # transaction, as a TRUNCATE checkpoint must.
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                result = cursor.fetchone()
                cursor.close()
            finally:
                raw.close()
        # The result row is (busy, frames in the log, frames checkpointed).
        busy = result is None or result[0] != 0
        if busy:
            _log.warning("key store WAL not truncated: another connection is reading; retry scrub()")
        return not busy
