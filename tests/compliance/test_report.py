"""The compliance report: every requirement, statuses derived from live checks (R-AUD-4, R-AUD-5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from piguard.compliance.model import CheckResult
from piguard.compliance.report import status_of
from piguard.compliance.requirements import SOURCE, parse, requirements
from piguard.crypto.keyring import generate_master_secret
from piguard.gate import RequestContext
from piguard.rights import Rights
from tests._req import requirements_file
from tests.access.conftest import World, make_world
from tests.compliance.conftest import as_role, compliance, move, statuses
from tests.gate.exercises import expired_note

pytestmark = pytest.mark.req("R-AUD-4")


def test_the_shipped_checklist_is_the_shared_one() -> None:
    shared = requirements_file()
    if shared is None:
        pytest.skip("shared/requirements.md is not reachable")
    assert SOURCE.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")
    assert len(requirements()) == 66
    assert [r.id for r in parse(shared.read_text(encoding="utf-8"))] == [r.id for r in requirements()]


def test_every_requirement_appears_in_the_report(world: World, tmp_path: Path) -> None:
    done = compliance(world).report(as_role(world, "auditor"), out=tmp_path / "rep", formats=("json", "html"))
    assert [r["id"] for r in done["requirements"]] == [r.id for r in requirements()]
    assert sum(done["summary"].values()) == 66
    html = (tmp_path / "rep" / "report.zh.html").read_text(encoding="utf-8")
    for req in requirements():
        assert f"<td>{req.id}</td>" in html


def test_a_check_not_built_is_never_a_pass(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installation without the sharing register (its reading left out): its requirements are
    not available, not passed."""
    monkeypatch.setattr(compliance(world), "_sources", replace(compliance(world)._sources, sharing=None))
    found = statuses(world)
    for rid in ("R-SHR-1", "R-SHR-3", "R-SHR-4", "R-SHR-6"):
        assert found[rid] == "not_available", rid


def test_status_rules() -> None:
    ok = CheckResult("a", ("R-X",), "pass", "")
    na = CheckResult("b", ("R-X",), "not_available", "")
    bad = CheckResult("c", ("R-X",), "fail", "")
    rec = CheckResult("d", ("R-X",), "record", "")
    assert status_of([ok], [])[0] == "pass"
    assert status_of([ok, na], [])[0] == "partial"
    assert status_of([ok, bad], [])[0] == "fail"
    assert status_of([rec], [])[0] == "record"
    assert status_of([na], [])[0] == "not_available"
    assert status_of([], [{"test": "t", "outcome": "passed"}])[0] == "partial"
    assert status_of([ok], [{"test": "t", "outcome": "failed"}])[0] == "fail"
    assert status_of([], [{"test": "t", "outcome": "not run"}])[0] == "not_available"


def _newly_failed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {rid for rid, status in after.items() if status == "fail" and before[rid] != "fail"}


@pytest.mark.req("R-AUD-2")
def test_a_tampered_audit_entry_fails_r_aud_2_only(world: World) -> None:
    before = statuses(world)
    with world.inst.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET body = replace(body, 'allow', 'deny') WHERE seq = 2"))
    assert _newly_failed(before, statuses(world)) == {"R-AUD-2"}


@pytest.mark.req("R-DST-1")
def test_a_customer_past_retention_fails_r_dst_1_only(world: World) -> None:
    before = statuses(world)
    expired_note(world)
    after = statuses(world)
    assert _newly_failed(before, after) == {"R-DST-1"}
    # Held, it is no longer a backlog (R-DST-2: what a hold keeps is not past retention).


@pytest.mark.req("R-RGT-3")
def test_an_overdue_request_fails_r_rgt_3_only(world: World) -> None:
    cid = world.customer()
    intake = RequestContext(world.step_up(world.staff_of("customer_service")), "", client="test")
    world.inst.capability(Rights).open(intake, cid, "access", channel="email")
    before = statuses(world)
    move(world, timedelta(days=40))
    assert _newly_failed(before, statuses(world)) == {"R-RGT-3"}


@pytest.mark.req("R-USE-1")
def test_a_role_granting_default_access_fails_r_use_1_only(tmp_path: Path) -> None:
    """Two installations (a good catalog and a broken one), on SQLite: the rule is the catalog's."""
    from piguard.catalog import profile_path

    (tmp_path / "master.key").write_text(generate_master_secret())
    environ = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}

    good = make_world(tmp_path / "good", environ, audited=True)
    try:
        before = statuses(good)
    finally:
        good.inst.close()
    source = profile_path("default").read_text(encoding="utf-8")
    marker = "  marketing:\n"
    assert marker in source
    broken = tmp_path / "broken.yaml"
    head, tail = source.split(marker, 1)
    # The marketing role gains a catch-all rule showing everything in clear.
    tail = tail.replace("    access:\n", '    access:\n      - {selector: "*", level: clear}\n', 1)
    broken.write_text(head + marker + tail, encoding="utf-8")
    bad = make_world(tmp_path / "bad", environ, catalog_file=broken, audited=True)
    try:
        after = statuses(bad)
    finally:
        bad.inst.close()
    assert _newly_failed(before, after) == {"R-USE-1"}


def test_reports_are_kept_and_listed(world: World) -> None:
    auditor = as_role(world, "auditor")
    first = compliance(world).report(auditor, formats=("json",))
    world.clock.set(world.clock.now() + timedelta(minutes=5))
    second = compliance(world).report(auditor, formats=("json",))
    listed = compliance(world).reports(auditor)
    assert [r["id"] for r in listed] == [second["id"], first["id"]]
    assert Path(first["dir"], "report.json").is_file()
    assert compliance(world).report_file(auditor, first["id"], "report.json").startswith(b"{")


def test_the_report_reads_test_results_with_their_commit(world: World, tmp_path: Path) -> None:
    results = tmp_path / "requirements-map.json"
    results.write_text(
        '{"schema": 1, "commit": "abc123",'
        ' "requirements": {"R-VAL-1": ["tests/x.py::test_a", "tests/x.py::test_b"]},'
        ' "outcomes": {"tests/x.py::test_a": "passed", "tests/x.py::test_b": "failed"}}',
        encoding="utf-8",
    )
    done = compliance(world).report(as_role(world, "auditor"), formats=("json",), tests=results)
    val = next(r for r in done["requirements"] if r["id"] == "R-VAL-1")
    assert val["status"] == "fail"
    assert {t["outcome"] for t in val["tests"]} == {"passed", "failed"}
    doc = Path(done["dir"], "report.json").read_text(encoding="utf-8")
    assert '"commit": "abc123"' in doc


def test_a_refused_reading_is_a_failed_check_not_a_pass(world: World) -> None:
    """Customer service may neither audit nor administer: the audit verification is refused, and
    the check that needed it fails, naming the refusal."""
    from piguard.compliance.checks import Env, run_checks
    from piguard.compliance.checks.audit import AuditChain

    c = compliance(world)
    ctx = as_role(world, "customer_service")
    env = Env(ctx, world.inst.catalog, world.inst.gate, c.sources, world.inst.gate.today(), 0, c.current)
    [result] = run_checks([AuditChain()], env)
    assert result.status == "fail" and "could not run" in result.summary


def test_the_scheduled_report_runs_as_a_system_principal(world: World) -> None:
    job = next(j for j in world.inst.jobs.jobs if j.name == "compliance_report")
    job.run(datetime(2026, 3, 2, 3, tzinfo=UTC))
    [kept] = compliance(world).reports(as_role(world, "auditor"))
    assert kept["by"] == "system:compliance_report"
