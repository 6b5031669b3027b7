"""The DATA database: customer records, their blind index, installation settings.

Methods take the :class:`~sqlalchemy.Connection` of an open transaction (from
:meth:`Database.transaction` or :meth:`Database.read`) so that the vault, and later the
audit log, commit their writes together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, fields
from operator import attrgetter
from typing import Any, Literal

from sqlalchemy import Connection, Engine, Row, bindparam, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from piguard.errors import Conflict, NotFound
from piguard.store import _migrate
from piguard.store._bulk import bulk_insert
from piguard.store._engine import (
    WriteFlag,
    make_engine,
    parse_url,
    read_transaction,
    translate,
    write_transaction,
)
from piguard.store.rows import RECORD_STATUSES, IndexRow, RecordRow
from piguard.store.tables import MAX_DIGEST_BYTES, blind_index, data_metadata, meta, records

#: Why a thread may not open a second write transaction while it holds one.
NESTED_WRITE = (
    "this thread already holds a write transaction on this database: a second one (say, an audit "
    "entry written on its own connection) would wait for the first, which waits for it; pass the "
    "open connection instead, or finish the first transaction"
)

_RECORD_NAMES = [f.name for f in fields(RecordRow)]
_RECORD_COLUMNS = [records.c[name] for name in _RECORD_NAMES]
_INDEX_NAMES = [f.name for f in fields(IndexRow)]
_INDEX_COLUMNS = [blind_index.c[name] for name in _INDEX_NAMES]
# attrgetter, not dataclasses.astuple: astuple deep-copies and costs seconds per million rows.
# Statements built once with bind parameters: building and caching a new statement per call
# cost more than the database lookup itself on the read path (measured: 125 vs 63 µs).
_GET_RECORD = select(*_RECORD_COLUMNS).where(
    records.c.tenant == bindparam("t"),
    records.c.record_type == bindparam("rt"),
    records.c.record_id == bindparam("rid"),
)
_RECORDS_BY_INDEX = (
    select(*_RECORD_COLUMNS)
    .join(
        blind_index,
        (blind_index.c.tenant == records.c.tenant)
        & (blind_index.c.customer_id == records.c.customer_id)
        & (blind_index.c.record_type == records.c.record_type)
        & (blind_index.c.record_id == records.c.record_id),
    )
    .where(
        blind_index.c.tenant == bindparam("t"),
        blind_index.c.record_type == bindparam("rt"),
        blind_index.c.field == bindparam("f"),
        blind_index.c.digest == bindparam("d"),
    )
    .order_by(blind_index.c.customer_id, blind_index.c.record_id)
)
_record_values = attrgetter(*_RECORD_NAMES)
_index_values = attrgetter(*_INDEX_NAMES)


def _record(row: Row[Any]) -> RecordRow:
    return RecordRow(**dict(zip(_RECORD_NAMES, row, strict=True)))


def _record_key(row: RecordRow | IndexRow) -> tuple[str, str, str, str]:
    return (row.tenant, row.customer_id, row.record_type, row.record_id)


def _check_record(row: RecordRow) -> None:
    if row.status not in RECORD_STATUSES:
        raise ValueError(f"record status must be one of {sorted(RECORD_STATUSES)}")


def _check_index(row: IndexRow) -> None:
    if len(row.digest) > MAX_DIGEST_BYTES:
        raise ValueError(f"blind-index digests are at most {MAX_DIGEST_BYTES} bytes")


class Database:
    """The DATA database.

    :param url: ``sqlite:///path/data.db`` or ``postgresql+psycopg://...``
        (``postgresql://`` is taken to mean psycopg 3).
    :param synchronous: SQLite only. ``NORMAL`` (the default) is durable against
        application crashes and, in WAL mode, loses at most the last transactions on
        power loss; ``FULL`` syncs the WAL at every commit.
    :param busy_timeout_ms: SQLite only: how long to wait for another writer.
    :raises ConfigError: the URL names an unsupported database.

    SQLite connections run with ``journal_mode=WAL``, ``foreign_keys=ON``,
    ``temp_store=MEMORY`` (sorts and temporary tables never reach disk) and
    ``secure_delete=FAST`` (deleted cells are zeroed when that costs no extra I/O).
    """

    def __init__(
        self,
        url: str,
        *,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        busy_timeout_ms: int = 5000,
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError("synchronous must be NORMAL or FULL")
        self.engine: Engine = make_engine(
            parse_url(url),
            pragmas={
                "busy_timeout": str(int(busy_timeout_ms)),
                "journal_mode": "WAL",
                "synchronous": synchronous,
                "foreign_keys": "ON",
                "temp_store": "MEMORY",
                "secure_delete": "FAST",
                # 64 MiB page cache (default 2 MiB): blind-index inserts land on random pages,
                # and with the default cache bulk import spent most of its time re-reading them.
                "cache_size": "-65536",
            },
        )
        # Which threads hold a write transaction (see holds_write): on SQLite a second one from the
        # same thread can only wait for itself, and on PostgreSQL it would split one change in two.
        self._writer = WriteFlag()

    def __repr__(self) -> str:
        # repr(URL) masks the password.
        return f"Database({self.engine.url!r})"

    # -- lifecycle ---------------------------------------------------------------

    def migrate(self) -> None:
        """Create or upgrade the schema. Idempotent.

        :raises StorageError: a migration failed (nothing was changed).
        """
        _migrate.upgrade(
            self.engine,
            branch=_migrate.DATA_BRANCH,
            version_table=_migrate.DATA_VERSION_TABLE,
            metadata=data_metadata,
        )

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A read-write transaction: committed when the block ends, rolled back if it raises.

        On SQLite it holds the write lock from the start (``BEGIN IMMEDIATE``), so
        concurrent writers queue instead of failing half-way.

        :raises StorageError: the database failed, including at commit.
        :raises RuntimeError: this thread already holds a write transaction on this database
            (:data:`NESTED_WRITE`): refused at once instead of stalling every writer for
            ``busy_timeout`` and then failing.
        """
        if self.holds_write():
            raise RuntimeError(NESTED_WRITE)
        with write_transaction(self.engine, self._writer) as connection:
            yield connection

    def holds_write(self) -> bool:
        """Whether the calling thread is inside :meth:`transaction` on this database."""
        return self._writer.held

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction that does not take SQLite's write lock.

        :raises StorageError: the database failed.
        """
        with read_transaction(self.engine) as connection:
            yield connection

    # -- records -----------------------------------------------------------------

    def insert_records(
        self, conn: Connection, rows: Sequence[RecordRow], index_rows: Iterable[IndexRow] = ()
    ) -> None:
        """Insert new records and their blind-index rows, all or none.

        The rows go in under a savepoint, so a conflict leaves the caller's transaction
        as it was (and usable) on both SQLite and PostgreSQL.

        :param index_rows: entries for records in ``rows`` only.
        :raises Conflict: a record with the same key or the same
            ``(tenant, record_type, record_id)`` exists.
        :raises ValueError: a status is unknown, a digest too long, or an index row
            points outside ``rows``.
        :raises StorageError: the database failed.
        """
        keys: set[tuple[str, str, str, str]] = set()
        for row in rows:
            _check_record(row)
            keys.add(_record_key(row))
        entries = list(index_rows)
        for entry in entries:
            _check_index(entry)
            if _record_key(entry) not in keys:
                raise ValueError("an index row points at a record that is not being inserted")
        if not rows:
            return
        with translate("insert records", conflict="a record with this id already exists"):
            with conn.begin_nested():
                bulk_insert(conn, records, _RECORD_COLUMNS, map(_record_values, rows))
                if entries:
                    bulk_insert(conn, blind_index, _INDEX_COLUMNS, map(_index_values, entries))

    def get_record(self, conn: Connection, tenant: str, record_type: str, record_id: str) -> RecordRow | None:
        """Fetch one record by id, or ``None``.

        :raises StorageError: the database failed.
        """
        with translate("get record"):
            found = conn.execute(_GET_RECORD, {"t": tenant, "rt": record_type, "rid": record_id}).first()
        return None if found is None else _record(found)

    def get_customer_records(
        self, conn: Connection, tenant: str, customer_id: str, record_type: str | None = None
    ) -> list[RecordRow]:
        """Every record of a customer (of one type, if given), by record type then id.

        :raises StorageError: the database failed.
        """
        query = select(*_RECORD_COLUMNS).where(
            records.c.tenant == tenant, records.c.customer_id == customer_id
        )
        if record_type is not None:
            query = query.where(records.c.record_type == record_type)
        query = query.order_by(records.c.record_type, records.c.record_id)
        with translate("get customer records"):
            return [_record(found) for found in conn.execute(query)]

    def update_record(
        self, conn: Connection, row: RecordRow, index_rows: Iterable[IndexRow], expected_version: int
    ) -> None:
        """Replace a record's schema version, status, payload and ``updated_at``, and
        replace its blind-index rows, if its stored version is ``expected_version``.

        ``created_at`` is kept; ``customer_id`` cannot change (it is part of the key).

        :param row: the new state; ``row.version`` must be ``expected_version + 1``.
        :param index_rows: the record's complete new set of index rows.
        :raises NotFound: no such record for this customer.
        :raises Conflict: the stored version is not ``expected_version``.
        :raises ValueError: bad version, status or digest, or an index row for another record.
        :raises StorageError: the database failed.
        """
        if row.version != expected_version + 1:
            raise ValueError("the new version must be expected_version + 1")
        _check_record(row)
        key = _record_key(row)
        index_params: list[dict[str, Any]] = []
        for entry in index_rows:
            _check_index(entry)
            if _record_key(entry) != key:
                raise ValueError("an index row points at another record")
            index_params.append(dict(zip(_INDEX_NAMES, astuple(entry), strict=True)))
        where = (
            records.c.tenant == row.tenant,
            records.c.customer_id == row.customer_id,
            records.c.record_type == row.record_type,
            records.c.record_id == row.record_id,
        )
        with translate("update record", conflict="a blind-index row is duplicated"):
            changed = conn.execute(
                update(records)
                .where(*where, records.c.version == expected_version)
                .values(
                    schema_version=row.schema_version,
                    status=row.status,
                    payload=row.payload,
                    updated_at=row.updated_at,
                    version=row.version,
                )
            ).rowcount
            if changed != 1:
                if conn.execute(select(records.c.version).where(*where)).first() is None:
                    raise NotFound("no such record")
                raise Conflict("the record changed meanwhile")
            conn.execute(
                delete(blind_index).where(
                    blind_index.c.tenant == row.tenant,
                    blind_index.c.customer_id == row.customer_id,
                    blind_index.c.record_type == row.record_type,
                    blind_index.c.record_id == row.record_id,
                )
            )
            if index_params:
                conn.execute(insert(blind_index), index_params)

    def find_by_index(
        self, conn: Connection, tenant: str, record_type: str, field: str, digest: bytes
    ) -> list[tuple[str, str]]:
        """The ``(customer_id, record_id)`` pairs whose ``field`` has this digest.

        Digests are truncated, so callers must decrypt and compare to weed out
        false positives.

        :raises StorageError: the database failed.
        """
        query = (
            select(blind_index.c.customer_id, blind_index.c.record_id)
            .where(
                blind_index.c.tenant == tenant,
                blind_index.c.record_type == record_type,
                blind_index.c.field == field,
                blind_index.c.digest == digest,
            )
            .order_by(blind_index.c.customer_id, blind_index.c.record_id)
        )
        with translate("find by index"):
            return [(customer_id, record_id) for customer_id, record_id in conn.execute(query)]

    def records_by_index(
        self, conn: Connection, tenant: str, record_type: str, field: str, digest: bytes
    ) -> list[RecordRow]:
        """The records whose ``field`` has this digest, fetched with the index in one query.

        Same candidates as :meth:`find_by_index` (false positives included), in the same order;
        one round trip instead of one per candidate matters on a networked database.

        :raises StorageError: the database failed.
        """
        params = {"t": tenant, "rt": record_type, "f": field, "d": digest}
        with translate("records by index"):
            return [_record(found) for found in conn.execute(_RECORDS_BY_INDEX, params)]

    def delete_customer(self, conn: Connection, tenant: str, customer_id: str) -> int:
        """Delete all of a customer's records and blind-index rows.

        :returns: the number of records deleted.
        :raises StorageError: the database failed.
        """
        with translate("delete customer"):
            conn.execute(
                delete(blind_index).where(
                    blind_index.c.tenant == tenant, blind_index.c.customer_id == customer_id
                )
            )
            result = conn.execute(
                delete(records).where(records.c.tenant == tenant, records.c.customer_id == customer_id)
            )
        return int(result.rowcount)

    def delete_record(self, conn: Connection, tenant: str, record_type: str, record_id: str) -> int:
        """Delete one record and its blind-index rows (a partial erasure: the customer's key stays
        for what is kept).

        :returns: 1, or 0 if there was no such record.
        :raises StorageError: the database failed.
        """
        with translate("delete record"):
            conn.execute(
                delete(blind_index).where(
                    blind_index.c.tenant == tenant,
                    blind_index.c.record_type == record_type,
                    blind_index.c.record_id == record_id,
                )
            )
            result = conn.execute(
                delete(records).where(
                    records.c.tenant == tenant,
                    records.c.record_type == record_type,
                    records.c.record_id == record_id,
                )
            )
        return int(result.rowcount)

    def record_batches(
        self, tenant: str, record_type: str, batch_size: int = 1000
    ) -> Iterator[list[RecordRow]]:
        """Every record of a type, in batches by ``(customer_id, record_id)`` (keyset pages: each
        batch is its own short read, so writers are never held up for the whole walk).

        :raises StorageError: the database failed.
        """
        after: tuple[str, str] | None = None
        while True:
            query = select(*_RECORD_COLUMNS).where(
                records.c.tenant == tenant, records.c.record_type == record_type
            )
            if after is not None:
                query = query.where(tuple_(records.c.customer_id, records.c.record_id) > tuple_(*after))
            query = query.order_by(records.c.customer_id, records.c.record_id).limit(batch_size)
            with self.read() as conn, translate("record batches"):
                batch = [_record(found) for found in conn.execute(query)]
            if not batch:
                return
            yield batch
            after = (batch[-1].customer_id, batch[-1].record_id)

    def replace_index_rows(self, conn: Connection, row: RecordRow, index_rows: Iterable[IndexRow]) -> int:
        """Replace one record's blind-index rows (a rebuild after the match key changed); returns
        how many of the new rows were not there before (0: the record was up to date).

        :raises ValueError: a bad digest, or an index row for another record.
        :raises StorageError: the database failed.
        """
        key = _record_key(row)
        entries = list(index_rows)
        for entry in entries:
            _check_index(entry)
            if _record_key(entry) != key:
                raise ValueError("an index row points at another record")
        where = (
            blind_index.c.tenant == row.tenant,
            blind_index.c.customer_id == row.customer_id,
            blind_index.c.record_type == row.record_type,
            blind_index.c.record_id == row.record_id,
        )
        with translate("replace index rows", conflict="a blind-index row is duplicated"):
            old = {
                (f, bytes(d))
                for f, d in conn.execute(select(blind_index.c.field, blind_index.c.digest).where(*where))
            }
            new = {(e.field, bytes(e.digest)) for e in entries}
            if old == new:
                return 0
            conn.execute(delete(blind_index).where(*where))
            if entries:
                bulk_insert(conn, blind_index, _INDEX_COLUMNS, map(_index_values, entries))
        return len(new - old)

    def count_records(self, conn: Connection, tenant: str, record_type: str) -> int:
        """How many records of a type a tenant holds.

        :raises StorageError: the database failed.
        """
        query = select(func.count()).where(records.c.tenant == tenant, records.c.record_type == record_type)
        with translate("count records"):
            return int(conn.execute(query).scalar_one())

    # -- installation settings ---------------------------------------------------

    def set_meta(self, conn: Connection, key: str, value: str) -> None:
        """Set an installation setting, replacing any previous value.

        :raises StorageError: the database failed.
        """
        upsert: Any
        if conn.dialect.name == "postgresql":
            upsert = postgresql.insert(meta).values(key=key, value=value)
        else:
            upsert = sqlite.insert(meta).values(key=key, value=value)
        upsert = upsert.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value})
        with translate("set meta"):
            conn.execute(upsert)

    def get_meta(self, conn: Connection, key: str) -> str | None:
        """An installation setting, or ``None`` if it was never set.

        :raises StorageError: the database failed.
        """
        with translate("get meta"):
            value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()
        return None if value is None else str(value)
