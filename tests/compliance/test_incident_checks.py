"""Live checks of the incident requirements (R-INC-1..7): each fails on a broken installation and
passes once the record, report or notice is there; the incident register is read through its own
list operation (no texts)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from piguard.compliance.model import CheckResult
from piguard.gate import RequestContext
from piguard.incidents import Incidents
from tests.access.conftest import TODAY, World
from tests.compliance.conftest import as_role, compliance, move, statuses
from tests.incidents.conftest import MINOR

TEXTS = {"cause": "越权查询", "harm": "诈骗风险", "measures": "冻结账号", "contact": "dpo@corp.example"}


def _check(world: World, name: str) -> CheckResult:
    [found] = [c for c in compliance(world).check(as_role(world, "auditor")) if c.check == name]
    return found


def incidents(world: World) -> Incidents:
    return world.inst.capability(Incidents)


def officer(world: World) -> RequestContext:
    return as_role(world, "officer")


@pytest.mark.req("R-INC-5")
def test_the_plan_and_a_drill_within_a_year(world: World) -> None:
    assert _check(world, "incidents.plan_drill").status == "fail"  # no plan
    incidents(world).publish_plan(officer(world), "应急预案 v1")
    assert _check(world, "incidents.plan_drill").status == "fail"  # never drilled
    incidents(world).record_drill(officer(world), held_on=TODAY, scenario="leak", participants=5)
    assert _check(world, "incidents.plan_drill").status == "pass"
    assert statuses(world)["R-INC-5"] != "fail"
    move(world, timedelta(days=366))
    lapsed = _check(world, "incidents.plan_drill")
    assert lapsed.status == "fail" and "days ago" in lapsed.summary
    assert statuses(world)["R-INC-5"] == "fail"


@pytest.mark.req("R-INC-1")
def test_a_closed_incident_needs_a_complete_record(world: World) -> None:
    inc, octx = incidents(world), officer(world)
    assert _check(world, "incidents.register").status == "pass"  # an empty register
    done = inc.open(
        octx, title="t", discovered=world.clock.now(), pi_types=["customer.mobile"], texts=TEXTS, persons=3
    )
    inc.close(octx, done["id"], justification="handled")
    assert _check(world, "incidents.register").status == "pass"
    bare = inc.open(octx, title="bare", discovered=world.clock.now())
    assert _check(world, "incidents.register").status == "pass"  # open: still being filled in
    inc.close(octx, bare["id"], justification="handled")
    failing = _check(world, "incidents.register")
    assert failing.status == "fail"
    assert failing.evidence["lacking"] == {bare["id"]: ["pi_types", "cause", "harm", "measures"]}
    assert "越权查询" not in str(failing.evidence)  # the texts are not read, only whether filled


@pytest.mark.req("R-INC-3")
def test_a_lapsed_regulator_clock_fails_until_the_report_is_recorded(world: World) -> None:
    inc = incidents(world)
    opened = inc.open(officer(world), title="leak", discovered=world.clock.now(), persons=1_500_000)
    assert _check(world, "incidents.clocks").status == "pass"  # 4 h to go
    move(world, timedelta(hours=5))
    failing = _check(world, "incidents.clocks")
    assert failing.status == "fail" and failing.evidence["overdue"] == {opened["id"]: ["regulator"]}
    inc.update(officer(world), opened["id"], justification="sent", reports={"regulator": world.clock.now()})
    assert _check(world, "incidents.clocks").status == "pass"


@pytest.mark.req("R-INC-2", "R-INC-4")
def test_affected_persons_are_told_or_a_reason_is_recorded(world: World) -> None:
    inc = incidents(world)
    empty = inc.open(officer(world), title="no one touched", discovered=world.clock.now())
    assert _check(world, "incidents.notices").status == "pass"
    opened = inc.open(officer(world), title="leak", discovered=world.clock.now(), persons=40)
    failing = _check(world, "incidents.notices")
    assert failing.status == "fail" and failing.evidence["untold"] == [opened["id"]]
    assert empty["id"] not in failing.evidence["untold"]
    inc.notify(officer(world), opened["id"], mode="skip", skip_reason="encrypted, key not exposed")
    assert _check(world, "incidents.notices").status == "pass"


@pytest.mark.req("R-INC-6")
def test_guardians_of_children_touched_are_told_or_warned(world: World) -> None:
    inc = incidents(world)
    child = world.customer(dict(MINOR))
    insider = world.user("customer_service", name="cs_insider")
    since = world.clock.now()
    world.service.read(world.ctx(world.step_up(insider), "service"), "customer", child, ["name"])
    opened = inc.open(officer(world), title="leak", discovered=world.clock.now())
    assert _check(world, "incidents.guardians").status == "pass"  # no child in scope yet
    scope = inc.scope(officer(world), opened["id"], actors=[insider.actor.id], since=since)
    assert scope["minors"] == 1
    failing = _check(world, "incidents.guardians")
    assert failing.status == "fail" and failing.evidence["short"][opened["id"]]["minors"] == 1
    inc.notify(officer(world), opened["id"], mode="public")
    assert _check(world, "incidents.guardians").status == "pass"


@pytest.mark.req("R-INC-7")
def test_the_gdpr_clock_is_checked_under_the_gdpr_profile_only(world: World) -> None:
    inc = incidents(world)
    assert _check(world, "incidents.gdpr_clock").status == "not_available"  # the cn profile
    inc.profile = "gdpr"
    opened = inc.open(officer(world), title="leak", discovered=world.clock.now(), persons=10)
    assert _check(world, "incidents.gdpr_clock").status == "pass"
    move(world, timedelta(hours=73))
    failing = _check(world, "incidents.gdpr_clock")
    assert failing.status == "fail" and failing.evidence["overdue"] == [opened["id"]]
    inc.update(officer(world), opened["id"], justification="sent late: the DPA portal was down",
               reports={"gdpr": world.clock.now()},
               texts={"delay_reason": "the DPA portal was down for three days"})  # fmt: skip
    assert _check(world, "incidents.gdpr_clock").status == "pass"


@pytest.mark.req("R-INC-1", "R-INC-2", "R-INC-3", "R-INC-4", "R-INC-5", "R-INC-6", "R-INC-7")
def test_every_incident_requirement_has_a_live_check(world: World) -> None:
    covered = compliance(world).registry.covered()
    for rid in ("R-INC-1", "R-INC-2", "R-INC-3", "R-INC-4", "R-INC-5", "R-INC-6", "R-INC-7"):
        assert any(name.startswith("incidents.") for name in covered.get(rid, [])), rid
