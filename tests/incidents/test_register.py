"""The incident register: stages with justifications, every change audited (R-INC-1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from piguard.errors import Conflict, NotFound, ValidationError
from piguard.gate.principals import system_context
from tests.access.conftest import START, World
from tests.incidents.conftest import incidents, officer


@pytest.mark.req("R-INC-1")
def test_open_update_close_each_audited_with_the_timeline(world: World) -> None:
    octx = officer(world)
    inc = incidents(world)
    opened = inc.open(
        octx,
        title="lost laptop",
        discovered=START,
        occurred=START - timedelta(hours=3),
        category="data_loss",
        pi_types=["customer.mobile", "name"],
        persons=120,
        texts={"place": "branch office", "cause": "theft"},
    )
    assert opened["grade"] == "general"
    assert [d["name"] for d in opened["deadlines"]] == ["individuals"]
    assert opened["deadlines"][0]["state"] == "due_now"  # PIPL 57: immediately
    with pytest.raises(ValidationError):
        inc.update(octx, opened["id"], justification="", stage="assessing")
    inc.update(octx, opened["id"], justification="triage started", stage="assessing", texts={"harm": "fraud"})
    closed = inc.close(octx, opened["id"], justification="laptop recovered, disk encrypted")
    assert (closed["status"], closed["stage"]) == ("closed", "closed")
    with pytest.raises(Conflict):
        inc.update(octx, opened["id"], justification="late", stage="assessing")
    kinds = [e["kind"] for e in closed["timeline"]]
    assert kinds == ["opened", "updated", "closed"]
    assert closed["timeline"][1]["justification"] == "triage started"
    assert closed["pi_types"] == ["customer.mobile", "customer.name"]
    assert (closed["harm"], closed["place"]) == ("fraud", "branch office")
    actions = [e.action for e in world.inst.audit.query(actor=octx.actor.id, limit=1000)]
    assert [a for a in actions if a.startswith("incident_")] == [
        "incident_open",
        "incident_update",
        "incident_close",
    ]
    [listed] = inc.find(octx)
    assert listed["id"] == opened["id"] and "harm" not in listed


@pytest.mark.req("R-INC-1")
def test_open_refuses_naive_times_unknown_fields_and_alerts(world: World) -> None:
    octx = officer(world)
    inc = incidents(world)
    with pytest.raises(ValidationError):
        inc.open(octx, title="t", discovered=START.replace(tzinfo=None))
    with pytest.raises(ValidationError):
        inc.open(octx, title="t", discovered=START, pi_types=["customer.no_such_field"])
    with pytest.raises(ValidationError):
        inc.open(octx, title="t", discovered=START, category="no_such")
    with pytest.raises(NotFound):
        inc.open(octx, title="t", discovered=START, from_alert="al_0000")


@pytest.mark.req("R-INC-1", "R-INC-3")
def test_an_alert_escalates_to_an_incident_with_its_evidence(world: World) -> None:
    octx = officer(world)
    inc = incidents(world)
    inc.open(octx, title="first", discovered=START, persons=2_000_000)
    world.clock.advance(timedelta(hours=5))
    inc.tick(system_context("incident_clock", purpose=""))
    [alert] = [a for a in world.inst.audit.alerts() if a.rule == "incident_deadline"]
    escalated = inc.open(octx, title="from the alert", discovered=world.clock.now(), from_alert=alert.id)
    shown = inc.show(octx, escalated["id"])
    assert shown["from_alert"] == alert.id
    evidence = shown["timeline"][0]["facts"]["evidence"]
    assert evidence["rule"] == "incident_deadline" and evidence["first_seq"] == alert.first_seq
    assert shown["discoverer"] == "monitoring:incident_deadline"
