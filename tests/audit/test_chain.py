"""The chain itself (R-AUD-1, R-AUD-2): append, checkpoints, queries, references."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from piguard.audit import AuditLog
from piguard.clock import FixedClock
from piguard.errors import AuditFailure, ConfigError
from piguard.store import Database
from tests.audit.conftest import AuditFactory, event

pytestmark = pytest.mark.req("R-AUD-1", "R-AUD-2")


def test_r_aud_1_entries_record_who_what_why_without_ids(make_audit: AuditFactory, clock: FixedClock) -> None:
    audit = make_audit()
    audit.record(event(clock, 7))
    [entry] = audit.query(customer_id="C7")
    assert entry.seq == 1
    assert (entry.actor_id, entry.role, entry.action, entry.purpose) == (
        "alice",
        "customer_service",
        "read",
        "service",
    )
    assert entry.fields == ("name", "mobile")
    assert entry.customer_ref == audit.customer_ref("C7")
    assert entry.customer_ref.startswith("hmac-sha256:") and "C7" not in entry.customer_ref
    assert entry.record_ref != "C7" and entry.session_ref != "s-1"
    assert entry.detail == {"levels": {"mobile": "mask", "name": "clear"}}
    assert entry.time == "2025-03-03T02:00:00.000000Z"


def test_detail_values_outside_the_allow_list_are_hashed(make_audit: AuditFactory, clock: FixedClock) -> None:
    audit = make_audit()
    audit.record(
        event(
            clock,
            detail={
                "mobile": "13800138000",
                "matches": 3,
                "levels": {"x": "13800138000"},
                "13800138000": True,
            },
        )
    )
    [entry] = audit.query()
    dumped = repr(entry.as_dict())
    assert "13800138000" not in dumped
    assert entry.detail["matches"] == 3
    assert str(entry.detail["mobile"]).startswith("hmac-sha256:")


def test_customer_ref_is_keyed_and_stable(make_audit: AuditFactory) -> None:
    audit = make_audit()
    assert audit.customer_ref("C1") == audit.customer_ref("C1")
    assert audit.customer_ref("C1") != audit.customer_ref("C2")
    assert len(audit.customer_ref("C1")) == len("hmac-sha256:") + 32


def test_verify_passes_and_checkpoints_are_periodic(make_audit: AuditFactory, clock: FixedClock) -> None:
    audit = make_audit(checkpoint_every=10)
    for i in range(25):
        audit.record(event(clock, i))
    report = audit.verify()
    assert report.ok, report.as_dict()
    assert (report.entries, report.first_seq, report.last_seq) == (25, 1, 25)
    # The first entry is checkpointed at once (no earlier checkpoint), then every 10.
    assert report.last_checkpoint_seq == 21 and report.unanchored == 4


def test_checkpoint_after_time_interval(make_audit: AuditFactory, clock: FixedClock) -> None:
    audit = make_audit(checkpoint_every=1000, checkpoint_seconds=30)
    audit.record(event(clock))  # first entry: the epoch-old head makes a checkpoint due
    audit.record(event(clock))
    assert audit.verify().last_checkpoint_seq == 1
    clock.advance(timedelta(seconds=31))
    audit.record(event(clock))
    assert audit.verify().last_checkpoint_seq == 3


def test_close_writes_a_shutdown_checkpoint(
    db: Database, make_audit: AuditFactory, clock: FixedClock
) -> None:
    audit = make_audit(checkpoint_every=1000)
    for i in range(5):
        audit.record(event(clock, i))
    audit.close()
    with db.engine.connect() as conn:
        kinds = conn.execute(text("SELECT seq, kind FROM audit_checkpoints ORDER BY seq, kind")).all()
    assert (5, "shutdown") in [tuple(k) for k in kinds]
    with pytest.raises(AuditFailure):
        audit.record(event(clock))


def test_group_commit_appends_in_order(make_audit: AuditFactory, clock: FixedClock) -> None:
    audit = make_audit()
    assert audit.record_many([event(clock, i) for i in range(100)]) == 100
    assert audit.record_many([event(clock, i) for i in range(3)]) == 103
    assert audit.verify().ok


def test_concurrent_writers_share_one_chain(
    db: Database, keyring: object, clock: FixedClock, make_audit: AuditFactory
) -> None:
    a, b = make_audit(), make_audit()
    errors: list[BaseException] = []

    def write(log: AuditLog) -> None:
        try:
            for i in range(40):
                log.record(event(clock, i))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(log,)) for log in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = a.verify()
    assert report.ok and report.entries == 160, report.as_dict()


def test_queries_filter_by_customer_actor_action_and_time(
    make_audit: AuditFactory, clock: FixedClock
) -> None:
    audit = make_audit()
    audit.record(event(clock, 1))
    clock.advance(timedelta(hours=1))
    audit.record(event(clock, 2, actor_id="bob", action="update"))
    clock.advance(timedelta(hours=1))
    audit.record(event(clock, 1, actor_id="bob"))
    assert [e.seq for e in audit.query(customer_id="C1")] == [1, 3]
    assert [e.seq for e in audit.query(actor="bob")] == [2, 3]
    assert [e.seq for e in audit.query(action="update")] == [2]
    t0 = clock.now() - timedelta(hours=1)
    assert [e.seq for e in audit.query(since=t0)] == [2, 3]
    assert [e.seq for e in audit.query(until=t0)] == [1]
    assert [e.seq for e in audit.query(after_seq=1, limit=1)] == [2]


def test_customer_history_shows_roles_and_purposes_not_staff(
    make_audit: AuditFactory, clock: FixedClock
) -> None:
    audit = make_audit()
    audit.record(event(clock, 1))
    audit.record(event(clock, 2))
    history = audit.customer_history("C1")
    assert history == [
        {
            "time": "2025-03-03T02:00:00.000000Z",
            "action": "read",
            "by_role": "customer_service",
            "purpose": "service",
            "record_type": "customer",
            "fields": ["name", "mobile"],
            "decision": "allow",
            "result": "ok",
        }
    ]
    assert "alice" not in repr(history)


def test_r_aud_2_retention_cannot_be_configured_below_184_days(db: Database, keyring: object) -> None:
    with pytest.raises(ConfigError):
        AuditLog(db, keyring, retention_days=183)  # type: ignore[arg-type]
    AuditLog(db, keyring, retention_days=400).close()  # type: ignore[arg-type]


def test_naive_event_time_fails_closed(make_audit: AuditFactory, clock: FixedClock) -> None:
    audit = make_audit()
    with pytest.raises(AuditFailure):
        audit.record(event(clock, time=clock.now().replace(tzinfo=None)))


def test_control_characters_cannot_forge_fields(make_audit: AuditFactory, clock: FixedClock) -> None:
    audit = make_audit()
    audit.record(event(clock, actor_id="eve\x1fread\x1f", purpose="a\x00b"))
    [entry] = audit.query()
    assert entry.actor_id == "eve\ufffdread\ufffd" and entry.purpose == "a\ufffdb"
    assert audit.verify().ok
