"""SQLite-only guarantees: connection settings, scrubbed key destruction, write locking."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection

from piguard.errors import ConfigError
from piguard.store import Database, KeyStore, WrappedKeyRow

NOW = datetime(2024, 5, 1, tzinfo=UTC)
CANARY = bytes.fromhex("c0ffee00" * 2) + b"PIGUARD-DESTROY-CANARY!!"
assert len(CANARY) == 32


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'data.db'}")
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "keys.db"


@pytest.fixture
def keystore(key_file: Path) -> Iterator[KeyStore]:
    store = KeyStore(f"sqlite:///{key_file}")
    store.migrate()
    yield store
    store.dispose()


def pragma(conn: Connection, name: str) -> object:
    return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_data_database_settings(data: Database) -> None:
    with data.read() as conn:
        assert pragma(conn, "journal_mode") == "wal"
        assert pragma(conn, "synchronous") == 1  # NORMAL
        assert pragma(conn, "foreign_keys") == 1
        assert pragma(conn, "temp_store") == 2  # MEMORY
        assert pragma(conn, "busy_timeout") == 5000


def test_data_database_can_sync_fully(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'full.db'}", synchronous="FULL")
    try:
        with db.read() as conn:
            assert pragma(conn, "synchronous") == 2
    finally:
        db.dispose()


def test_key_store_settings(keystore: KeyStore) -> None:
    with keystore.engine.connect() as conn:
        assert pragma(conn, "journal_mode") == "wal"
        assert pragma(conn, "secure_delete") == 1
        assert pragma(conn, "synchronous") == 2  # FULL
        assert pragma(conn, "temp_store") == 2


def test_key_store_refuses_a_schema_on_sqlite(key_file: Path) -> None:
    with pytest.raises(ConfigError):
        KeyStore(f"sqlite:///{key_file}", schema="piguard_keys")


def on_disk(path: Path) -> bytes:
    found = b""
    for suffix in ("", "-wal"):
        file = Path(str(path) + suffix)
        if file.exists():
            found += file.read_bytes()
    return found


def test_destroyed_key_is_gone_from_file_and_wal(keystore: KeyStore, key_file: Path) -> None:
    neighbours = [WrappedKeyRow("acme", f"c{i:03d}", 1, os.urandom(32), NOW) for i in range(200)]
    keystore.put_many(neighbours)
    keystore.put_many([WrappedKeyRow("acme", "victim", 1, CANARY, NOW)])
    assert keystore.scrub()  # move everything into the main file, as after normal operation
    keystore.put_many([WrappedKeyRow("acme", "late", 1, os.urandom(32), NOW)])
    # The test can see the canary when it is there.
    assert CANARY in on_disk(key_file)

    assert keystore.destroy("acme", "victim")

    assert CANARY not in on_disk(key_file)
    wal = Path(str(key_file) + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert keystore.get("acme", "c100") == neighbours[100]


def test_destroyed_key_never_checkpointed_is_gone(keystore: KeyStore, key_file: Path) -> None:
    # Written and destroyed while still only in the WAL.
    keystore.put_many([WrappedKeyRow("acme", "victim", 1, CANARY, NOW)])
    assert CANARY in on_disk(key_file)
    assert keystore.destroy("acme", "victim")
    assert CANARY not in on_disk(key_file)


def test_concurrent_read_modify_write_transactions_queue(data: Database) -> None:
    # BEGIN IMMEDIATE: a writer that reads first waits for the other instead of failing
    # with SQLITE_BUSY when it tries to write.
    with data.transaction() as conn:
        data.set_meta(conn, "counter", "0")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(40):
                with data.transaction() as conn:
                    value = int(data.get_meta(conn, "counter") or "0")
                    data.set_meta(conn, "counter", str(value + 1))
        except BaseException as error:  # collected and reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with data.read() as conn:
        assert data.get_meta(conn, "counter") == "120"


def test_a_second_write_transaction_in_the_same_thread_is_refused_at_once(data: Database) -> None:
    """Issue 11 item 1: on SQLite it could only wait for itself (busy_timeout), holding every other
    writer up meanwhile; it is a programming error and fails at once, naming the fix."""
    started = time.monotonic()
    with data.transaction():
        assert data.holds_write()
        with pytest.raises(RuntimeError, match="pass the open connection"):
            with data.transaction():
                pass
    assert time.monotonic() - started < 1.0
    assert not data.holds_write()
    # Other threads are not affected by this thread's transaction, nor this one after it ends.
    seen: list[bool] = []
    with data.transaction():
        worker = threading.Thread(target=lambda: seen.append(data.holds_write()))
        worker.start()
        worker.join()
    with data.transaction():
        pass
    assert seen == [False]
