"""Governance records: the PI officer (R-TRN-2), versioned policies (R-TRN-3, R-MIN-2), notices
(R-COL-8), training (R-TRN-1) and the compliance-audit schedule with its alert (R-AUD-5, R-MIN-5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from piguard.compliance.schedule import schedule
from piguard.consent import shipped_notice
from piguard.consent.capability import Consent
from piguard.errors import AccessDenied, ValidationError
from piguard.gate import RequestContext
from piguard.gate.principals import system_context
from tests.access.conftest import SETUP, World
from tests.compliance.conftest import as_role, compliance, move


def check(world: World, name: str) -> str:
    results = compliance(world).check(as_role(world, "auditor"))
    return next(r.status for r in results if r.check == name)


@pytest.mark.req("R-TRN-2")
def test_the_officer_is_named_published_and_versioned(world: World) -> None:
    assert check(world, "governance.officer") == "fail"
    officer = as_role(world, "officer")
    compliance(world).set_officer(officer, name="王敏", contact="dpo@example.com")
    second = compliance(world).set_officer(officer, name="李华", contact="privacy@example.com")
    assert second["version"] == 2
    assert check(world, "governance.officer") == "record"
    found = compliance(world).governance(as_role(world, "auditor"))
    assert (found["officer"]["title"], found["officer"]["version"]) == ("李华", 2)
    with pytest.raises(AccessDenied):
        compliance(world).set_officer(as_role(world, "auditor"), name="x", contact="y")


@pytest.mark.req("R-TRN-3", "R-MIN-2")
def test_policies_are_versioned_and_the_rules_for_under_14s_count(world: World) -> None:
    officer = as_role(world, "officer")
    assert check(world, "governance.policies") == "fail"
    assert check(world, "minors.rules_published") == "fail"
    compliance(world).publish_policy(officer, "pi-protection", title="PI protection", text="v1")
    compliance(world).publish_policy(officer, "pi-protection", title="PI protection", text="v2")
    compliance(world).publish_policy(
        officer, "children", title="Children's rules", text="rules", scope="minors"
    )
    auditor = as_role(world, "auditor")
    found = compliance(world).governance(auditor)
    assert [(p["name"], p["version"]) for p in found["policies"]] == [("children", 1), ("pi-protection", 2)]
    assert len(found["policy_history"]) == 3
    assert compliance(world).policy_text(auditor, "pi-protection", 1)["text"] == "v1"
    assert check(world, "governance.policies") == "record"
    assert check(world, "minors.rules_published") == "record"
    with pytest.raises(ValidationError):
        compliance(world).publish_policy(officer, "x", title="t", text="t", scope="nonsense")


def test_a_policy_text_is_stored_masked(world: World) -> None:
    """Canary: a mobile number typed into a policy is masked before it is stored."""
    officer = as_role(world, "officer")
    done = compliance(world).publish_policy(officer, "contact", title="Contact", text="致电 13812345678")
    assert "13812345678" not in done["text"]


@pytest.mark.req("R-COL-8")
def test_the_notice_in_force_must_state_retention_and_rights(world: World) -> None:
    assert check(world, "governance.notice") == "fail"
    title, zh, en = shipped_notice("privacy")
    setup = RequestContext(SETUP, "", client="test")
    world.inst.capability(Consent).publish_notice(setup, zh, en, title=title)
    assert check(world, "governance.notice") == "pass"


@pytest.mark.req("R-TRN-1")
def test_lapsed_training_fails_the_training_check(world: World) -> None:
    as_role(world, "finance")  # a trained staff member (the fixture records a course)
    assert check(world, "governance.training") == "record"
    move(world, timedelta(days=800))  # every course recorded by the fixture has lapsed
    assert check(world, "governance.training") == "fail"


@pytest.mark.req("R-AUD-5", "R-MIN-5")
def test_the_audit_schedule_from_the_person_count() -> None:
    today = date(2026, 3, 2)
    small = schedule(9_999_999, 0, [], today)
    assert [i["status"] for i in small] == ["not_required", "not_required"]
    large = schedule(10_000_001, 0, [{"scope": "general", "effective_on": "2024-03-10"}], today)
    assert large[0]["due"] == "2026-03-10" and large[0]["status"] == "due_soon"
    late = schedule(10_000_001, 0, [{"scope": "general", "effective_on": "2024-01-10"}], today)
    assert late[0]["status"] == "overdue"
    fine = schedule(10_000_001, 0, [{"scope": "general", "effective_on": "2025-12-01"}], today)
    assert fine[0]["status"] == "ok"
    minors = schedule(100, 3, [{"scope": "minors", "effective_on": "2025-01-02"}], today)
    assert minors[1]["required"] and minors[1]["status"] == "overdue" and minors[1]["due"] == "2026-01-02"
    assert schedule(100, 3, [], today)[1]["status"] == "due_soon"  # required, none on file: due today


@pytest.mark.req("R-AUD-5")
def test_the_schedule_job_alerts_before_an_audit_is_due(world: World) -> None:
    c = compliance(world)
    world.customer()
    c.audit_threshold = 0  # this installation counts as a large processor
    assert check(world, "governance.audit_schedule") == "fail"  # required, none on file
    officer = as_role(world, "officer")
    c.record_audit(
        officer, scope="general", completed_on=date(2024, 3, 20), auditor="Audit Co.", result="passed"
    )
    assert check(world, "governance.audit_schedule") == "record"
    counts = c.tick(system_context("compliance_schedule"))
    assert counts == {"overdue": 0, "due_soon": 1}
    alerts = [a for a in world.inst.audit.alerts() if a.rule == "compliance_audit_due"]
    assert len(alerts) == 1 and alerts[0].severity == "medium"
    with pytest.raises(ValidationError):
        c.record_audit(officer, scope="general", completed_on=date(2030, 1, 1), auditor="x", result="passed")
