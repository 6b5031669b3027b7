"""The monitoring rules' windows are written in the group commit's own transaction (issue 12 item 5:
one write transaction per read's entry, not two), and a rule that fails there costs no entry: the
rules then run after the commit, and still raise their alert (R-AUD-1, R-USE-3)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event as sa_event

from piguard.audit import monitor as monitor_mod
from piguard.audit.rules import MassAccess
from piguard.clock import FixedClock
from piguard.store import Database
from tests.audit.conftest import AuditFactory, event

pytestmark = pytest.mark.req("R-AUD-1", "R-USE-3")


class _Transactions:
    """Which tables each committed transaction inserted into."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine
        self.committed: list[frozenset[str]] = []

    def _executed(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        if len(words) > 2 and words[0].upper() == "INSERT" and words[1].upper() == "INTO":
            conn.info.setdefault("inserted", set()).add(words[2].strip('"').lower())

    def _commit(self, conn: Any) -> None:
        self.committed.append(frozenset(conn.info.pop("inserted", set())))

    def __enter__(self) -> _Transactions:
        sa_event.listen(self.engine, "before_cursor_execute", self._executed)
        sa_event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc: object) -> None:
        sa_event.remove(self.engine, "before_cursor_execute", self._executed)
        sa_event.remove(self.engine, "commit", self._commit)


def test_a_reads_entry_and_its_rule_window_commit_in_one_transaction(
    make_audit: AuditFactory, clock: FixedClock, db: Database
) -> None:
    audit = make_audit(rules=[MassAccess(threshold=3)])
    with _Transactions(db) as seen:
        for i in range(3):
            audit.record_many([event(clock, i)])
    appending = [t for t in seen.committed if "audit_entries" in t]
    windows = [t for t in seen.committed if "node_rule_events" in t]
    # The three reads' entries and windows in three transactions (the alert's own is the fourth).
    assert windows and all("audit_entries" in t for t in windows)
    assert len([t for t in appending if "node_rule_events" in t]) == 3
    [alert] = audit.alerts()
    assert alert.rule == "mass_access" and audit.verify().ok


def test_a_rule_that_fails_in_the_commit_costs_no_entry_and_runs_after(
    make_audit: AuditFactory, clock: FixedClock, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit = make_audit(rules=[MassAccess(threshold=2)])
    real = monitor_mod.evaluate  # type: ignore[attr-defined]
    calls: list[int] = []

    def flaky(rules: Any, entries: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("rule state table locked")
        return real(rules, entries)

    monkeypatch.setattr(monitor_mod, "evaluate", flaky)
    audit.record_many([event(clock, 1)])  # in the commit: fails; after the commit: runs
    audit.record_many([event(clock, 2)])
    assert len(audit.query(action="read", limit=10)) == 2  # no entry lost
    # The failed run, its rerun after the commit, the second read's in its commit, and the alert's
    # own entry delivered after its commit (the rules skip the trail's entries about itself).
    assert len(calls) == 4
    [alert] = audit.alerts()
    assert alert.rule == "mass_access" and audit.verify().ok
