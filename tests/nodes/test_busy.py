"""A database locked by another process past the bounded wait is a clear 503 with Retry-After,
never a 500 (R-AUD-1: a change is refused rather than written without its entry)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from piguard.api import problems
from piguard.audit import AuditLog
from piguard.crypto.aead import Suite
from piguard.crypto.keyring import Keyring
from piguard.errors import AuditFailure, StoreBusy
from piguard.service import AccessEvent
from piguard.store import Database

pytestmark = pytest.mark.req("R-AUD-1")


def _event() -> AccessEvent:
    return AccessEvent(
        time=datetime.now(UTC),
        actor_id="writer",
        role="system",
        action="update",
        purpose="test",
        record_type="meta",
        customer_id=None,
        record_id="k",
        fields=("value",),
        decision="allow",
        rule="",
        result="ok",
    )


def test_a_held_write_lock_is_store_busy_then_a_503_with_retry_after(tmp_path: Path) -> None:
    path = tmp_path / "data.db"
    db = Database(f"sqlite:///{path}", busy_timeout_ms=50)
    db.migrate()
    keyring = tmp_path / "keyring.json"
    Keyring.create(keyring, suite=Suite.AES256_GCM, kind="file", master_secret=bytes(32))
    audit = AuditLog(db, Keyring.open(keyring, master_secret=bytes(32)), rules=())
    other = sqlite3.connect(path, isolation_level=None)  # another process's writer, in effect
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreBusy) as busy:
            with db.transaction():
                pass
        assert busy.value.retry_after >= 1
        with pytest.raises(AuditFailure) as failed:
            audit.record(_event())
        assert failed.value.retry_after is not None
        response = asyncio.run(problems.piguard_error(None, failed.value))  # type: ignore[arg-type]
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert json.loads(bytes(response.body))["code"] == "audit"
        response = asyncio.run(problems.piguard_error(None, busy.value))  # type: ignore[arg-type]
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        other.execute("ROLLBACK")
        audit.record(_event())  # the lock gone, the same writer succeeds
    finally:
        other.close()
        audit.close()
        db.dispose()


def test_an_ordinary_audit_failure_carries_no_retry_after() -> None:
    response = asyncio.run(problems.piguard_error(None, AuditFailure("closed")))  # type: ignore[arg-type]
    assert response.status_code == 503 and "retry-after" not in response.headers
