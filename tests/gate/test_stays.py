"""Issue 11, item 5: creating the relationship that grants the front desk's row scope (a stay)
grants nothing by itself; a check-in by ID match or by a second person's approval does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from piguard.access.checkins import MAX_FAILED_MATCHES
from piguard.access.tables import stay_checkins
from piguard.errors import AccessDenied, Conflict, ValidationError
from piguard.gate import RequestContext
from tests.access.conftest import ADULT, TODAY, Staff, World, environ, make_world, world

__all__ = ["environ", "world"]

OTHER_ID = "513101198201130014"  # a valid resident ID that is not the guest's


def _stay(world: World, desk: Staff, cid: str) -> str:
    """The desk registers a stay for ``cid`` (allowed: it reveals and grants nothing)."""
    ref = world.service.stays.register(
        world.ctx(desk),
        cid,
        {
            "room_no": "1208",
            "check_in": TODAY.isoformat(),
            "check_out": (TODAY + timedelta(days=1)).isoformat(),
        },
    )
    return ref.record_id


def _reads(world: World, desk: Staff, cid: str) -> bool:
    try:
        world.service.read(world.ctx(desk), "customer", cid, ["name"])
    except AccessDenied:
        return False
    return True


@pytest.mark.req("R-USE-1")
def test_front_desk_registering_a_stay_for_any_customer_does_not_grant_scope_issue_11_5(world: World) -> None:
    """The attack: the desk registers a current stay for an arbitrary customer id, then reads the
    profile: refused and recorded as a deny; the registration itself is recorded as such."""
    cid = world.customer(dict(ADULT))
    desk = world.user("front_desk")
    stay = _stay(world, desk, cid)
    registered = [e for e in world.recorder.events if e.action == "stay_register"]
    assert [(e.decision, e.customer_id, e.record_id) for e in registered] == [("allow", cid, stay)]
    with pytest.raises(AccessDenied, match="active and checked in"):
        world.service.read(world.ctx(desk), "customer", cid, ["name"])
    denial = world.denials()[-1]
    assert (denial.action, denial.customer_id, denial.rule) == ("read", cid, "roles.front_desk.scope")
    assert world.service.checkins.get(stay) is None  # never checked in


@pytest.mark.req("R-USE-1")
def test_check_in_with_the_guests_id_number_grants_scope_until_check_out_issue_11_5(world: World) -> None:
    cid = world.customer(dict(ADULT))
    desk = world.user("front_desk")
    stay = _stay(world, desk, cid)
    # Normalised before comparing: a lower-case check letter or spaces do not matter.
    spaced = " ".join([ADULT["resident_id"][:6], ADULT["resident_id"][6:14], ADULT["resident_id"][14:]])
    done = world.service.stays.check_in(world.ctx(desk), stay, id_number=spaced)
    assert done == {"stay_id": stay, "status": "checked_in", "method": "id_match"}
    entry = [e for e in world.recorder.events if e.action == "stay_check_in"][-1]
    assert (entry.decision, entry.customer_id, entry.detail) == ("allow", cid, {"matched": True})
    assert _reads(world, desk, cid)
    with pytest.raises(Conflict):
        world.service.stays.check_in(world.ctx(desk), stay, id_number=ADULT["resident_id"])
    world.service.stays.check_out(world.ctx(desk), stay)
    assert not _reads(world, desk, cid)
    # Nothing of the number is kept: the row holds ids, a status and counts.
    with world.inst.gate.db.read() as conn:
        row = conn.execute(select(stay_checkins).where(stay_checkins.c.stay_id == stay)).one()
    assert ADULT["resident_id"] not in repr(tuple(row))
    assert row.status == "checked_out"


@pytest.mark.req("R-USE-1")
def test_a_wrong_id_number_is_refused_audited_counted_and_locks_issue_11_5(world: World) -> None:
    cid = world.customer(dict(ADULT))
    desk = world.user("front_desk")
    stay = _stay(world, desk, cid)
    for _ in range(MAX_FAILED_MATCHES):
        with pytest.raises(AccessDenied, match="does not match") as refused:
            world.service.stays.check_in(world.ctx(desk), stay, id_number=OTHER_ID)
        assert OTHER_ID not in str(refused.value) and ADULT["resident_id"] not in str(refused.value)
        denial = world.denials()[-1]
        assert (denial.action, denial.customer_id, denial.rule) == (
            "stay_check_in",
            cid,
            "stays.check_in.id_match",
        )
        assert OTHER_ID not in repr(denial.detail)
    assert not _reads(world, desk, cid)
    # Locked: even the right number no longer checks the guest in, on this stay or a new one.
    with pytest.raises(AccessDenied, match="locked"):
        world.service.stays.check_in(world.ctx(desk), stay, id_number=ADULT["resident_id"])
    second = _stay(world, desk, cid)
    with pytest.raises(AccessDenied, match="locked"):
        world.service.stays.check_in(world.ctx(desk), second, id_number=ADULT["resident_id"])
    assert world.denials()[-1].rule == "stays.check_in.locked"
    assert not _reads(world, desk, cid)
    # Malformed input is a validation error naming the field (it reveals nothing, counts nothing).
    with pytest.raises(ValidationError) as bad:
        world.service.stays.check_in(world.ctx(desk), stay, id_number="")
    assert bad.value.field == "id_number"


@pytest.mark.req("R-USE-1", "R-USE-2")
def test_check_in_approved_by_a_second_person_grants_scope_issue_11_5(world: World) -> None:
    """The guest cannot be matched (no ID on record): the desk asks, another person approves."""
    cid = world.customer({k: v for k, v in ADULT.items() if k not in ("resident_id", "passport")})
    desk = world.user("front_desk")
    stay = _stay(world, desk, cid)
    grant = world.access.request_grant(
        desk.actor, kind="check_in", customer_id=cid, purpose="service", reason="walk-in, ID card seen"
    )
    # Before approval the grant checks nobody in.
    with pytest.raises(AccessDenied, match="approved check-in grant"):
        world.service.stays.check_in(world.ctx(desk), stay, grant_id=grant["id"])
    officer = world.step_up(world.user("officer"))
    world.access.decide_grant(officer, grant["id"], approve=True)
    # Another desk cannot use it: it is the requester's.
    other = world.user("front_desk")
    with pytest.raises(AccessDenied, match="approved check-in grant"):
        world.service.stays.check_in(world.ctx(other), stay, grant_id=grant["id"])
    done = world.service.stays.check_in(world.ctx(desk), stay, grant_id=grant["id"])
    assert done["method"] == "approval"
    assert [e.detail for e in world.recorder.events if e.action == "stay_check_in"][-1] == {
        "grant": grant["id"]
    }
    assert _reads(world, desk, cid)
    # Used up: it checks in no second stay.
    second = _stay(world, desk, cid)
    with pytest.raises(AccessDenied, match="approved check-in grant"):
        world.service.stays.check_in(world.ctx(desk), second, grant_id=grant["id"])
    # And it shows nothing in clear: a check-in grant is not a clear grant.
    assert world.access.grants.active_clear(desk.actor.id, cid, "service") == []


@pytest.mark.req("R-USE-1", "R-USE-2")
def test_the_requester_cannot_approve_its_own_check_in_issue_11_5(world: World) -> None:
    cid = world.customer(dict(ADULT))
    officer = world.user("officer")
    actor = world.step_up(officer)
    grant = world.access.request_grant(
        actor, kind="check_in", customer_id=cid, purpose="service", reason="walk-in"
    )
    with pytest.raises(AccessDenied, match="self-approval"):
        world.access.decide_grant(world.step_up(officer), grant["id"], approve=True)
    desk = world.user("front_desk")
    stay = _stay(world, desk, cid)
    # Neither the requester (whose grant is pending) nor anyone else checks the stay in with it.
    with pytest.raises(AccessDenied):
        world.service.stays.check_in(
            RequestContext(world.reauth(officer), "service"), stay, grant_id=grant["id"]
        )
    with pytest.raises(AccessDenied, match="approved check-in grant"):
        world.service.stays.check_in(world.ctx(desk), stay, grant_id=grant["id"])
    assert not _reads(world, desk, cid)


@pytest.mark.req("R-USE-1")
def test_a_customer_principal_registers_no_stay_for_another_customer_issue_11_5(world: World) -> None:
    """The stay operations skip only the front desk's stay scope: a customer principal's ``own``
    scope still holds for them."""
    from piguard.gate.principals import customer_actor

    cid = world.customer(dict(ADULT))
    other = world.customer({**ADULT, "mobile": "13700137000", "resident_id": OTHER_ID})
    # The built-in data_subject role writes for its rights purpose: the purpose and action pass.
    as_other = RequestContext(customer_actor(other), "data_subject_rights", client="test")
    with pytest.raises(AccessDenied, match="its own data only"):
        world.service.stays.register(as_other, cid, {"room_no": "1", "check_in": TODAY.isoformat()})
    assert world.inst.vault.customer_records(cid, "hotel_stay") == []


@pytest.fixture
def audited_world(tmp_path: Path, environ: dict[str, str]) -> Iterator[World]:
    w = make_world(tmp_path, environ, audited=True)
    yield w
    w.inst.close()


@pytest.mark.req("R-USE-1")
def test_a_desk_guessing_id_numbers_across_guests_raises_an_alert_issue_11_5(audited_world: World) -> None:
    """Each guest locks after three mismatches; a desk spreading its guesses over guests is seen
    by the monitoring rule ``failed_check_ins`` (three refusals within an hour)."""
    world = audited_world
    desk = world.user("front_desk")
    for n in range(3):
        cid = world.customer({**ADULT, "mobile": f"1370013700{n}"})
        stay = _stay(world, desk, cid)
        with pytest.raises(AccessDenied):
            world.service.stays.check_in(world.ctx(desk), stay, id_number=OTHER_ID)
    alerts = [a for a in world.inst.audit.alerts() if a.rule == "failed_check_ins"]
    assert [a.principal_id for a in alerts] == [desk.actor.id]
