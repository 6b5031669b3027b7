"""Erasure propagation (issue 15 item 9): when a customer who was shared is erased, each partner
that received their data gets a deletion notice, committed with the erasure; acknowledgements are
tracked and the notices are really sent (the one outbox, a real SMTP server)."""

from __future__ import annotations

import csv
import io

import pytest

from piguard.errors import Conflict
from piguard.gate import RequestContext
from piguard.outbox import Outbox, SmtpChannel
from tests.access.conftest import World
from tests.outbox.test_outbox import _Inbox, smtp
from tests.sharing.conftest import adult, agreement, consented, officer, partner, sharer, sharing

__all__ = ["smtp"]  # the local SMTP server fixture


@pytest.mark.req("R-DST-1")
def test_erasing_a_shared_customer_notifies_each_recipient_and_tracks_acknowledgements(world: World) -> None:
    first, second, third = partner(world), partner(world, name="乙公司"), partner(world, name="丙公司")
    a1, a2 = agreement(world, first.id), agreement(world, second.id)
    agreement(world, third.id)
    both = "顺达物流有限公司、乙公司"
    cid, other = consented(world, values=adult(1), recipient=both), consented(world, values=adult(2))
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


@pytest.mark.req("R-DST-1")
def test_deletion_notices_reach_each_partner_by_email_and_acknowledgements_are_recorded(
    world: World, smtp: tuple[_Inbox, int]
) -> None:
    """Issue 15 item 9: the notice goes to the partner's contact address through the one outbox (a
    real local SMTP server), naming the row by the per-recipient reference the partner holds (never
    the customer's values); its delivery status is tracked, then the acknowledgement."""
    inbox, port = smtp
    world.inst.capability(Outbox).channels["email"] = SmtpChannel("127.0.0.1", port, "privacy@piguard.test")
    mailed = partner(world)
    by_phone = partner(world, name="乙公司", contact="电话 010-12345678")
    a1, a2 = agreement(world, mailed.id), agreement(world, by_phone.id)
    values = adult(1)
    cid = consented(world, values=values, recipient="顺达物流有限公司；乙公司")
    shared = sharing(world).share(sharer(world), a1.id, fields=["name", "mobile"], customers=[cid])
    [row] = csv.DictReader(io.StringIO(shared.content.decode()))
    sharing(world).share(sharer(world), a2.id, fields=["mobile"], customers=[cid])
    world.inst.gate.erase(
        RequestContext(world.step_up(world.staff_of("officer")), "service"), cid, reason="request"
    )
    by_partner = {n["partner_id"]: n for n in sharing(world).notices(officer(world))}
    assert by_partner[mailed.id]["delivery"] == "pending"
    assert by_partner[by_phone.id]["delivery"] == "not_sent"  # no email address to send to
    assert world.inst.capability(Outbox).deliver_due() == 1
    [(rcpt, mail)] = inbox.mails
    assert rcpt == ["dpo@shunda.example"] and mail["Subject"] == "个人信息删除通知"
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    notice = by_partner[mailed.id]["id"]
    assert row["ref"].startswith("r:") and row["ref"] in body
    assert notice in body and shared.transfer_id in body
    for value in (values["mobile"], values["name"], values["email"], cid):
        assert value not in body
    assert {n["partner_id"]: n["delivery"] for n in sharing(world).notices(officer(world))} == {
        mailed.id: "sent",
        by_phone.id: "not_sent",
    }
    sharing(world).acknowledge(officer(world), notice)
    [acked] = [n for n in sharing(world).notices(officer(world)) if n["id"] == notice]
    assert acked["acknowledged_at"] is not None and acked["acknowledged_by"] == officer(world).actor.id
    [entry] = world.inst.audit.query(action="outbox_deliver_to", limit=10)
    assert entry.decision == "allow"


def test_the_row_reference_is_per_recipient(world: World) -> None:
    """The reference a deletion notice names is stable for one partner and differs between partners
    (they cannot join their extracts on it)."""
    first, second = partner(world), partner(world, name="乙公司")
    a1, a2 = agreement(world, first.id), agreement(world, second.id)
    cid = consented(world, values=adult(1), recipient="顺达物流有限公司, 乙公司")

    def ref(agreement_id: str) -> str:
        content = (
            sharing(world).share(sharer(world), agreement_id, fields=["mobile"], customers=[cid]).content
        )
        [row] = csv.DictReader(io.StringIO(content.decode()))
        return row["ref"]

    assert ref(a1.id) == ref(a1.id) != ref(a2.id)
