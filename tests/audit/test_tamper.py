"""Tamper evidence (R-AUD-2): every kind of edit made directly in the database, on SQLite
and on PostgreSQL, is detected and located."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import text

from piguard.audit import AuditLog
from piguard.audit.format import CONTENT, chain_hash, make_body
from piguard.clock import FixedClock
from piguard.store import Database
from tests.audit.conftest import AuditFactory, event

pytestmark = pytest.mark.req("R-AUD-2")

N = 30


@pytest.fixture
def audit(make_audit: AuditFactory, clock: FixedClock) -> AuditLog:
    log = make_audit(checkpoint_every=10)
    for i in range(N):
        log.record(event(clock, i))
    assert log.verify().ok
    return log


def sql(db: Database, statement: str, **params: object) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement), params)


def row(db: Database, seq: int) -> dict[str, Any]:
    with db.engine.connect() as conn:
        return dict(
            conn.execute(text("SELECT * FROM audit_entries WHERE seq = :s"), {"s": seq}).mappings().one()
        )


def shift(db: Database, from_seq: int, by: int) -> None:
    """Renumber entries from ``from_seq`` on (in two steps, so the primary key never collides)."""
    sql(db, "UPDATE audit_entries SET seq = seq + 1000000 WHERE seq >= :s", s=from_seq)
    sql(db, "UPDATE audit_entries SET seq = seq - 1000000 + :by WHERE seq >= 1000000", by=by)


def forged_body(prev: dict[str, Any]) -> str:
    values = dict.fromkeys(CONTENT, "")
    values.update(tenant="default", time=str(prev["time"]), actor_id="mallory", action="read", fields="[]")
    return make_body(values)


def kinds(audit: AuditLog) -> dict[str, int | None]:
    report = audit.verify()
    assert not report.ok
    return {f.kind: f.seq for f in report.findings}


def test_modification_is_located(db: Database, audit: AuditLog) -> None:
    sql(db, "UPDATE audit_entries SET body = replace(body, 'service', 'marketing') WHERE seq = 12")
    assert kinds(audit) == {"modification": 12}


def test_modification_of_an_indexed_column_is_located(db: Database, audit: AuditLog) -> None:
    # Hiding an entry from "who accessed this customer" by changing its reference column.
    sql(db, "UPDATE audit_entries SET customer_ref = 'hmac-sha256:00' WHERE seq = 4")
    assert kinds(audit) == {"modification": 4}


def test_rehashed_modification_is_located_by_the_mac(db: Database, audit: AuditLog) -> None:
    r = row(db, 15)
    body = str(r["body"]).replace("alice", "bob__")
    new_hash = chain_hash(bytes(r["prev_hash"]), body)
    sql(
        db,
        "UPDATE audit_entries SET body = :b, actor_id = 'bob__', entry_hash = :h WHERE seq = 15",
        b=body,
        h=new_hash,
    )
    assert kinds(audit) == {"modification": 15}


def test_deletion_is_located(db: Database, audit: AuditLog) -> None:
    sql(db, "DELETE FROM audit_entries WHERE seq IN (7, 8)")
    assert kinds(audit) == {"deletion": 7}


def test_deletion_with_renumbering_is_located(db: Database, audit: AuditLog) -> None:
    sql(db, "DELETE FROM audit_entries WHERE seq = 23")
    shift(db, 24, -1)
    found = kinds(audit)
    assert found["deletion"] == 23
    assert "truncation" in found  # the head and the checkpoint at 30 vouch for seq 30


def test_insertion_in_the_middle_is_located(db: Database, audit: AuditLog) -> None:
    shift(db, 9, +1)  # make room at seq 9
    prev = row(db, 8)
    body = forged_body(prev)
    h = chain_hash(bytes(prev["entry_hash"]), body)
    sql(
        db,
        "INSERT INTO audit_entries (tenant, seq, time, actor_id, action, customer_ref, prev_hash, "
        "entry_hash, "
        "mac, body) VALUES ('default', 9, :t, 'mallory', 'read', '', :p, :h, :m, :b)",
        t=prev["time"],
        p=prev["entry_hash"],
        h=h,
        m=os.urandom(32),
        b=body,
    )
    assert kinds(audit)["insertion"] == 9


def test_insertion_at_the_end_is_located(db: Database, audit: AuditLog) -> None:
    prev = row(db, N)
    body = forged_body(prev)
    h = chain_hash(bytes(prev["entry_hash"]), body)
    sql(
        db,
        "INSERT INTO audit_entries (tenant, seq, time, actor_id, action, customer_ref, prev_hash, "
        "entry_hash, "
        "mac, body) VALUES ('default', :s, :t, 'mallory', 'read', '', :p, :h, :m, :b)",
        s=N + 1,
        t=prev["time"],
        p=prev["entry_hash"],
        h=h,
        m=os.urandom(32),
        b=body,
    )
    assert kinds(audit) == {"insertion": N + 1}


def test_replayed_copy_is_an_insertion(db: Database, audit: AuditLog) -> None:
    sql(
        db,
        "INSERT INTO audit_entries (tenant, seq, time, actor_id, action, customer_ref, prev_hash, "
        "entry_hash, "
        "mac, body) SELECT tenant, :s, time, actor_id, action, customer_ref, prev_hash, entry_hash, mac, "
        "body "
        "FROM audit_entries WHERE seq = 3",
        s=N + 1,
    )
    assert kinds(audit)["insertion"] == N + 1


def test_reordering_is_located(db: Database, audit: AuditLog) -> None:
    sql(db, "UPDATE audit_entries SET seq = -1 WHERE seq = 17")
    sql(db, "UPDATE audit_entries SET seq = 17 WHERE seq = 18")
    sql(db, "UPDATE audit_entries SET seq = 18 WHERE seq = -1")
    assert kinds(audit) == {"reordering": 17}


def test_truncation_after_a_checkpoint_is_located(db: Database, audit: AuditLog) -> None:
    # Checkpoints were signed at seq 1, 11 and 21.
    sql(db, "DELETE FROM audit_entries WHERE seq > 18")
    # A careful administrator also rewinds the head; the signed checkpoint at 21 remains.
    last = row(db, 18)
    sql(db, "UPDATE audit_head SET seq = 18, entry_hash = :h, checkpoint_seq = 11", h=last["entry_hash"])
    assert kinds(audit) == {"truncation": 19}


def test_truncation_behind_the_last_checkpoint_is_seen_by_the_head(db: Database, audit: AuditLog) -> None:
    sql(db, "DELETE FROM audit_entries WHERE seq > 26")
    assert kinds(audit) == {"truncation": 27}


def test_forged_checkpoint_is_detected(db: Database, audit: AuditLog) -> None:
    sql(db, "UPDATE audit_checkpoints SET signature = :s WHERE seq = 11", s=os.urandom(64))
    assert kinds(audit) == {"checkpoint": 11}


def test_wholesale_rewrite_is_caught_by_macs_and_checkpoints(db: Database, audit: AuditLog) -> None:
    # An attacker who knows the (public) chain format rewrites entry 5 and rehashes the rest.
    with db.engine.begin() as conn:
        rows = conn.execute(text("SELECT seq, prev_hash, body FROM audit_entries ORDER BY seq")).all()
        prev = bytes(rows[3][1])
        for seq, _, body in rows[3:]:
            if seq == 5:
                body = body.replace("service", "audit__")
            h = chain_hash(prev, body)
            conn.execute(
                text("UPDATE audit_entries SET prev_hash = :p, entry_hash = :h, body = :b WHERE seq = :s"),
                {"p": prev, "h": h, "b": body, "s": seq},
            )
            prev = h
    report = audit.verify()
    assert report.first("modification") is not None and report.first("modification").seq == 5  # type: ignore[union-attr]
    assert report.first("checkpoint") is not None
    # Without the MAC key (as an outside verifier) the signed checkpoints still catch it.
    assert audit.verify(check_macs=False).first("checkpoint") is not None
