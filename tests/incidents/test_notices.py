"""Notices: the regulator's draft holds every item; individual and guardian notices reach a real
SMTP server through the outbox; containment freezes the insider; no PI at rest (R-INC-2, R-INC-4,
R-INC-6)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from piguard.catalog.vocabulary import NOTIFICATION_PURPOSE
from piguard.errors import AuthenticationFailed, ValidationError
from piguard.incidents.notices import REGULATOR_ITEMS
from piguard.outbox import Outbox, SmtpChannel, WebhookChannel
from tests.access.conftest import ADULT, SETUP, World
from tests.incidents.conftest import MINOR, environ, incidents, officer
from tests.outbox.test_outbox import _Gateway, _Inbox, gateway, row, smtp

__all__ = ["environ", "gateway", "smtp"]  # fixtures: SQLite / PostgreSQL, the local SMTP server (aiosmtpd)

CANARY_CAUSE = "客服张伟用手机13912345678拍屏外泄"
CANARY_TITLE = "canary-heron incident"


def _scoped(world: World, *, cause_known: bool = False) -> dict[str, Any]:
    adults = [
        world.customer(dict(ADULT, email=f"adult{i}@example.org", mobile=f"1380013{i:04d}")) for i in range(2)
    ]
    child = world.customer(dict(MINOR, email="family.wang@example.org"))
    insider = world.user("customer_service", name="cs_insider")
    world.clock.advance(timedelta(minutes=5))
    since = world.clock.now()
    ictx = world.ctx(world.step_up(insider), "service")
    for cid in [*adults, child]:
        world.service.read(ictx, "customer", cid, ["name", "mobile", "membership_level"])
    world.clock.advance(timedelta(minutes=1))
    octx = officer(world)
    opened = incidents(world).open(
        octx,
        title=CANARY_TITLE,
        discovered=world.clock.now(),
        occurred=since,
        category="data_leak",
        cause_known=cause_known,
        texts={
            "cause": CANARY_CAUSE,
            "harm": "诈骗电话",
            "measures": "冻结账号",
            "contact": "privacy@corp.example",
            "description": "内部人员批量查看客户信息",
        },
    )
    scope = incidents(world).scope(
        octx, opened["id"], actors=[insider.actor.id], since=since, until=world.clock.now()
    )
    assert (scope["persons"], scope["minors"]) == (3, 1)
    return {"id": opened["id"], "octx": octx, "insider": insider, "adults": adults, "child": child}


@pytest.mark.req("R-INC-2")
def test_the_regulator_draft_holds_every_item_and_says_first_of_two_stages(world: World) -> None:
    s = _scoped(world)
    draft = incidents(world).notify(s["octx"], s["id"], mode="draft")["draft"]
    for _, heading in REGULATOR_ITEMS:
        assert heading in draft
    for item in (
        "数据泄露事件",
        "涉及人数：3",
        "未满十四周岁未成年人 1 人",
        "诈骗电话",
        "冻结账号",
        "privacy@corp.example",
    ):
        assert item in draft
    assert "首次报告" in draft and "续报" in draft  # the cause is not yet known
    assert "手机号码" in draft or "手机" in draft  # PI types by their catalog labels
    incidents(world).update(s["octx"], s["id"], justification="cause found", cause_known=True)
    again = incidents(world).notify(s["octx"], s["id"], mode="draft")["draft"]
    assert "首次报告" not in again and "已查明" in again
    shown = incidents(world).show(s["octx"], s["id"])
    assert shown["notices"]["counts"]["regulator_draft"] == 2


@pytest.mark.req("R-INC-2", "R-INC-4", "R-INC-6", "R-USE-2")
def test_individual_and_guardian_notices_reach_a_real_smtp_server_and_gateway(
    world: World, smtp: tuple[_Inbox, int], gateway: _Gateway
) -> None:
    """R-INC-6 under the shipped default catalog: every affected customer gets their notice by email
    (a real local SMTP server), and the guardian of the child under 14 gets theirs at the guardian's
    own mobile (``guardian_mobile``) through the SMS gateway. The child's contact details are released
    to the notifier by one clear grant the sending officer approves (R-USE-2), both audited."""
    inbox, port = smtp
    box = world.inst.capability(Outbox)
    box.channels["email"] = SmtpChannel("127.0.0.1", port, "privacy@piguard.test")
    box.channels["sms"] = WebhookChannel(gateway.url)
    s = _scoped(world, cause_known=True)
    sent = incidents(world).notify(s["octx"], s["id"], mode="send")
    assert (sent["sent"], sent["guardians"], sent["channel"]) == (3, 1, "email")
    assert (sent["guardian_channel"], sent["released"]) == ("sms", 1)
    [grant] = [g for g in world.access.grants.list() if g.customer_id == s["child"]]
    assert (grant.requester_id, grant.status, grant.decided_by) == (
        "system:outbox",
        "approved",
        s["octx"].actor.id,
    )
    assert grant.purpose == NOTIFICATION_PURPOSE and "customer.guardian_mobile" in (grant.fields or ())
    assert box.deliver_due() == 4
    by_subject: dict[str, list[str]] = {}
    for rcpt, mail in inbox.mails:
        by_subject.setdefault(str(mail["Subject"]), []).extend(rcpt)
    assert sorted(by_subject["个人信息安全事件告知"]) == sorted(
        ["adult0@example.org", "adult1@example.org", "family.wang@example.org"]
    )
    assert "关于您监护的未成年人的个人信息安全事件告知" not in by_subject  # not to the child's inbox
    [(payload, _, _)] = gateway.calls
    assert payload["to"] == MINOR["guardian_mobile"]
    assert s["id"] in payload["text"] and "冻结账号" in payload["text"] and "监护" in payload["text"]
    # Sent once: a second send tells nobody twice and releases nothing more.
    again = incidents(world).notify(s["octx"], s["id"], mode="send")
    assert (again["sent"], again["guardians"], again["released"]) == (0, 0, 0)
    logged = [
        e
        for e in world.inst.audit.query(action="incident_notify", limit=10)
        if e.detail.get("mode") == "send"
    ]
    assert [e.detail["count"] for e in logged] == [3, 0] and logged[0].detail["guardians"] == 1
    actions = [e.action for e in world.inst.audit.query(limit=10_000)]
    assert "grant_request" in actions and "grant_approve" in actions
    assert "individuals" in incidents(world).show(s["octx"], s["id"])["reports"]


@pytest.mark.req("R-INC-6", "R-USE-2", "R-MIN-1")
def test_without_a_release_a_childs_own_contact_fails_as_no_contact(world: World, gateway: _Gateway) -> None:
    """R-USE-2: the gate's minors rule is what the release answers: a notice queued to a child's own
    mobile with no approved grant (here: straight into the outbox) is refused its address. The
    guardian's own mobile on the child's record is the guardian's data, the way PIPL 31 has the
    child reached: the sender reads it to address the guardian's notice without a release."""
    box = world.inst.capability(Outbox)
    box.channels["sms"] = WebhookChannel(gateway.url)
    child = world.customer(dict(MINOR))
    params = {
        k: "x" for k in ("organisation", "cause", "pi_types", "reference", "harm", "measures", "contact")
    }
    with world.inst.db.transaction() as conn:
        own = box.enqueue(conn, child, "incident_notice", params, channel="sms")
        theirs = box.enqueue(conn, child, "incident_notice_guardian", params, channel="sms")
    assert box.deliver_due() == 1
    assert (row(world, own)["status"], row(world, own)["last_error"]) == ("failed", "no_contact")
    assert row(world, theirs)["status"] == "sent"
    assert [payload["to"] for payload, _, _ in gateway.calls] == [MINOR["guardian_mobile"]]


@pytest.mark.req("R-INC-2", "R-INC-4")
def test_skipping_individuals_needs_a_reason_and_public_notice_is_a_text(world: World) -> None:
    s = _scoped(world)
    with pytest.raises(ValidationError):
        incidents(world).notify(s["octx"], s["id"], mode="skip")
    incidents(world).notify(s["octx"], s["id"], mode="skip", skip_reason="data encrypted, key not exposed")
    public = incidents(world).notify(s["octx"], s["id"], mode="public")["announcement"]
    assert "监护人" in public and s["id"] in public
    docs = incidents(world).show(s["octx"], s["id"])["notices"]["documents"]
    assert [d["kind"] for d in docs] == ["individuals_skipped", "public"]
    assert docs[0]["text"] == "data encrypted, key not exposed"


@pytest.mark.req("R-INC-1")
def test_containment_freezes_the_insider_whose_next_request_is_refused(world: World) -> None:
    s = _scoped(world)
    world.access.authenticate(s["insider"].token)  # works before
    done = incidents(world).contain(s["octx"], s["id"], freeze="cs_insider", justification="insider")
    assert done["frozen"] == "cs_insider"
    with pytest.raises(AuthenticationFailed):
        world.access.authenticate(s["insider"].token)
    timeline = incidents(world).show(s["octx"], s["id"])["timeline"]
    assert timeline[-1]["kind"] == "contained" and timeline[-1]["facts"]["froze"] == "cs_insider"
    actions = [e.action for e in world.inst.audit.query(limit=10_000)]
    assert "principal_freeze" in actions and "incident_contain" in actions


@pytest.mark.req("R-INC-1", "R-INC-2")
def test_canary_no_plaintext_pi_in_incident_records_drafts_or_logs(
    tmp_path: Path, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    s = _scoped(world)
    incidents(world).notify(s["octx"], s["id"], mode="draft")
    incidents(world).notify(s["octx"], s["id"], mode="public")
    incidents(world).update(s["octx"], s["id"], justification=f"because {CANARY_CAUSE}", stage="assessing")
    incidents(world).notify(s["octx"], s["id"], mode="send")
    world.inst.audit.checkpoint()
    canaries = [
        CANARY_CAUSE,
        "13912345678",
        "canary-heron",
        ADULT["name"],
        MINOR["name"],
        "adult0@example.org",
    ]
    canaries += [s["child"], *s["adults"]]  # customer ids: the incident keeps references only
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            leaked = [c for c in canaries[:6] if c.encode("utf-8") in data]
            assert not leaked, f"{path.name} holds {leaked}"
    from sqlalchemy import text

    with world.inst.db.read() as conn:
        for table in ("incidents", "incident_events", "incident_affected", "incident_notices"):
            dump = " ".join(str(r) for r in conn.execute(text(f"SELECT * FROM {table}")))
            assert not [c for c in canaries if c in dump], table
    assert not [c for c in canaries[:6] if c in caplog.text]
    # The texts are there for those who may see them.
    assert incidents(world).show(s["octx"], s["id"])["cause"] == CANARY_CAUSE


@pytest.mark.req("R-INC-1")
def test_containment_revokes_an_api_clients_key(world: World) -> None:
    key = str(world.access.add_client(SETUP, "crm-sync", "customer_service")["api_key"])
    world.access.authenticate(key)  # the key works before
    octx = officer(world)
    opened = incidents(world).open(octx, title="leaked key", discovered=world.clock.now())
    incidents(world).contain(octx, opened["id"], freeze="crm-sync", justification="key in a public repo")
    with pytest.raises(AuthenticationFailed):
        world.access.authenticate(key)
    assert world.access.principal("crm-sync")["status"] == "frozen"
