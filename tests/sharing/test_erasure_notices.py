"""Erasure propagation (issue 15 item 9): when a customer who was shared is erased, each partner
that received their data gets a deletion notice, committed with the erasure; acknowledgements are
tracked."""

from __future__ import annotations

import pytest

from piguard.errors import Conflict
from piguard.gate import RequestContext
from tests.access.conftest import World
from tests.sharing.conftest import adult, agreement, consented, officer, partner, sharer, sharing


@pytest.mark.req("R-DST-1")
def test_erasing_a_shared_customer_notifies_each_recipient_and_tracks_acknowledgements(world: World) -> None:
    first, second, third = partner(world), partner(world, name="乙公司"), partner(world, name="丙公司")
    a1, a2 = agreement(world, first.id), agreement(world, second.id)
    agreement(world, third.id)
    cid = consented(world, values=adult(1))
    other = consented(world, values=adult(2))
    sharing(world).share(sharer(world), a1.id, fields=["mobile"], customers=[cid, other])
    sharing(world).share(sharer(world), a2.id, fields=["mobile"], customers=[cid])
    world.inst.gate.erase(
        RequestContext(world.step_up(world.staff_of("officer")), "service"), cid, reason="request"
    )
    notices = sharing(world).notices(officer(world))
    assert sorted(n["partner_id"] for n in notices) == sorted([first.id, second.id])
    assert {n["customer_id"] for n in notices} == {cid}
    assert all(n["acknowledged_at"] is None for n in notices)
    sharing(world).acknowledge(officer(world), notices[0]["id"])
    with pytest.raises(Conflict):
        sharing(world).acknowledge(officer(world), notices[0]["id"])
    assert [n["id"] for n in sharing(world).notices(officer(world), pending=True)] == [notices[1]["id"]]
