"""Notices: the regulator's draft holds every item; individual and guardian notices reach a real
SMTP server through the outbox; containment freezes the insider; no PI at rest (R-INC-2, R-INC-4,
R-INC-6)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from piguard.catalog import profile_path
from piguard.catalog.vocabulary import NOTIFICATION_PURPOSE
from piguard.errors import AuthenticationFailed, ValidationError
from piguard.incidents.notices import REGULATOR_ITEMS
from piguard.outbox import Outbox, SmtpChannel
from piguard.principal import Actor
from tests.access.conftest import ADULT, SETUP, World, make_world
from tests.incidents.conftest import MINOR, environ, incidents, officer
from tests.outbox.test_outbox import _Inbox, smtp

__all__ = ["environ", "smtp"]  # fixtures: SQLite / PostgreSQL, the local SMTP server (aiosmtpd)

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


@pytest.fixture
def releasing_world(tmp_path: Path, environ: dict[str, str]) -> Iterator[World]:
    """A world whose PI officer may release a child's address to the notifier: under the shipped
    catalog nobody may (the gate's minors rule keeps a child's contact from the notifier without a
    grant, and no role approves the notifier's), so an installation that tells children and their
    guardians one by one says who releases it."""
    source = profile_path("default").read_text(encoding="utf-8")
    marker = "can_approve: [customer_service, finance, marketing, front_desk, sharing_officer]"
    assert marker in source
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(source.replace(marker, marker[:-1] + ", notifier]"), encoding="utf-8")
    w = make_world(tmp_path, environ, catalog_file=catalog, audited=True)
    yield w
    w.inst.close()


@pytest.mark.req("R-INC-2", "R-INC-4", "R-INC-6")
def test_individual_and_guardian_notices_reach_a_real_smtp_server(
    releasing_world: World, smtp: tuple[_Inbox, int]
) -> None:
    world = releasing_world
    inbox, port = smtp
    world.inst.capability(Outbox).channels["email"] = SmtpChannel("127.0.0.1", port, "privacy@piguard.test")
    s = _scoped(world, cause_known=True)
    sent = incidents(world).notify(s["octx"], s["id"], mode="send")
    assert (sent["sent"], sent["guardians"], sent["channel"]) == (3, 1, "email")
    # A child's address is released to the notifier only under a clear grant a person approved
    # (the gate's minors rule); the officer approves one for this child's email.
    notifier = Actor("system:outbox", "notifier", "system")
    grant = world.access.grants.request(
        notifier,
        kind="clear",
        purpose=NOTIFICATION_PURPOSE,
        reason=f"incident notice {s['id']}",
        customer_id=s["child"],
        fields=["customer.email"],
    )
    world.access.grants.decide(s["octx"].actor, grant.id, approve=True)
    assert world.inst.capability(Outbox).deliver_due() == 4
    by_subject: dict[str, list[str]] = {}
    for rcpt, mail in inbox.mails:
        by_subject.setdefault(str(mail["Subject"]), []).extend(rcpt)
    assert sorted(by_subject["个人信息安全事件告知"]) == sorted(
        ["adult0@example.org", "adult1@example.org", "family.wang@example.org"]
    )
    assert by_subject["关于您监护的未成年人的个人信息安全事件告知"] == ["family.wang@example.org"]
    body = next(m for _, m in inbox.mails if "监护" in str(m["Subject"])).get_payload(decode=True)
    assert isinstance(body, bytes) and s["id"] in body.decode("utf-8") and "冻结账号" in body.decode("utf-8")
    # Sent once: a second send tells nobody twice.
    assert incidents(world).notify(s["octx"], s["id"], mode="send")["sent"] == 0
    logged = [
        e
        for e in world.inst.audit.query(action="incident_notify", limit=10)
        if e.detail.get("mode") == "send"
    ]
    assert [e.detail["count"] for e in logged] == [3, 0] and logged[0].detail["guardians"] == 1
    assert "individuals" in incidents(world).show(s["octx"], s["id"])["reports"]


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
