"""The key store keeps the newest signed audit checkpoint per tenant (issue 11, item 8), on SQLite
and in the key store's own PostgreSQL schema; the anchor only moves forward."""

from __future__ import annotations

import pytest

from piguard.store import KeyStore

pytestmark = pytest.mark.req("R-AUD-2")


def _doc(seq: int) -> dict[str, object]:
    return {
        "seq": seq,
        "kind": "periodic",
        "time": "2026-03-02T02:00:00.000000Z",
        "entry_hash": bytes([seq % 256]).hex() * 32,
        "key_id": "0123456789abcdef",
        "signature": "ab" * 64,
    }


def test_the_audit_anchor_only_moves_forward(keys: KeyStore) -> None:
    assert keys.audit_anchor("default") is None
    keys.put_audit_anchor("default", _doc(50))
    keys.put_audit_anchor("default", _doc(100))
    keys.put_audit_anchor("default", _doc(60))  # published late by another thread: ignored
    keys.put_audit_anchor("other", _doc(7))
    assert keys.audit_anchor("default") == _doc(100)
    assert keys.audit_anchor("other") == _doc(7)
