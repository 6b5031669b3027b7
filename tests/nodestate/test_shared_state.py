"""Node-shared state, in process: two stores over one database behave as one (issue 12, item 1).

Each test builds *two* independent objects over the same database, as two ``piguard serve``
processes would; the in-memory code these replaced would fail every one of them.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from piguard.access.quotas import Limits, QuotaMeter
from piguard.audit.entry import AuditEntry
from piguard.audit.rules import MassAccess, OffHours
from piguard.catalog import load_catalog
from piguard.clock import FixedClock
from piguard.errors import QuotaExceeded
from piguard.nodestate.limits import TokenBuckets
from piguard.nodestate.rules import DatabaseRuleState
from piguard.nodestate.sessions import SessionStore
from piguard.principal import Actor
from piguard.store import Database

pytestmark = pytest.mark.req("R-USE-1")

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class _Box:
    """A stand-in secret box that still keeps the token out of the row (reversed, tagged)."""

    def seal(self, text: str, context: str) -> str:
        return f"sealed:{context[:8]}:" + text[::-1]

    def open(self, sealed: str, context: str) -> str:
        prefix = f"sealed:{context[:8]}:"
        assert sealed.startswith(prefix)
        return sealed[len(prefix) :][::-1]


def _entry(seq: int, actor: str, customer: str, action: str = "read") -> AuditEntry:
    return AuditEntry(
        seq=seq, tenant="t", time="", actor_id=actor, action=action, customer_ref=customer,
        role="customer_service", purpose="service", record_type="customer", record_ref=customer,
        fields=("mobile",), decision="allow", rule="", result="ok", client="api", address="",
        session_ref="", detail={}, prev_hash="", entry_hash="",
    )  # fmt: skip


def test_token_buckets_of_two_nodes_admit_the_burst_once(db: Database) -> None:
    """Two limiters (two nodes) and four threads: exactly ``burst`` charges are admitted in total."""
    a, b = TokenBuckets(db, 0.001, 30), TokenBuckets(db, 0.001, 30)
    admitted: list[bool] = []
    lock = threading.Lock()

    def hammer(buckets: TokenBuckets) -> None:
        for _ in range(15):
            ok = buckets.charge("p:someone").admitted
            with lock:
                admitted.append(ok)

    threads = [threading.Thread(target=hammer, args=(x,)) for x in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 60 and admitted.count(True) == 30
    refused = a.charge("p:someone")
    assert not refused.admitted and refused.retry_after > 0
    assert b.charge("p:another").admitted  # per key


def test_a_session_made_by_one_store_is_seen_touched_and_dropped_by_another(db: Database) -> None:
    clock = FixedClock(T0)
    a = SessionStore(clock, timedelta(minutes=30), db=db, box=_Box())
    b = SessionStore(clock, timedelta(minutes=30), db=db, box=_Box())
    cookie, made = a.create("api-token-secret", "u_1")
    seen, expired = b.get(cookie)
    assert seen is not None and not expired
    assert (seen.token, seen.principal_id, seen.csrf) == ("api-token-secret", "u_1", made.csrf)
    seen.flash("ok", "saved")
    again, _ = a.get(cookie)
    assert again is not None and again.take_flashes() == [("ok", "saved")]
    assert b.get(cookie)[0] is not None and b.get(cookie)[0].flashes == []  # type: ignore[union-attr]
    clock.advance(timedelta(minutes=29))
    assert a.get(cookie)[0] is not None  # touched: the idle deadline moves for both
    clock.advance(timedelta(minutes=29))
    assert b.get(cookie)[0] is not None
    assert a.drop(cookie) is not None and b.get(cookie) == (None, False)
    late, _ = a.create("t2", "u_2")
    clock.advance(timedelta(minutes=31))
    assert b.get(late) == (None, True)
    assert b.get("not-a-cookie") == (None, False)


def test_session_rows_hold_no_usable_token_canary(tmp_path: Path) -> None:
    """Canary: the raw database file never holds the API token behind a console session."""
    db = Database(f"sqlite:///{tmp_path / 'data.db'}")
    db.migrate()
    canary = "canary-token-7f3a9c1e5b"
    store = SessionStore(FixedClock(T0), timedelta(minutes=30), db=db, box=_Box())
    cookie, session = store.create(canary, "u_1")
    session.flash("ok", "canary-flash-2b8d")
    db.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("data.db"))
    assert canary.encode() not in raw and cookie.encode() not in raw
    assert b"canary-flash-2b8d" not in raw


@pytest.mark.req("R-USE-3")
def test_mass_access_counts_reads_seen_by_two_monitors(db: Database) -> None:
    """R-USE-3: 3 + 3 distinct customers seen by two nodes' rules reach a threshold of 6, and the
    alert fires once (the cooldown is claimed in the database)."""
    a = MassAccess(threshold=6, state=DatabaseRuleState(db, "t"))
    b = MassAccess(threshold=6, state=DatabaseRuleState(db, "t"))
    fired = []
    for i in range(6):
        rule = a if i % 2 else b
        draft = rule.observe(_entry(i + 1, "u_1", f"c_{i}"), T0 + timedelta(seconds=i))
        fired.append(draft)
    assert [d is not None for d in fired] == [False] * 5 + [True]
    assert fired[-1] is not None and fired[-1].first_seq == 1 and fired[-1].detail == {"customers": 6}
    again = a.observe(_entry(7, "u_1", "c_9"), T0 + timedelta(seconds=7))
    assert again is None  # one incident, one alert, across nodes
    other_tenant = MassAccess(threshold=6, state=DatabaseRuleState(db, "other"))
    assert other_tenant.observe(_entry(8, "u_1", "c_10"), T0 + timedelta(seconds=8)) is None


def test_cooldown_claimed_once_across_nodes(db: Database) -> None:
    a, b = DatabaseRuleState(db, "t"), DatabaseRuleState(db, "t")
    hour = timedelta(hours=1)
    assert a.claim("off_hours", "u_1", T0, hour)
    assert not b.claim("off_hours", "u_1", T0 + timedelta(minutes=5), hour)
    assert b.claim("off_hours", "u_1", T0 + hour, hour)
    with a.batch():
        assert a.claim("off_hours", "u_2", T0, hour)
        assert not a.claim("off_hours", "u_2", T0, hour)
    rule_a, rule_b = OffHours(state=a), OffHours(state=b)
    night = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # 02:00 in Beijing
    assert rule_a.observe(_entry(1, "u_3", "c_1"), night) is not None
    assert rule_b.observe(_entry(2, "u_3", "c_2"), night + timedelta(minutes=1)) is None


@pytest.mark.req("R-USE-3")
def test_the_hourly_customer_quota_of_two_nodes_counts_each_customer_once(db: Database) -> None:
    """R-USE-3: two nodes' meters (each with its own memo) over one database share one count of
    distinct customers: a customer first read on one node is not counted again on the other, the
    limit holds across both, a batch that does not fit is refused whole, and the window slides."""
    clock = FixedClock(T0)
    catalog = load_catalog(Path(__file__).parents[2] / "catalogs" / "default.yaml")
    a, b = QuotaMeter(db, catalog, clock), QuotaMeter(db, catalog, clock)
    actor = Actor("u_1", "customer_service")
    for meter in (a, b):
        meter.overrides["u_1"] = Limits(customers_per_hour=3)
    a.note_customers(actor, ["c_1", "c_2"])
    b.note_customers(actor, ["c_2"])  # read on the other node first: already counted
    b.note_customers(actor, ["c_3"])
    assert a.used("u_1") == b.used("u_1") == 3
    with pytest.raises(QuotaExceeded, match="at most 3 distinct customers"):
        a.note_customers(actor, ["c_4"])
    with pytest.raises(QuotaExceeded):
        b.note_customers(actor, ["c_1", "c_5"])  # c_1 fits, c_5 does not: nothing counted
    a.note_customers(actor, ["c_3", "c_1"])  # all counted already: admitted
    assert b.used("u_1") == 3
    clock.advance(timedelta(minutes=61))
    b.note_customers(actor, [f"c_{i}" for i in (4, 5, 6)])  # the old window has expired
    assert a.used("u_1") == 3
    other = Actor("u_2", "customer_service")
    a.overrides["u_2"] = Limits(customers_per_hour=3)
    a.note_customers(other, ["c_4", "c_5", "c_6"])  # per principal


@pytest.mark.req("R-USE-3")
def test_a_capped_window_counts_up_to_the_cap_and_no_further(db: Database) -> None:
    """A busy principal's window is counted no further than the rule needs (cap), on the database's
    index; below the cap the tally is exact, repeats included, and expired events do not count."""
    state = DatabaseRuleState(db, "t")
    window = timedelta(minutes=15)
    tally = None
    for i in range(30):
        tally = state.push("mass", "u_1", T0 + timedelta(seconds=i), 100 + i, f"c_{i}", window, cap=10)
    assert tally is not None and tally.distinct == 10 and tally.first_seq == 100
    for i in range(25):  # one customer read again and again, then three others
        tally = state.push("mass", "u_2", T0 + timedelta(seconds=i), 200 + i, "c_same", window, cap=10)
    for i in range(3):
        tally = state.push("mass", "u_2", T0 + timedelta(seconds=30 + i), 300 + i, f"d_{i}", window, cap=10)
    assert tally.distinct == 4 and tally.total == 10 and tally.first_seq == 200
    late = state.push("mass", "u_2", T0 + timedelta(minutes=16), 400, "e_0", window, cap=10)
    assert (late.distinct, late.total, late.first_seq) == (1, 1, 400)  # the old events expired
    exact = state.push("mass", "u_3", T0, 500, "c_0", window)
    assert (exact.distinct, exact.total) == (1, 1)


@pytest.mark.req("R-USE-3")
def test_mass_access_past_its_cap_fires_and_says_at_least(db: Database) -> None:
    rule = MassAccess(threshold=3, state=DatabaseRuleState(db, "t"))
    fired = [rule.observe(_entry(i + 1, "u_1", f"c_{i}"), T0 + timedelta(seconds=i)) for i in range(3)]
    assert fired[-1] is not None and fired[-1].detail == {"customers": 3}
    later = T0 + timedelta(minutes=16)
    again = [rule.observe(_entry(100 + i, "u_1", f"k_{i}"), later + timedelta(seconds=i)) for i in range(40)]
    drafts = [d for d in again if d is not None]
    assert len(drafts) == 1 and drafts[0].detail == {"customers": 3}  # fires at the crossing, once
    # A reader who never stops: when the cooldown has passed, the window holds far more than the cap.
    steady = MassAccess(threshold=1, state=DatabaseRuleState(db, "other"))
    found = [
        d
        for i in range(100)
        if (d := steady.observe(_entry(200 + i, "u_9", f"x_{i}"), T0 + timedelta(seconds=10 * i)))
    ]
    assert [d.detail for d in found] == [{"customers": 1}, {"customers": steady.cap}]
    assert found[1].summary.startswith(f"at least {steady.cap} distinct customers")
