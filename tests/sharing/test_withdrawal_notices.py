"""Erasure propagation on withdrawal (issue 15 item 9): when a customer withdraws the consent a
transfer rested on, each partner that received their data for that purpose is sent a deletion
notice in the withdrawal's own transaction (once while unacknowledged); a withdrawal of another
purpose, or a partner that received nothing of theirs, sends nothing."""

from __future__ import annotations

import pytest

from piguard.consent.capability import Consent
from piguard.gate import RequestContext
from piguard.outbox import Outbox, SmtpChannel
from tests.access.conftest import World
from tests.outbox.test_outbox import _Inbox, smtp
from tests.sharing.conftest import adult, agreement, consented, grant, officer, partner, sharer, sharing

__all__ = ["smtp"]  # the local SMTP server fixture


def _withdraw(world: World, cid: str, purposes: list[str] | None = None, kind: str | None = None) -> None:
    ctx = RequestContext(world.staff_of("customer_service").actor, "service", client="test")
    world.inst.capability(Consent).withdraw(ctx, cid, purposes, kind=kind, channel="app")  # type: ignore[arg-type]


@pytest.mark.req("R-SHR-4", "R-COL-6")
def test_withdrawing_the_provision_consent_notifies_the_partners_that_received_the_data(
    world: World, smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    world.inst.capability(Outbox).channels["email"] = SmtpChannel("127.0.0.1", port, "privacy@piguard.test")
    world.user("customer_service")
    first, idle = partner(world), partner(world, name="丙公司")
    second = partner(world, name="乙公司", contact="privacy@yi.example")
    a1, a2 = agreement(world, first.id), agreement(world, second.id)
    agreement(world, idle.id)
    values = adult(1)
    cid = consented(world, values=values, recipient="顺达物流有限公司、乙公司")
    other = consented(world, values=adult(2))
    grant(world, cid, "marketing", ("general",))
    sharing(world).share(sharer(world), a1.id, fields=["mobile"], customers=[cid, other])
    sharing(world).share(sharer(world), a2.id, fields=["mobile"], customers=[cid])

    _withdraw(world, cid, ["marketing"])  # another purpose: no transfer rested on it
    assert sharing(world).notices(officer(world)) == []

    _withdraw(world, cid, kind="provision")  # the separate consent the provision needed
    notices = sharing(world).notices(officer(world))
    assert sorted(n["partner_id"] for n in notices) == sorted([first.id, second.id])
    assert {(n["customer_id"], n["cause"]) for n in notices} == {(cid, "consent_withdrawn")}
    assert world.inst.capability(Outbox).deliver_due() == 2
    assert sorted(rcpt for rcpt, _ in inbox.mails) == [["dpo@shunda.example"], ["privacy@yi.example"]]
    for _, mail in inbox.mails:
        payload = mail.get_payload(decode=True)
        assert isinstance(payload, bytes)
        body = payload.decode()
        assert mail["Subject"] == "个人信息删除通知" and "该个人已撤回其同意" in body
        for value in (values["mobile"], values["name"], cid):
            assert value not in body

    # Withdrawing what is left (the general consent) sends no second notice while one is pending...
    _withdraw(world, cid, ["partner_provision"])
    assert len(sharing(world).notices(officer(world))) == 2
    # ...and the customer shared alongside, who withdrew nothing, has none.
    assert all(n["customer_id"] != other for n in sharing(world).notices(officer(world)))


@pytest.mark.req("R-SHR-4", "R-COL-6")
def test_a_notice_that_cannot_be_written_aborts_the_withdrawal(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing half-written: the notice commits with the withdrawal, or neither does."""
    world.user("customer_service")
    first = partner(world)
    cid = consented(world, values=adult(1))
    sharing(world).share(sharer(world), agreement(world, first.id).id, fields=["mobile"], customers=[cid])

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(sharing(world), "_deletion_notice", broken)
    with pytest.raises(RuntimeError):
        _withdraw(world, cid, kind="provision")
    state = world.inst.consent.state(cid)
    assert ("provision", "partner_provision") in state.active  # the withdrawal did not commit
    monkeypatch.undo()
    _withdraw(world, cid, kind="provision")
    assert [n["cause"] for n in sharing(world).notices(officer(world))] == ["consent_withdrawn"]
