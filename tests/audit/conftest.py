"""Fixtures for the audit trail: a migrated data database on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from piguard.audit import AuditLog
from piguard.clock import FixedClock
from piguard.crypto.aead import Suite
from piguard.crypto.keyring import Keyring
from piguard.service import AccessEvent
from piguard.store import Database

#: Monday 2025-03-03 10:00 in Beijing: inside working hours.
START = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'only.db'}")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    return Keyring.create(
        tmp_path / "keyring.json", suite=Suite.AES256_GCM, kind="file", master_secret=bytes(32)
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


AuditFactory = Callable[..., AuditLog]


@pytest.fixture
def make_audit(db: Database, keyring: Keyring, clock: FixedClock) -> Iterator[AuditFactory]:
    made: list[AuditLog] = []

    def make(**kw: Any) -> AuditLog:
        kw.setdefault("clock", clock)
        kw.setdefault("rules", ())
        log = AuditLog(kw.pop("database", db), keyring, **kw)
        made.append(log)
        return log

    yield make
    for log in made:
        log.close()


def event(clock: FixedClock, i: int = 0, **overrides: Any) -> AccessEvent:
    """A read of customer ``C{i}`` by ``alice``."""
    values: dict[str, Any] = {
        "time": clock.now(),
        "actor_id": "alice",
        "role": "customer_service",
        "action": "read",
        "purpose": "service",
        "record_type": "customer",
        "customer_id": f"C{i}",
        "record_id": f"C{i}",
        "fields": ("name", "mobile"),
        "decision": "allow",
        "rule": "role customer_service: mask",
        "result": "ok",
        "client": "test",
        "address": "127.0.0.1",
        "session": "s-1",
        "detail": {"levels": {"name": "clear", "mobile": "mask"}},
    }
    values.update(overrides)
    return AccessEvent(**values)
