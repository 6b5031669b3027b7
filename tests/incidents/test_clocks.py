"""Grading by the CAC thresholds and the reporting clocks by operator type (R-INC-3, R-INC-7)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from piguard.errors import ValidationError
from piguard.gate.principals import system_context
from piguard.incidents import Incidents, Thresholds
from piguard.incidents.grading import clocks, grade
from piguard.installation import Installation
from tests.access.conftest import CHEAP, START, TODAY, World
from tests.incidents.conftest import environ, incidents, officer

__all__ = ["environ"]


@pytest.mark.req("R-INC-3")
@pytest.mark.parametrize(
    ("persons", "sensitive", "large", "expected"),
    [
        (999_999, 0, False, "general"),
        (1_000_000, 0, False, "relatively_major"),
        (10, 0, True, "relatively_major"),
        (9_999_999, 0, False, "relatively_major"),
        (10_000_000, 0, False, "major"),
        (99_999_999, 0, False, "major"),
        (100_000_000, 0, False, "particularly_major"),
        (10, 99_999, False, "general"),
        (10, 100_000, False, "relatively_major"),
        (10, 1_000_000, False, "major"),
        (10, 10_000_000, False, "particularly_major"),
    ],
)
def test_grade_at_each_threshold(persons: int, sensitive: int, large: bool, expected: str) -> None:
    assert grade(persons, sensitive, large_amount=large) == expected


@pytest.mark.req("R-INC-3")
def test_thresholds_are_settings() -> None:
    low = Thresholds(relatively_major=10, major=20, particularly_major=30)
    assert (
        grade(10, thresholds=low) == "relatively_major" and grade(30, thresholds=low) == "particularly_major"
    )
    with pytest.raises(ValueError):
        Thresholds(relatively_major=20, major=10)


@pytest.mark.req("R-INC-3")
@pytest.mark.parametrize(("operator", "hours"), [("ciio", 1), ("central", 2), ("other", 4)])
def test_regulator_clock_by_operator_type_with_its_warning(operator: str, hours: int) -> None:
    [individuals, regulator] = clocks(discovered=START, grade_="relatively_major", operator=operator)
    assert individuals.state(START) == "due_now"
    assert regulator.due == START + timedelta(hours=hours)
    assert regulator.state(START + timedelta(hours=hours) * 0.7) == "running"
    assert regulator.state(START + timedelta(hours=hours) * 0.8) == "nearly_due"
    assert regulator.state(START + timedelta(hours=hours)) == "overdue"
    assert replace(regulator, done_at=START).state(START + timedelta(days=1)) == "done"
    # 一般 incidents have no CAC clock.
    assert [c.name for c in clocks(discovered=START, grade_="general", operator=operator)] == ["individuals"]


@pytest.mark.req("R-INC-3")
def test_follow_up_while_the_cause_is_unknown_and_the_30_day_final_report() -> None:
    ended = START + timedelta(days=2)
    found = {
        c.name: c for c in clocks(discovered=START, grade_="major", cause_known=False, handling_ended=ended)
    }
    assert found["follow_up"].due is None and found["follow_up"].state(START) == "open"
    assert found["final"].due == ended + timedelta(days=30)
    assert found["final"].state(ended + timedelta(days=29)) == "nearly_due"
    assert found["final"].state(ended + timedelta(days=30)) == "overdue"


@pytest.mark.req("R-INC-7")
def test_gdpr_profile_adds_72_hours() -> None:
    found = {c.name: c for c in clocks(discovered=START, grade_="general", profile="gdpr")}
    assert found["gdpr"].due == START + timedelta(hours=72)
    assert found["gdpr"].state(START + timedelta(hours=71)) == "nearly_due"


@pytest.mark.req("R-INC-3")
def test_the_clock_job_alerts_before_and_after_the_deadline(world: World) -> None:
    """An injected clock: the 4 h report alerts as nearly due in its last hour, then overdue."""
    octx = officer(world)
    inc = incidents(world)
    inc.record_drill(octx, held_on=TODAY, scenario="leak drill", participants=4)  # no drill alert
    opened = inc.open(octx, title="leak", discovered=world.clock.now(), persons=1_500_000)
    assert opened["grade"] == "relatively_major"
    # The individuals' notice is due at once: sent, so only the regulator's clock runs.
    inc.update(octx, opened["id"], justification="told", reports={"individuals": world.clock.now()})
    job = system_context("incident_clock", purpose="")
    assert inc.tick(job)["nearly_due"] == 0
    assert not [a for a in world.inst.audit.alerts() if a.rule == "incident_deadline"]
    world.clock.advance(timedelta(hours=3, minutes=10))
    assert inc.tick(job)["nearly_due"] == 1
    world.clock.advance(timedelta(hours=1))
    assert inc.tick(job)["overdue"] == 1
    alerts = [a for a in world.inst.audit.alerts() if a.rule == "incident_deadline"]
    assert {a.severity for a in alerts} == {"medium", "high"}


@pytest.mark.req("R-INC-3")
def test_the_final_report_clock_runs_after_closing(world: World) -> None:
    octx = officer(world)
    inc = incidents(world)
    opened = inc.open(octx, title="leak", discovered=world.clock.now(), persons=1_500_000)
    closed = inc.close(octx, opened["id"], justification="handled")
    final = next(d for d in closed["deadlines"] if d["name"] == "final")
    assert final["due"] == (world.clock.now() + timedelta(days=30)).isoformat()


@pytest.mark.req("R-INC-3")
def test_the_officer_confirms_the_proposed_grade(world: World) -> None:
    octx = officer(world)
    inc = incidents(world)
    opened = inc.open(octx, title="leak", discovered=world.clock.now())
    proposed = inc.grade(octx, opened["id"], persons=12_000_000)
    assert (proposed["grade"], proposed["confirmed"]) == ("major", False)
    with pytest.raises(Exception, match="justification"):
        inc.grade(octx, opened["id"], confirm="general")
    confirmed = inc.grade(octx, opened["id"], confirm="major")
    assert (confirmed["grade"], confirmed["confirmed"]) == ("major", True)
    assert any(d["name"] == "regulator" for d in confirmed["deadlines"])


@pytest.mark.req("R-INC-5")
def test_plan_versions_drills_and_the_yearly_drill_alert(world: World) -> None:
    octx = officer(world)
    inc = incidents(world)
    job = system_context("incident_clock", purpose="")
    assert inc.tick(job)["drill_overdue"] == 1  # never drilled
    assert inc.publish_plan(octx, "应急预案 v1")["version"] == 1
    assert inc.publish_plan(octx, "应急预案 v2")["version"] == 2
    drill = inc.record_drill(
        octx, held_on=TODAY, scenario="insider leak", participants=6, findings="slow paging"
    )
    assert drill["plan_version"] == 2
    assert inc.tick(job)["drill_overdue"] == 0
    world.clock.advance(timedelta(days=366))
    assert inc.tick(job)["drill_overdue"] == 1
    listed = inc.drills(octx)
    assert [p["version"] for p in listed["plans"]] == [2, 1] and listed["drills"][0][
        "findings"
    ] == "slow paging"
    assert listed["drill_overdue"] is True
    alerts = [a for a in world.inst.audit.alerts() if a.rule == "incident_deadline"]
    assert alerts and all(a.detail["drill_overdue"] for a in alerts)


@pytest.mark.req("R-INC-3", "R-INC-5")
def test_the_deadline_alert_cools_down_in_the_database_and_fires_again_on_a_new_state(
    world: World, environ: dict[str, str]
) -> None:
    """R-INC-3: the 10-minute job does not alert on every tick while a clock is due: once per clock
    and state within the cool-down (kept in ``incident_alerted``, so a second installation object
    on the same database, another node, sees it), again when the clock moves on or the cool-down ends."""
    octx = officer(world)
    inc = incidents(world)
    inc.record_drill(octx, held_on=TODAY, scenario="leak drill", participants=4)
    opened = inc.open(octx, title="leak", discovered=world.clock.now(), persons=1_500_000)
    inc.update(octx, opened["id"], justification="told", reports={"individuals": world.clock.now()})
    job = system_context("incident_clock", purpose="")

    def deadline_alerts() -> int:
        return len([a for a in world.inst.audit.alerts() if a.rule == "incident_deadline"])

    world.clock.advance(timedelta(hours=3, minutes=10))
    assert inc.tick(job)["alerting"] == 1 and deadline_alerts() == 1  # nearly due: alert
    world.clock.advance(timedelta(minutes=10))
    ticked = inc.tick(job)
    assert (ticked["nearly_due"], ticked["alerting"]) == (1, 0) and deadline_alerts() == 1
    entry = max(world.inst.audit.query(action="incident_clock", limit=10), key=lambda e: e.seq)
    assert (entry.detail["nearly_due"], entry.detail["open_clocks"]) == (0, 1)
    # Another node's job (a second installation on the same database) sees the same cool-down.
    other = Installation(world.inst.settings.home, environ=environ, clock=world.clock, passwords=CHEAP)
    try:
        assert other.capability(Incidents).tick(job)["alerting"] == 0
    finally:
        other.close()
    assert deadline_alerts() == 1
    world.clock.advance(timedelta(minutes=40))  # overdue now: a new state alerts at once
    assert inc.tick(job)["alerting"] == 1 and deadline_alerts() == 2
    world.clock.advance(timedelta(minutes=10))
    assert inc.tick(job)["alerting"] == 0 and deadline_alerts() == 2
    world.clock.advance(timedelta(minutes=60))  # the cool-down is over: reminded again
    assert inc.tick(job)["alerting"] == 1 and deadline_alerts() == 3


@pytest.mark.req("R-INC-3")
def test_a_late_gdpr_notification_needs_the_reasons_for_the_delay(world: World) -> None:
    """GDPR 33(1): a report recorded after 72 h is refused without reasons for the delay; in time,
    or with the reasons (kept sealed with the incident's texts), it stops the clock."""
    octx = officer(world)
    inc = incidents(world)
    inc.profile = "gdpr"  # the installation passes Settings.incident_profile here
    on_time = inc.open(octx, title="leak", discovered=world.clock.now(), persons=10)
    inc.update(
        octx, on_time["id"], justification="told", reports={"gdpr": world.clock.now() + timedelta(hours=71)}
    )
    late = inc.open(octx, title="late leak", discovered=world.clock.now(), persons=10)
    sent = world.clock.now() + timedelta(hours=80)
    with pytest.raises(ValidationError) as refused:
        inc.update(octx, late["id"], justification="told", reports={"gdpr": sent})
    assert refused.value.field == "delay_reason"
    assert "gdpr" not in inc.show(octx, late["id"])["reports"]
    inc.update(
        octx,
        late["id"],
        justification="told",
        reports={"gdpr": sent},
        texts={"delay_reason": "forensics took 3 days"},
    )
    shown = inc.show(octx, late["id"])
    assert shown["delay_reason"] == "forensics took 3 days" and "gdpr" in shown["reports"]
