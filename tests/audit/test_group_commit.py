"""Group commit of entries written outside a caller's transaction (R-AUD-1, fail closed)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import text

from piguard.audit import AuditLog
from piguard.clock import FixedClock
from piguard.errors import AuditFailure
from piguard.store import Database
from tests.audit.conftest import AuditFactory, event

pytestmark = pytest.mark.req("R-AUD-1")

THREADS = 16


def _hammer(audit: AuditLog, clock: FixedClock, per_thread: int) -> tuple[list[int], list[Exception]]:
    seqs: list[int] = []
    errors: list[Exception] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(n: int) -> None:
        start.wait()
        for i in range(per_thread):
            try:
                seq = audit.record_many([event(clock, n * 1000 + i)])
            except Exception as exc:
                with lock:
                    errors.append(exc)
            else:
                with lock:
                    seqs.append(seq)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return seqs, errors


def test_concurrent_callers_each_get_their_own_committed_entry(
    make_audit: AuditFactory, clock: FixedClock
) -> None:
    audit = make_audit()
    seqs, errors = _hammer(audit, clock, per_thread=20)
    assert errors == []
    assert sorted(seqs) == list(range(1, THREADS * 20 + 1))  # each caller saw its own entry's number
    assert audit.verify().ok
    assert len(audit.query(limit=10_000)) == THREADS * 20


def test_a_failed_group_fails_every_caller_in_it(make_audit: AuditFactory, clock: FixedClock) -> None:
    audit = make_audit()
    audit.record(event(clock, 1))
    with audit.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_entries RENAME TO audit_entries_off"))
    seqs, errors = _hammer(audit, clock, per_thread=2)
    assert seqs == [] and len(errors) == THREADS * 2
    assert all(isinstance(e, AuditFailure) for e in errors)
    with audit.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_entries_off RENAME TO audit_entries"))
    assert len(audit.query(limit=10)) == 1  # only the entry written before the failure
    assert audit.verify().ok


def test_wrong_step_up_pattern_an_entry_on_a_second_connection_inside_a_write_is_refused_at_once(
    make_audit: AuditFactory, sqlite_db: Database, clock: FixedClock
) -> None:
    """Issue 11 item 1: an entry written on its own connection while this thread holds a write
    transaction would wait for that lock (busy_timeout, 5 s), stalling every writer, then fail.
    It is refused at once instead, and the writer stays usable."""
    audit = make_audit(database=sqlite_db)
    started = time.monotonic()
    with sqlite_db.transaction() as conn:
        with pytest.raises(RuntimeError, match="already holds a write transaction"):
            audit.record(event(clock, 1))
        # The right way: the entry joins the open transaction.
        audit.record(event(clock, 2), conn)
    assert time.monotonic() - started < 1.0
    assert audit.record_many([event(clock, 3)]) == 2


def test_delivery_that_writes_again_does_not_wait_for_its_own_leadership(
    make_audit: AuditFactory, clock: FixedClock
) -> None:
    """A rule reacting to delivered entries (a freeze that records its own entry, say) appends
    through the same writer outside any transaction. Delivery used to run while the delivering
    thread still held the group's leadership, so that append waited for itself forever."""
    audit = make_audit()
    inner = audit.writer.listener
    reacted: list[int] = []
    reacting = threading.Event()

    class Reacting:
        wants_entries = True

        def observe_in(self, conn: Any, entries: list[Any]) -> list[Any] | None:
            return inner.observe_in(conn, entries)

        def deliver(self, entries: list[Any], cps: list[Any], observed: list[Any] | None = None) -> None:
            inner.deliver(entries, cps, observed)
            if not reacting.is_set():
                reacting.set()
                reacted.append(audit.record_many([event(clock, 999)]))

    audit.writer.listener = Reacting()
    done = threading.Event()

    def write() -> None:
        audit.record_many([event(clock, 1)])
        done.set()

    worker = threading.Thread(target=write, daemon=True)
    worker.start()
    assert done.wait(timeout=20), "the writer deadlocked delivering to a listener that writes"
    assert reacted == [2] and audit.verify().ok
