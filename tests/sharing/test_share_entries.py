"""A share's per-row audit entries (issue 15 item 4 with issue 20 item 5's bulk paths): every customer's
``share_row`` entry is written, in batches rather than one write transaction per row, the last batch in
the share's own transaction with its transfer log; a share that fails after reading still leaves the
entries of what it read, and hands nothing out."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from tests.access.conftest import World
from tests.sharing.conftest import adult, agreement, consented, officer, partner, sharer, sharing


@pytest.mark.req("R-SHR-4", "R-AUD-1")
def test_a_share_writes_every_row_entry_in_a_few_transactions_the_last_with_its_log(world: World) -> None:
    ids = [consented(world, values=adult(i)) for i in range(1, 8)]
    a = agreement(world, partner(world).id)
    world.inst.gate.deferred_batch = 3  # 7 rows: two batches of 3 on their own, the last row with the log
    ctx = sharer(world)
    engine = world.inst.db.engine
    writes: list[int] = []  # transactions that appended audit entries

    def executed(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRIES"):
            conn.info["appended"] = True

    def committed(conn: Any) -> None:
        if conn.info.pop("appended", False):
            writes.append(1)

    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "commit", committed)
    try:
        shared = sharing(world).share(ctx, a.id, fields=["mobile", "name"], customers=ids)
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(engine, "commit", committed)
    assert shared.persons == 7
    rows = world.inst.audit.query(action="share_row", limit=100)
    [share] = world.inst.audit.query(action="share", limit=10)
    assert len(rows) == 7 and {r.decision for r in rows} == {"allow"}
    # The last row's entry and the share's entry are neighbours in the chain: one transaction.
    assert max(r.seq for r in rows) == share.seq - 1
    # Three appending transactions: 3 + 3 rows on their own, the 7th row with the share and its log
    # (before: one per row's entry, then the log's: 8).
    assert len(writes) == 3
    report = world.inst.audit.verify()
    assert report.ok, report.findings


@pytest.mark.req("R-SHR-4", "R-AUD-1")
def test_a_share_that_fails_after_reading_records_the_reads_and_logs_no_transfer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [consented(world, values=adult(i)) for i in range(1, 5)]
    a = agreement(world, partner(world).id)

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(sharing(world), "_log", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        sharing(world).share(sharer(world), a.id, fields=["mobile"], customers=ids)
    rows = world.inst.audit.query(action="share_row", limit=100)
    assert sorted(r.customer_ref for r in rows) == sorted(world.inst.audit.customer_ref(c) for c in ids)
    assert world.inst.audit.query(action="share", limit=10) == []  # its transaction rolled back
    assert sharing(world).transfers(officer(world)) == []
    assert world.inst.audit.verify().ok


@pytest.mark.req("R-SHR-4", "R-AUD-1")
def test_a_share_whose_own_entry_fails_still_records_the_rows_it_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows' entries were appended inside the share's transaction, which then rolled back (its
    own entry could not be written): they are appended again on their own, nothing handed out."""
    ids = [consented(world, values=adult(i)) for i in range(1, 4)]
    a = agreement(world, partner(world).id)
    gate = world.inst.gate
    real = gate._record

    def failing(event: Any, conn: Any = None) -> None:
        if event.action == "share" and conn is not None:
            raise RuntimeError("audit disk full")
        real(event, conn)

    monkeypatch.setattr(gate, "_record", failing)
    with pytest.raises(RuntimeError, match="audit disk full"):
        sharing(world).share(sharer(world), a.id, fields=["mobile"], customers=ids)
    rows = world.inst.audit.query(action="share_row", limit=100)
    assert sorted(r.customer_ref for r in rows) == sorted(world.inst.audit.customer_ref(c) for c in ids)
    assert sharing(world).transfers(officer(world)) == []
    assert world.inst.audit.verify().ok
