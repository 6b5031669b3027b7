"""The store's conformance suite: every behaviour, run on SQLite and on PostgreSQL.

Like Vault's ``ExerciseBackend``: a backend that passes this file behaves the same as
the others as far as the vault can tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect
from tests.store.conftest import T0, Backend

from piguard.clock import FixedClock
from piguard.errors import Conflict, NotFound, StorageError
from piguard.store import Database, IndexRow, KeyStore, RecordRow, WrappedKeyRow

TENANT = "acme"


def record(customer: str, record_id: str, record_type: str = "customer", **changes: object) -> RecordRow:
    row = RecordRow(
        tenant=TENANT,
        customer_id=customer,
        record_type=record_type,
        record_id=record_id,
        schema_version=1,
        status="active",
        payload=b"\x00packed:" + record_id.encode(),
        created_at=T0,
        updated_at=T0,
    )
    return replace(row, **changes)  # type: ignore[arg-type]


def entry(row: RecordRow, field: str, digest: bytes) -> IndexRow:
    return IndexRow(row.tenant, row.record_type, field, digest, row.customer_id, row.record_id)


def wrapped(customer: str, kek_version: int = 1, tenant: str = TENANT) -> WrappedKeyRow:
    return WrappedKeyRow(tenant, customer, kek_version, f"wrapped:{customer}:{kek_version}".encode(), T0)


def insert(db: Database, rows: list[RecordRow], index_rows: Sequence[IndexRow] = ()) -> None:
    with db.transaction() as conn:
        db.insert_records(conn, rows, index_rows)


# -- records -----------------------------------------------------------------------


def test_insert_then_get_returns_the_same_row(db: Database) -> None:
    row = record("c1", "r1", payload=bytes(range(256)), schema_version=3, status="restricted")
    insert(db, [row])
    with db.read() as conn:
        assert db.get_record(conn, TENANT, "customer", "r1") == row


def test_timestamps_come_back_as_aware_utc(db: Database) -> None:
    beijing = timezone(timedelta(hours=8))
    when = datetime(2024, 5, 1, 16, 30, 0, 5, tzinfo=beijing)
    insert(db, [record("c1", "r1", created_at=when, updated_at=when)])
    with db.read() as conn:
        got = db.get_record(conn, TENANT, "customer", "r1")
    assert got is not None
    assert got.created_at == when
    assert got.created_at.tzinfo == UTC
    assert got.created_at == datetime(2024, 5, 1, 8, 30, 0, 5, tzinfo=UTC)


def test_naive_timestamps_are_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        insert(db, [record("c1", "r1", created_at=datetime(2024, 5, 1))])
    with db.read() as conn:
        assert db.get_record(conn, TENANT, "customer", "r1") is None


def test_get_unknown_record_is_none(db: Database) -> None:
    insert(db, [record("c1", "r1")])
    with db.read() as conn:
        assert db.get_record(conn, TENANT, "customer", "r2") is None
        assert db.get_record(conn, "other-tenant", "customer", "r1") is None
        assert db.get_record(conn, TENANT, "order", "r1") is None


def test_bulk_insert_with_index_rows(db: Database) -> None:
    rows = [record(f"c{i:04d}", f"r{i:04d}") for i in range(1500)]
    index_rows = [entry(row, "mobile", i.to_bytes(4, "big")) for i, row in enumerate(rows)]
    insert(db, rows, index_rows)
    with db.read() as conn:
        assert db.count_records(conn, TENANT, "customer") == 1500
        assert db.find_by_index(conn, TENANT, "customer", "mobile", (1234).to_bytes(4, "big")) == [
            ("c1234", "r1234")
        ]


def test_insert_existing_record_is_a_conflict_and_inserts_nothing(db: Database) -> None:
    insert(db, [record("c1", "r1")])
    fresh = record("c2", "r2")
    with pytest.raises(Conflict):
        insert(db, [fresh, record("c1", "r1")], [entry(fresh, "mobile", b"\x01")])
    with db.read() as conn:
        assert db.get_record(conn, TENANT, "customer", "r2") is None
        assert db.find_by_index(conn, TENANT, "customer", "mobile", b"\x01") == []


def test_record_id_is_unique_across_customers(db: Database) -> None:
    insert(db, [record("c1", "r1")])
    with pytest.raises(Conflict):
        insert(db, [record("c2", "r1")])


def test_a_conflict_leaves_the_transaction_usable(db: Database) -> None:
    insert(db, [record("c1", "r1")])
    with db.transaction() as conn:
        with pytest.raises(Conflict):
            db.insert_records(conn, [record("c1", "r1")], [])
        db.insert_records(conn, [record("c2", "r2")], [])
        db.set_meta(conn, "after", "conflict")
    with db.read() as conn:
        assert db.get_record(conn, TENANT, "customer", "r2") is not None
        assert db.get_meta(conn, "after") == "conflict"


def test_conflict_messages_carry_no_values(db: Database) -> None:
    secret_id = "c-5101-0119-9001-0100-1X"
    insert(db, [record(secret_id, "r-secret", payload=b"PAYLOAD-CANARY")])
    with pytest.raises(Conflict) as caught:
        insert(db, [record(secret_id, "r-secret", payload=b"PAYLOAD-CANARY")])
    for text in (str(caught.value), repr(caught.value)):
        assert secret_id not in text and "r-secret" not in text and "PAYLOAD" not in text
    # The driver's exception (whose text may quote key values) is not chained.
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("rows", "index_rows", "message"),
    [
        ([record("c1", "r1", status="archived")], [], "status"),
        ([record("c1", "r1")], [entry(record("c1", "r1"), "mobile", b"123456789")], "8 bytes"),
        ([record("c1", "r1")], [entry(record("c1", "r9"), "mobile", b"1")], "not being inserted"),
    ],
    ids=["bad-status", "long-digest", "orphan-index-row"],
)
def test_insert_rejects_malformed_rows(
    db: Database, rows: list[RecordRow], index_rows: list[IndexRow], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        insert(db, rows, index_rows)
    with db.read() as conn:
        assert db.count_records(conn, TENANT, "customer") == 0


def test_get_customer_records_in_order_and_by_type(db: Database) -> None:
    insert(
        db,
        [
            record("c1", "r2"),
            record("c1", "o9", "order"),
            record("c1", "o1", "order"),
            record("c2", "r3"),
            replace(record("c1", "x1"), tenant="other"),
        ],
    )
    with db.read() as conn:
        everything = db.get_customer_records(conn, TENANT, "c1")
        orders = db.get_customer_records(conn, TENANT, "c1", "order")
        nobody = db.get_customer_records(conn, TENANT, "c9")
    assert [(r.record_type, r.record_id) for r in everything] == [
        ("customer", "r2"),
        ("order", "o1"),
        ("order", "o9"),
    ]
    assert [r.record_id for r in orders] == ["o1", "o9"]
    assert nobody == []


def test_update_replaces_payload_and_index(db: Database) -> None:
    old = record("c1", "r1")
    insert(db, [old], [entry(old, "mobile", b"old"), entry(old, "email", b"mail")])
    later = T0 + timedelta(hours=1)
    new = replace(old, payload=b"new", status="restricted", schema_version=2, updated_at=later, version=2)
    with db.transaction() as conn:
        db.update_record(conn, new, [entry(new, "mobile", b"new")], expected_version=1)
    with db.read() as conn:
        assert db.get_record(conn, TENANT, "customer", "r1") == new
        assert db.find_by_index(conn, TENANT, "customer", "mobile", b"old") == []
        assert db.find_by_index(conn, TENANT, "customer", "email", b"mail") == []
        assert db.find_by_index(conn, TENANT, "customer", "mobile", b"new") == [("c1", "r1")]


def test_update_keeps_created_at(db: Database) -> None:
    old = record("c1", "r1")
    insert(db, [old])
    new = replace(old, created_at=T0 + timedelta(days=9), updated_at=T0 + timedelta(days=9), version=2)
    with db.transaction() as conn:
        db.update_record(conn, new, [], expected_version=1)
    with db.read() as conn:
        got = db.get_record(conn, TENANT, "customer", "r1")
    assert got is not None and got.created_at == T0 and got.updated_at == new.updated_at


def test_update_with_a_stale_version_is_a_conflict(db: Database) -> None:
    old = record("c1", "r1")
    insert(db, [old], [entry(old, "mobile", b"old")])
    with db.transaction() as conn:
        db.update_record(conn, replace(old, payload=b"first", version=2), [], expected_version=1)
    with pytest.raises(Conflict):
        with db.transaction() as conn:
            db.update_record(
                conn,
                replace(old, payload=b"second", version=2),
                [entry(old, "mobile", b"x")],
                expected_version=1,
            )
    with db.read() as conn:
        got = db.get_record(conn, TENANT, "customer", "r1")
        assert db.find_by_index(conn, TENANT, "customer", "mobile", b"x") == []
    assert got is not None and got.payload == b"first" and got.version == 2


def test_update_of_a_missing_record_is_not_found(db: Database) -> None:
    insert(db, [record("c1", "r1")])
    with pytest.raises(NotFound), db.transaction() as conn:
        db.update_record(conn, record("c1", "r2", version=2), [], expected_version=1)
    # The customer is part of the key: the same id under another customer is not it.
    with pytest.raises(NotFound), db.transaction() as conn:
        db.update_record(conn, record("c2", "r1", version=2), [], expected_version=1)


def test_update_checks_its_arguments(db: Database) -> None:
    old = record("c1", "r1")
    insert(db, [old])
    with pytest.raises(ValueError, match="expected_version"), db.transaction() as conn:
        db.update_record(conn, replace(old, version=3), [], expected_version=1)
    with pytest.raises(ValueError, match="another record"), db.transaction() as conn:
        db.update_record(
            conn, replace(old, version=2), [entry(record("c1", "r2"), "f", b"1")], expected_version=1
        )


def test_find_by_index_matches_exactly(db: Database) -> None:
    a, b, c = record("c2", "r2"), record("c1", "r1"), record("c3", "r3", "order")
    other_tenant = replace(record("c4", "r4"), tenant="other")
    insert(db, [a, b, c, other_tenant])
    insert(
        db,
        [record("c5", "r5")],
        [entry(record("c5", "r5"), "mobile", b"\x00\x01")],
    )
    with db.transaction() as conn:
        for row in (a, b):
            db.update_record(conn, replace(row, version=2), [entry(row, "mobile", b"\x00\x01\x02")], 1)
        db.update_record(conn, replace(c, version=2), [entry(c, "mobile", b"\x00\x01\x02")], 1)
        db.update_record(
            conn, replace(other_tenant, version=2), [entry(other_tenant, "mobile", b"\x00\x01\x02")], 1
        )
    with db.read() as conn:
        assert db.find_by_index(conn, TENANT, "customer", "mobile", b"\x00\x01\x02") == [
            ("c1", "r1"),
            ("c2", "r2"),
        ]
        assert db.find_by_index(conn, TENANT, "customer", "email", b"\x00\x01\x02") == []
        assert db.find_by_index(conn, TENANT, "customer", "mobile", b"\x00\x01") == [("c5", "r5")]
        assert db.find_by_index(conn, TENANT, "order", "mobile", b"\x00\x01\x02") == [("c3", "r3")]
        # The joined form returns the same candidates, as whole records, in the same order.
        joined = db.records_by_index(conn, TENANT, "customer", "mobile", b"\x00\x01\x02")
        assert [(r.customer_id, r.record_id, r.version) for r in joined] == [("c1", "r1", 2), ("c2", "r2", 2)]
        assert joined[0].payload == b.payload
        assert db.records_by_index(conn, TENANT, "customer", "email", b"\x00\x01\x02") == []


def test_delete_customer_removes_records_and_index_rows(db: Database) -> None:
    mine = [record("c1", "r1"), record("c1", "o1", "order")]
    theirs = record("c2", "r2")
    insert(db, [*mine, theirs], [entry(mine[0], "mobile", b"m"), entry(theirs, "mobile", b"m")])
    with db.transaction() as conn:
        assert db.delete_customer(conn, TENANT, "c1") == 2
    with db.read() as conn:
        assert db.get_customer_records(conn, TENANT, "c1") == []
        assert db.find_by_index(conn, TENANT, "customer", "mobile", b"m") == [("c2", "r2")]
        assert db.get_record(conn, TENANT, "customer", "r2") == theirs
    with db.transaction() as conn:
        assert db.delete_customer(conn, TENANT, "c1") == 0


def test_count_records_by_tenant_and_type(db: Database) -> None:
    insert(db, [record("c1", "r1"), record("c2", "r2"), record("c1", "o1", "order")])
    insert(db, [replace(record("c1", "x1"), tenant="other")])
    with db.read() as conn:
        assert db.count_records(conn, TENANT, "customer") == 2
        assert db.count_records(conn, TENANT, "order") == 1
        assert db.count_records(conn, "other", "customer") == 1
        assert db.count_records(conn, TENANT, "nothing") == 0


def test_a_raising_transaction_leaves_nothing(db: Database) -> None:
    row = record("c1", "r1")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.transaction() as conn:
        db.insert_records(conn, [row], [entry(row, "mobile", b"m")])
        db.set_meta(conn, "k", "v")
        assert db.get_record(conn, TENANT, "customer", "r1") == row
        raise Boom
    with db.read() as conn:
        assert db.get_record(conn, TENANT, "customer", "r1") is None
        assert db.find_by_index(conn, TENANT, "customer", "mobile", b"m") == []
        assert db.get_meta(conn, "k") is None


def test_meta_set_get_and_replace(db: Database) -> None:
    with db.transaction() as conn:
        assert db.get_meta(conn, "suite") is None
        db.set_meta(conn, "suite", "SM4_GCM")
        db.set_meta(conn, "tenant", "acme")
    with db.transaction() as conn:
        db.set_meta(conn, "suite", "AES256_GCM")
    with db.read() as conn:
        assert db.get_meta(conn, "suite") == "AES256_GCM"
        assert db.get_meta(conn, "tenant") == "acme"


def test_migrate_twice_keeps_the_data(db: Database) -> None:
    insert(db, [record("c1", "r1")])
    db.migrate()
    db.migrate()
    with db.read() as conn:
        assert db.count_records(conn, TENANT, "customer") == 1


def test_an_unmigrated_database_raises_storage_error(backend: Backend) -> None:
    raw = Database(backend.data_url)
    try:
        with pytest.raises(StorageError), raw.read() as conn:
            raw.get_record(conn, TENANT, "customer", "r1")
    finally:
        raw.dispose()


# -- key store ---------------------------------------------------------------------


def test_put_then_get(keys: KeyStore) -> None:
    row = wrapped("c1")
    keys.put_many([row, wrapped("c2")])
    assert keys.get(TENANT, "c1") == row
    assert keys.get(TENANT, "c3") is None
    assert keys.get("other", "c1") is None


def test_put_duplicate_is_a_conflict_and_stores_nothing(keys: KeyStore) -> None:
    keys.put_many([wrapped("c1")])
    with pytest.raises(Conflict):
        keys.put_many([wrapped("c2"), wrapped("c1", kek_version=2)])
    assert keys.get(TENANT, "c2") is None
    assert keys.get(TENANT, "c1") == wrapped("c1")


def test_get_many_returns_only_existing_keys(keys: KeyStore) -> None:
    rows = [wrapped(f"c{i:04d}") for i in range(1200)]
    keys.put_many(rows)
    keys.put_many([wrapped("c0001", tenant="other")])
    wanted = [f"c{i:04d}" for i in range(0, 1300, 2)]
    found = keys.get_many(TENANT, wanted)
    assert set(found) == {f"c{i:04d}" for i in range(0, 1200, 2)}
    assert found["c0010"] == rows[10]
    assert keys.get_many(TENANT, []) == {}


def test_destroy(keys: KeyStore) -> None:
    keys.put_many([wrapped("c1"), wrapped("c2")])
    assert keys.destroy(TENANT, "c1") is True
    assert keys.get(TENANT, "c1") is None
    assert keys.get(TENANT, "c2") == wrapped("c2")
    assert keys.destroy(TENANT, "c1") is False


def test_rewrap_is_compare_and_set(keys: KeyStore, clock: FixedClock) -> None:
    keys.put_many([wrapped("c1"), wrapped("c2"), wrapped("c3")])
    clock.advance(timedelta(days=1))
    changed = keys.rewrap_many(
        [
            (TENANT, "c1", 1, 2, b"new-c1"),
            (TENANT, "c2", 1, 2, b"new-c2"),
            (TENANT, "c9", 1, 2, b"no-such-key"),
        ]
    )
    assert changed == 2
    # A second rotator that read version 1 before the first one finished loses, harmlessly.
    assert keys.rewrap_many([(TENANT, "c1", 1, 3, b"stale")]) == 0
    c1 = keys.get(TENANT, "c1")
    assert c1 == WrappedKeyRow(TENANT, "c1", 2, b"new-c1", T0, T0 + timedelta(days=1))
    assert keys.get(TENANT, "c3") == wrapped("c3")
    assert keys.rewrap_many([]) == 0


def test_count_by_kek_version(keys: KeyStore) -> None:
    assert keys.count_by_kek_version() == {}
    keys.put_many([wrapped("c1"), wrapped("c2"), wrapped("c3", kek_version=2), wrapped("c4", tenant="other")])
    assert keys.count_by_kek_version() == {1: 3, 2: 1}


def test_iter_batches_walks_everything_in_key_order(keys: KeyStore) -> None:
    rows = [wrapped(f"c{i:03d}", tenant=tenant) for tenant in ("b", "a") for i in range(25)]
    keys.put_many(rows)
    batches = list(keys.iter_batches(10))
    assert [len(b) for b in batches] == [10, 10, 10, 10, 10]
    seen = [(r.tenant, r.customer_id) for b in batches for r in b]
    assert seen == sorted((r.tenant, r.customer_id) for r in rows)
    assert [len(b) for b in keys.iter_batches(7)] == [7] * 7 + [1]
    with pytest.raises(ValueError):
        next(keys.iter_batches(0))


def test_iter_batches_by_kek_version_while_rewrapping(keys: KeyStore) -> None:
    keys.put_many([wrapped(f"c{i:03d}", kek_version=1 + i % 2) for i in range(40)])
    visited: list[str] = []
    for batch in keys.iter_batches(6, kek_version=1):
        assert all(r.kek_version == 1 for r in batch)
        visited.extend(r.customer_id for r in batch)
        # Rewrap this batch before reading the next: the cursor must neither skip nor repeat.
        assert keys.rewrap_many([(r.tenant, r.customer_id, 1, 3, b"v3") for r in batch]) == len(batch)
    assert visited == [f"c{i:03d}" for i in range(0, 40, 2)]
    assert keys.count_by_kek_version() == {2: 20, 3: 20}
    assert list(keys.iter_batches(6, kek_version=1)) == []


def test_key_store_migrate_twice_keeps_the_keys(keys: KeyStore) -> None:
    keys.put_many([wrapped("c1")])
    keys.migrate()
    assert keys.get(TENANT, "c1") == wrapped("c1")


def test_the_key_store_is_not_in_the_data_database(backend: Backend, db: Database, keys: KeyStore) -> None:
    # Restoring the data database alone must never bring keys back.
    keys.put_many([wrapped("c1")])
    data_tables = set(inspect(db.engine).get_table_names())
    assert {"records", "blind_index", "meta"} <= data_tables
    assert "data_keys" not in data_tables
    key_tables = set(inspect(keys.engine).get_table_names(schema=keys.schema))
    assert "data_keys" in key_tables
    assert not key_tables & {"records", "blind_index", "meta"}
