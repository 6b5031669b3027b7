"""Regression tests for the gaps the gate kernel closed (issue 10, first paragraph).

Each failed on the gate before the kernel: there, each public method assembled its own subset
of the checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from piguard.consent.capability import Consent
from piguard.errors import AccessDenied, AuditFailure
from piguard.gate import RequestContext
from piguard.gate.principals import customer_actor, system_context
from piguard.gate.trail import Trail
from tests.access.conftest import ADULT, SETUP, TODAY, World, environ, make_world, world

__all__ = ["environ", "world"]

OTHER = {**ADULT, "mobile": "13700137000", "resident_id": "513101198201130014"}


@pytest.fixture
def audited_world(tmp_path: Path, environ: dict[str, str]) -> Iterator[World]:
    w = make_world(tmp_path, environ, audited=True)
    yield w
    w.inst.close()


@pytest.mark.req("R-USE-1")
def test_front_desk_cannot_give_itself_a_guest_by_creating_a_stay(world: World) -> None:
    """``create`` runs the row scope: a stay for a customer outside the desk's scope is refused
    and recorded, and the customer stays invisible to the desk."""
    cid = world.customer()
    desk = world.user("front_desk")
    purpose = "service"
    with pytest.raises(AccessDenied, match="only while the guest's stay is active"):
        world.service.create(
            world.ctx(desk, purpose),
            "hotel_stay",
            {
                "room_no": "1208",
                "check_in": TODAY.isoformat(),
                "check_out": (TODAY + timedelta(days=1)).isoformat(),
            },
            customer_id=cid,
        )
    denial = world.denials()[-1]
    assert (denial.action, denial.customer_id, denial.rule) == ("create", cid, "roles.front_desk.scope")
    assert world.inst.vault.customer_records(cid, "hotel_stay") == []
    with pytest.raises(AccessDenied):
        world.service.read(world.ctx(desk, purpose), "customer", cid, ["name"])


@pytest.mark.req("R-USE-1")
def test_front_desk_cannot_import_itself_a_guest_r_use_1(world: World) -> None:
    """``import`` runs the row scope per row about an existing customer, as ``create`` does: an
    imported "active" stay for a customer outside the desk's scope is rejected with the reason,
    nothing is stored, the import's summary records the rejection, and the profile stays hidden."""
    cid = world.customer()
    desk = world.user("front_desk")
    row = {
        "customer_id": cid,
        "room_no": "1208",
        "check_in": TODAY.isoformat(),
        "check_out": (TODAY + timedelta(days=1)).isoformat(),
    }
    report = world.service.import_rows(world.ctx(desk), "hotel_stay", iter([(1, row)]))
    assert report.accepted == 0
    assert [(r.row, r.field) for r in report.rejected] == [(1, "customer_id")]
    assert "row scope" in report.rejected[0].reason
    assert world.inst.vault.customer_records(cid, "hotel_stay") == []
    with pytest.raises(AccessDenied, match="only while the guest's stay is active"):
        world.service.read(world.ctx(desk), "customer", cid, ["name"])


@pytest.mark.req("R-USE-5", "R-COL-1")
def test_search_answers_only_customers_the_caller_may_process_for_the_purpose(world: World) -> None:
    """``search`` runs the consent guard per match: a marketing search finds only customers who
    consented to marketing (a match the caller could not read is no match)."""
    refused = world.customer()
    consented = world.customer(OTHER)
    world.consent(consented, "marketing")
    mk = world.user("marketing")
    ctx = world.ctx(mk, "marketing")
    assert world.service.search(ctx, "customer", "mobile", ADULT["mobile"]) == []
    found = world.service.search(ctx, "customer", "mobile", OTHER["mobile"])
    assert [r.customer_id for r in found] == [consented]
    assert refused != consented


@pytest.mark.req("R-USE-3", "R-USE-4")
def test_export_records_the_rows_it_refuses(world: World) -> None:
    """An export row without consent is refused and recorded as ``export_row``, not skipped silently."""
    ok = world.customer()
    world.consent(ok, "marketing")
    no = world.customer(OTHER)
    mk = world.user("marketing")
    grant = world.access.grants.request(
        mk.actor,
        kind="export",
        record_type="customer",
        purpose="marketing",
        max_rows=2,
        reason="campaign",
        fields=None,
    )
    world.access.grants.decide(world.user("officer").actor, grant.id, approve=True)
    rows = world.service.export(world.ctx(mk, "marketing"), "customer", [ok, no], grant_id=grant.id)
    assert len(rows) == 1
    row_events = [e for e in world.recorder.events if e.action == "export_row"]
    assert {(e.customer_id, e.decision) for e in row_events} == {(ok, "allow"), (no, "deny")}
    [summary] = [e for e in world.recorder.events if e.action == "export" and e.decision == "allow"]
    assert (summary.detail["rows"], summary.detail["records"]) == (2, 1)


@pytest.mark.req("R-AUD-1")
def test_key_status_is_recorded(world: World) -> None:
    admin = world.user("admin")
    world.service.key_status(world.ctx(admin, ""))
    assert [e.action for e in world.recorder.events if e.actor_id == admin.actor.id][-1] == "key_status"


@pytest.mark.req("R-AUD-1", "R-COL-2")
def test_a_consent_change_never_commits_without_its_entry(audited_world: World) -> None:
    """The consent ledger writes in the gate's transaction: no audit entry, no consent record."""
    world = audited_world
    cid = world.customer()
    world.consent(cid, "analytics")  # publishes the notice as well
    consent = world.inst.capability(Consent)
    agent = RequestContext(world.user("customer_service").actor, "", client="test")
    before = len(consent.show(agent, cid)["history"])
    with world.inst.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_entries RENAME TO audit_entries_off"))
    try:
        with pytest.raises(AuditFailure):
            consent.grant(agent, cid, ["marketing"], channel="counter")
    finally:
        with world.inst.db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_entries_off RENAME TO audit_entries"))
    assert len(consent.show(agent, cid)["history"]) == before
    consent.grant(agent, cid, ["marketing"], channel="counter")
    assert len(consent.show(agent, cid)["history"]) == before + 1
    entry = world.inst.audit.query(action="consent_grant", limit=10)[-1]
    assert (entry.detail["consent_purposes"], entry.actor_id) == (["marketing"], agent.actor.id)


@pytest.mark.req("R-MIN-4")
def test_the_birthday_job_runs_as_a_system_principal_through_the_gate(audited_world: World) -> None:
    world = audited_world
    consent = world.inst.capability(Consent)
    consent.reevaluate_birthdays(system_context("birthdays"))
    [entry] = world.inst.audit.query(action="minors_reevaluate", limit=10)
    assert (entry.actor_id, entry.role, entry.decision) == ("system:birthdays", "system", "allow")
    # The system role administers; it reads no customer data.
    cid = world.customer()
    with pytest.raises(AccessDenied):
        world.service.read(
            RequestContext(system_context("birthdays").actor, "service"), "customer", cid, ["name"]
        )


@pytest.mark.req("R-RGT-1")
def test_a_customer_principal_sees_only_their_own_history(audited_world: World) -> None:
    world = audited_world
    mine = world.customer()
    theirs = world.customer(OTHER)
    trail = world.inst.capability(Trail)
    me = RequestContext(customer_actor(mine), "", client="privacy")
    assert trail.history(me, mine)["customer_ref"] == world.inst.audit.customer_ref(mine)
    with pytest.raises(AccessDenied, match="own data only"):
        trail.history(me, theirs)
    refused = world.inst.audit.query(action="own_access_history", limit=10)[-1]
    assert refused.decision == "deny"


def test_setup_actor_is_the_bootstrap_credential() -> None:
    """The fixtures' SETUP principal is the bootstrap credential, which writes but reads nothing."""
    assert SETUP.role == "bootstrap-admin"


@pytest.mark.parametrize("role", ["system", "notifier", "data_subject"])
def test_built_in_roles_are_never_given_to_accounts(world: World, role: str) -> None:
    """Every catalog has the built-in system, notifier and data-subject roles; no account can hold them."""
    from piguard.errors import ValidationError

    assert role in world.inst.catalog.roles
    with pytest.raises(ValidationError, match="not staff or clients"):
        world.access.add_user(SETUP, f"x_{role}", role)
    with pytest.raises(ValidationError, match="not staff or clients"):
        world.access.add_client(SETUP, f"app_{role}", role)
