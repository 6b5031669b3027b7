"""Containment from the incident: a partner's agreements suspended through the sharing register's own
operation, and the key-encryption key rotated; each audited and linked to the incident (R-INC-1,
R-INC-2: remedial measures recorded)."""

from __future__ import annotations

import pytest

from piguard.errors import ValidationError
from piguard.incidents import Incidents
from piguard.sharing import Sharing
from tests.access.conftest import World
from tests.incidents.conftest import officer
from tests.sharing.conftest import agreement, partner, world

__all__ = ["world"]  # the sharing tests' audited world (its master key file)


def incidents(world: World) -> Incidents:
    return world.inst.capability(Incidents)


@pytest.mark.req("R-INC-1", "R-INC-2", "R-SHR-1")
def test_containment_suspends_every_agreement_in_force_with_the_partner(world: World) -> None:
    p = partner(world)
    first, second = agreement(world, p.id), agreement(world, p.id, type="entrustment")
    other = agreement(world, partner(world, name="另一家公司").id)
    octx = officer(world)
    opened = incidents(world).open(
        octx, title="合作方系统被入侵", discovered=world.clock.now(), texts={"measures": "通知合作方"}
    )
    done = incidents(world).contain(octx, opened["id"], suspend_partner=p.id, justification="partner breach")
    assert sorted(done["suspended"]) == sorted([first.id, second.id])
    states = {a.id: (a.state, a.suspended_reason) for a in world.inst.capability(Sharing).agreements(octx)}
    assert states[first.id] == states[second.id] == ("suspended", "incident")
    assert states[other.id][0] == "active"  # another partner's agreement is untouched
    shown = incidents(world).show(octx, opened["id"])
    assert shown["timeline"][-1]["kind"] == "contained"
    assert shown["timeline"][-1]["facts"]["partner"] == p.id
    assert shown["measures"].startswith("通知合作方") and "suspended 2 agreement(s)" in shown["measures"]
    suspended = world.inst.audit.query(action="agreement_suspend", limit=10)
    assert len(suspended) == 2 and all(e.actor_id == octx.actor.id for e in suspended)
    [entry] = world.inst.audit.query(action="incident_contain", limit=10)
    assert entry.detail["partner"] == p.id and entry.detail["suspended"] == 2


@pytest.mark.req("R-INC-1", "R-STO-1")
def test_containment_rotates_the_keys_and_old_records_still_read(world: World) -> None:
    cid = world.customer()
    before = world.inst.gate.key_status(world.ctx(world.staff_of("admin"), ""))
    octx = officer(world)
    opened = incidents(world).open(octx, title="密钥可能泄露", discovered=world.clock.now())
    done = incidents(world).contain(octx, opened["id"], rotate_keys=True, justification="key file copied")
    assert done["rotated"]["rewrapped"] >= 1
    after = world.inst.gate.key_status(world.ctx(world.staff_of("admin"), ""))
    assert after != before
    [rotated] = world.inst.audit.query(action="key_rotate", limit=10)
    assert rotated.actor_id == "system:incidents"
    [entry] = world.inst.audit.query(action="incident_contain", limit=10)
    assert entry.detail["kek_version"] == done["rotated"]["kek_version"]
    assert "rotated keys" in incidents(world).show(octx, opened["id"])["measures"]
    assert world.service.read(world.ctx(world.staff_of("officer"), "service"), "customer", cid, ["name"])


@pytest.mark.req("R-INC-1")
def test_containment_names_a_step_and_an_unknown_partner_is_refused(world: World) -> None:
    octx = officer(world)
    opened = incidents(world).open(octx, title="t", discovered=world.clock.now())
    with pytest.raises(ValidationError):
        incidents(world).contain(octx, opened["id"])
    from piguard.errors import NotFound

    with pytest.raises(NotFound):
        incidents(world).contain(octx, opened["id"], suspend_partner="ptn_nosuchpartner")
    assert incidents(world).show(octx, opened["id"])["timeline"][-1]["kind"] == "opened"
