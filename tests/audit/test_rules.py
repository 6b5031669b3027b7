"""Monitoring rules fire exactly when they should (injected clock), and a freeze takes
effect on the next request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from piguard.audit import (
    AuditLog,
    DisabledPrincipal,
    ExportSpike,
    FailedLogins,
    MassAccess,
    OffHours,
    SensitiveSubject,
)
from piguard.clock import FixedClock
from piguard.crypto.keyring import Keyring
from piguard.errors import AccessDenied, Conflict, NotFound, ValidationError
from piguard.store import Database
from tests.audit.conftest import event


@pytest.fixture
def monitored(
    sqlite_db: Database, keyring: Keyring, clock: FixedClock
) -> Iterator[tuple[AuditLog, list[str]]]:
    frozen: list[str] = []
    log = AuditLog(
        sqlite_db,
        keyring,
        clock=clock,
        rules=[
            MassAccess(threshold=5, window=timedelta(minutes=10)),
            OffHours(),
            FailedLogins(threshold=3, window=timedelta(minutes=5)),
            ExportSpike(threshold=2, window=timedelta(hours=1)),
            SensitiveSubject(),
            DisabledPrincipal(),
        ],
        on_freeze=lambda who, why: frozen.append(who),
    )
    yield log, frozen
    log.close()


def rules_fired(log: AuditLog) -> list[tuple[str, str]]:
    return sorted((a.rule, a.principal_id) for a in log.alerts())


def test_mass_access_fires_at_the_threshold_of_distinct_customers(
    monitored: tuple[AuditLog, list[str]], clock: FixedClock
) -> None:
    log, _ = monitored
    for i in range(4):
        log.record(event(clock, i))
        log.record(event(clock, i))  # the same customer again does not count twice
    assert rules_fired(log) == []
    log.record(event(clock, 4))
    assert rules_fired(log) == [("mass_access", "alice")]
    log.record(event(clock, 5))  # same incident: no second alert within the window
    assert len(log.alerts()) == 1


def test_mass_access_window_slides(monitored: tuple[AuditLog, list[str]], clock: FixedClock) -> None:
    log, _ = monitored
    for i in range(4):
        log.record(event(clock, i))
    clock.advance(timedelta(minutes=10))
    log.record(event(clock, 4))  # the first four fell out of the window
    assert rules_fired(log) == []


def test_off_hours_fires_outside_working_hours_only(
    monitored: tuple[AuditLog, list[str]], clock: FixedClock
) -> None:
    log, _ = monitored
    clock.set(datetime(2025, 3, 3, 11, 59, tzinfo=UTC))  # 19:59 Beijing, Monday
    log.record(event(clock))
    assert rules_fired(log) == []
    clock.set(datetime(2025, 3, 3, 12, 0, tzinfo=UTC))  # 20:00 Beijing
    log.record(event(clock))
    assert rules_fired(log) == [("off_hours", "alice")]
    clock.set(datetime(2025, 3, 8, 2, 0, tzinfo=UTC))  # Saturday 10:00 Beijing, an hour+ later
    log.record(event(clock, actor_id="bob"))
    assert ("off_hours", "bob") in rules_fired(log)


def test_failed_logins_burst(monitored: tuple[AuditLog, list[str]], clock: FixedClock) -> None:
    log, _ = monitored

    def login(result: str) -> None:
        log.record(
            event(
                clock,
                action="login",
                result=result,
                customer_id=None,
                record_id=None,
                record_type=None,
                fields=(),
                actor_id="mallory",
            )
        )

    login("failed")
    clock.advance(timedelta(minutes=3))
    login("ok")
    login("denied")
    assert rules_fired(log) == []
    clock.advance(timedelta(minutes=3))
    login("failed")  # the first failure has left the 5-minute window: two in it
    assert rules_fired(log) == []
    login("failed")
    assert rules_fired(log) == [("failed_logins", "mallory")]


def test_wrong_step_up_codes_count_as_failed_logins(
    monitored: tuple[AuditLog, list[str]], clock: FixedClock
) -> None:
    """Issue 11 item 1: a guess at the second factor is watched like a guess at the password."""
    log, _ = monitored
    for action in ("step_up", "login", "step_up"):
        log.record(
            event(
                clock,
                action=action,
                result="denied",
                customer_id=None,
                record_id=None,
                record_type=None,
                fields=(),
                actor_id="mallory",
            )
        )
    assert rules_fired(log) == [("failed_logins", "mallory")]


def test_export_spike_freezes_and_the_next_request_is_refused(
    monitored: tuple[AuditLog, list[str]], clock: FixedClock
) -> None:
    log, frozen = monitored

    def gate(actor: str) -> None:
        """A stand-in for the gate's authorisation: frozen principals are refused (and audited)."""
        if actor in frozen:
            log.record(
                event(clock, actor_id=actor, decision="deny", rule="principal frozen", result="denied")
            )
            raise AccessDenied("principal frozen", "principal frozen")
        log.record(
            event(
                clock,
                action="export",
                actor_id=actor,
                customer_id=None,
                record_id=None,
                detail={"records": 500},
            )
        )

    gate("insider")
    assert frozen == []
    gate("insider")  # the second export within the hour
    assert frozen == ["insider"]
    [alert] = log.alerts()
    assert (alert.rule, alert.action) == ("export_spike", "freeze")
    with pytest.raises(AccessDenied):
        gate("insider")
    assert ("disabled_principal", "insider") in rules_fired(log)


def test_export_spike_counts_rows_of_one_grant(
    sqlite_db: Database, keyring: Keyring, clock: FixedClock
) -> None:
    frozen: list[str] = []
    log = AuditLog(
        sqlite_db,
        keyring,
        clock=clock,
        rules=[ExportSpike(threshold=3, max_rows=100)],
        on_freeze=lambda who, why: frozen.append(who),
    )
    # The gate records one ``export`` entry per export with its rows (and an ``export_row`` entry
    # per customer, which this rule does not count twice).
    log.record(event(clock, 1, action="export", detail={"grant": "gr_0", "records": 99}))
    log.record_many([event(clock, i, action="export_row", detail={"grant": "gr_0"}) for i in range(99)])
    assert frozen == [] and log.alerts() == []
    log.record(event(clock, 100, action="export", detail={"grant": "gr_1", "records": 1}))
    assert frozen == ["alice"]
    [alert] = log.alerts()
    assert alert.detail == {"count": 2, "rows": 100}
    log.close()


def test_sensitive_subject_flags(monitored: tuple[AuditLog, list[str]], clock: FixedClock) -> None:
    log, _ = monitored
    log.record(event(clock, 1, detail={"flags": ["adult"]}))
    assert rules_fired(log) == []
    log.record(event(clock, 2, detail={"flags": ["minor"]}))
    log.record(event(clock, 2, detail={"flags": ["minor"]}))  # same customer, within the cooldown
    log.record(event(clock, 3, detail={"flags": ["vip"]}))
    assert rules_fired(log) == [("sensitive_subject", "alice"), ("sensitive_subject", "alice")]


def test_disabled_principal_any_attempt(monitored: tuple[AuditLog, list[str]], clock: FixedClock) -> None:
    log, _ = monitored
    log.record(event(clock, result="denied", decision="deny", rule="purpose not allowed"))
    assert rules_fired(log) == []
    log.record(event(clock, result="denied", decision="deny", rule="principal disabled", actor_id="gone"))
    assert rules_fired(log) == [("disabled_principal", "gone")]


def test_alerts_are_audited_listed_and_acknowledged(
    monitored: tuple[AuditLog, list[str]], clock: FixedClock
) -> None:
    log, _ = monitored
    log.record(event(clock, result="denied", decision="deny", rule="disabled", actor_id="gone"))
    [alert] = log.alerts(status="open")
    with pytest.raises(ValidationError):
        log.ack_alert(alert.id, by="officer", comment="  ")
    acked = log.ack_alert(alert.id, by="officer", comment="account was closed last week; fine")
    assert (acked.status, acked.acked_by) == ("acknowledged", "officer")
    assert log.alerts(status="open") == []
    with pytest.raises(Conflict):
        log.ack_alert(alert.id, by="officer", comment="again")
    with pytest.raises(NotFound):
        log.ack_alert("al_nope", by="officer", comment="x")
    actions = [e.action for e in log.query()]
    assert actions == ["read", "alert", "alert_ack"]
    assert log.verify().ok


def test_entries_rolled_back_with_their_data_raise_no_alert(
    sqlite_db: Database, keyring: Keyring, clock: FixedClock
) -> None:
    log = AuditLog(sqlite_db, keyring, clock=clock, rules=[DisabledPrincipal()])
    with pytest.raises(RuntimeError), sqlite_db.transaction() as conn:
        log.record(event(clock, result="denied", rule="disabled"), conn)
        raise RuntimeError("the data change failed")
    assert log.alerts() == [] and log.query() == []
    with sqlite_db.transaction() as conn:
        log.record(event(clock, result="denied", rule="disabled"), conn)
    assert len(log.alerts()) == 1  # delivered once the caller's transaction committed
    log.close()
