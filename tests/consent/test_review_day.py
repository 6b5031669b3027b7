"""A minor's 14th birthday is not kept in clear (issue 11, item 9): the consent tables hold the
month of the next review and a keyed tag of its day, yet the band still changes on the birthday."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from piguard.consent import ConsentLedger
from piguard.store import Database

CID = "C0000000000000001"
BIRTH = date(2014, 3, 10)
FOURTEEN = date(2028, 3, 10)


def _dump(db: Database) -> str:
    with db.read() as conn:
        return " ".join(str(row) for row in conn.execute(text("SELECT * FROM consent_minors")))


@pytest.mark.req("R-MIN-4")
def test_a_minors_14th_birthday_is_not_stored_in_clear_r_min_4(ledger: ConsentLedger, db: Database) -> None:
    with db.transaction() as conn:
        ledger.note_age(conn, CID, {"birth_date": BIRTH.isoformat()})
    dump = _dump(db)
    assert "2028, 3, 10" not in dump and "2028-03-10" not in dump and "2014" not in dump
    assert "2028, 3, 1)" in dump or "2028-03-01" in dump  # the month only
    # A fresh ledger (another process) reads the exact day back through the key.
    state = ledger.states.load_state(CID)
    assert state.age is not None and state.age.band == "under14" and state.age.next_review == FOURTEEN
    # The birthday job still moves the customer on the day itself, not at the month's start.
    assert ledger.reevaluate_birthdays(date(2028, 3, 1)) == []
    assert ledger.reevaluate_birthdays(date(2028, 3, 9)) == []
    [moved] = ledger.reevaluate_birthdays(FOURTEEN)
    assert (moved.previous, moved.band, moved.birthday, moved.next_review) == (
        "under14",
        "minor",
        FOURTEEN,
        date(2032, 3, 10),
    )
    assert "2032-03-10" not in _dump(db) and "2032, 3, 10" not in _dump(db)


def test_the_birthday_job_pages_past_reviews_later_in_the_month(ledger: ConsentLedger, db: Database) -> None:
    # Five children whose review month has come but whose birthdays are later: a page of two
    # candidates must not stop the job before the one who is due.
    with db.transaction() as conn:
        for i in range(5):
            ledger.note_age(conn, f"C{i:016d}", {"birth_date": "2014-03-20"})
        ledger.note_age(conn, "C9999999999999999", {"birth_date": "2014-03-05"})
    moved = ledger.reevaluate_birthdays(date(2028, 3, 6), batch=2)
    assert [m.customer_id for m in moved] == ["C9999999999999999"]
