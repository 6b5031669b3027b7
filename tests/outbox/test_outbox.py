"""The outbox delivers for real: a local SMTP server (aiosmtpd), a local SMS-gateway webhook,
retries with back-off, a final report, and no code or address at rest (R-INC-4, R-RGT-2)."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from piguard.catalog.vocabulary import NOTIFICATION_PURPOSE
from piguard.crypto.keyring import generate_master_secret
from piguard.errors import AccessDenied, ValidationError
from piguard.gate import RequestContext
from piguard.outbox import Outbox, SmtpChannel, WebhookChannel
from piguard.outbox.tables import messages
from tests.access.conftest import ADULT, SETUP, World, make_world

CODE = "731904"


class _Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        mail = email.message_from_bytes(envelope.content, policy=default)
        self.mails.append((list(envelope.rcpt_tos), mail))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    """A real SMTP server on localhost (aiosmtpd), collecting what it receives."""
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A SQLite world whose installation keeps its own audit trail (the outbox's entries and alerts)."""
    (tmp_path / "master.key").write_text(generate_master_secret())
    w = make_world(tmp_path, {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}, audited=True)
    yield w
    w.inst.close()


class _Gateway:
    """A local SMS gateway: records each POST; answers the next status in ``statuses`` (then 200)."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.calls.append((json.loads(body), dict(self.headers), body))
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[_Gateway]:
    g = _Gateway()
    yield g
    g.close()


def outbox(world: World) -> Outbox:
    return world.inst.capability(Outbox)


def queue(world: World, cid: str, channel: str, template: str = "verification_code", **params: str) -> str:
    params = params or {"code": CODE, "minutes": "10"}
    with world.inst.db.transaction() as conn:
        return outbox(world).enqueue(conn, cid, template, params, channel=channel, reference="req_test")


def row(world: World, message_id: str) -> dict[str, Any]:
    with world.inst.db.read() as conn:
        return dict(conn.execute(select(messages).where(messages.c.id == message_id)).mappings().one())


@pytest.mark.req("R-RGT-2", "R-INC-4")
def test_an_email_reaches_a_real_smtp_server_addressed_from_the_vault(
    world: World, smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    outbox(world).channels["email"] = SmtpChannel("127.0.0.1", port, "privacy@piguard.test")
    cid = world.customer()
    message_id = queue(world, cid, "email")
    assert row(world, message_id)["status"] == "pending"
    assert outbox(world).deliver_due() == 1
    [(rcpt, mail)] = inbox.mails
    assert rcpt == [ADULT["email"]]
    assert mail["Subject"] == "身份验证码" and message_id in mail["Message-ID"]
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes) and CODE in body.decode("utf-8")
    sent = row(world, message_id)
    assert (sent["status"], sent["attempts"], sent["params"]) == ("sent", 1, "")
    [entry] = world.inst.audit.query(action="outbox_deliver", limit=10)
    assert (entry.actor_id, entry.role, entry.purpose) == ("system:outbox", "notifier", NOTIFICATION_PURPOSE)
    assert entry.detail["outcome"] == "sent" and entry.detail["channel"] == "email"
    assert outbox(world).deliver_due() == 0  # sent once, not again


@pytest.mark.req("R-INC-4")
def test_an_sms_reaches_the_gateway_webhook_signed(world: World, gateway: _Gateway) -> None:
    outbox(world).channels["sms"] = WebhookChannel(gateway.url, secret=b"shared-secret")
    cid = world.customer()
    message_id = queue(world, cid, "sms")
    assert outbox(world).deliver_due() == 1
    [(payload, headers, raw)] = gateway.calls
    assert payload["to"] == ADULT["mobile"] and CODE in payload["text"] and payload["id"] == message_id
    expected = "sha256=" + hmac.new(b"shared-secret", raw, hashlib.sha256).hexdigest()
    assert headers["X-Piguard-Signature"] == expected
    assert headers["Idempotency-Key"] == message_id


@pytest.mark.req("R-INC-4")
def test_a_failing_channel_is_retried_with_back_off_and_finally_reported(
    world: World, gateway: _Gateway
) -> None:
    box = outbox(world)
    box.channels["sms"] = WebhookChannel(gateway.url)
    gateway.statuses = [503] * 10
    cid = world.customer()
    message_id = queue(world, cid, "sms")
    now = world.clock.now()
    waits = []
    for attempt in range(1, box.max_attempts + 1):
        assert box.deliver_due(now) == 0
        state = row(world, message_id)
        assert state["attempts"] == attempt and state["last_error"] == "gateway_http_503"
        if attempt < box.max_attempts:
            assert state["status"] == "pending"
            waits.append(state["next_attempt"] - now)
            assert box.deliver_due(now + waits[-1] - timedelta(seconds=1)) == 0  # not before its time
            assert row(world, message_id)["attempts"] == attempt
            now = state["next_attempt"]
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    final = row(world, message_id)
    assert (final["status"], final["params"]) == ("failed", "")
    assert len(gateway.calls) == box.max_attempts
    outcomes = [e.detail["outcome"] for e in world.inst.audit.query(action="outbox_deliver", limit=100)]
    assert outcomes == ["retry"] * (box.max_attempts - 1) + ["failed"]
    alerts = [a for a in world.inst.audit.alerts() if a.rule == "undelivered_message"]
    assert len(alerts) == 1


def test_a_refused_recipient_is_final_at_once(world: World, gateway: _Gateway) -> None:
    outbox(world).channels["sms"] = WebhookChannel(gateway.url)
    gateway.statuses = [400]
    message_id = queue(world, world.customer(), "sms")
    outbox(world).deliver_due()
    state = row(world, message_id)
    assert (state["status"], state["attempts"], state["last_error"]) == ("failed", 1, "gateway_http_400")


def test_a_message_to_an_erased_customer_is_given_up(world: World, gateway: _Gateway) -> None:
    outbox(world).channels["sms"] = WebhookChannel(gateway.url)
    cid = world.customer()
    message_id = queue(world, cid, "sms")
    officer = world.step_up(world.staff_of("officer"))
    world.service.erase(RequestContext(officer, "", client="test"), cid, reason="request")
    assert outbox(world).deliver_due() == 0
    assert not gateway.calls
    given_up = row(world, message_id)
    assert (given_up["status"], given_up["last_error"]) == ("failed", "customer_gone")


def test_a_message_that_does_not_fit_its_template_is_refused_when_queued(world: World) -> None:
    cid = world.customer()
    with pytest.raises(ValidationError, match="needs minutes"):
        queue(world, cid, "email", code=CODE)
    with pytest.raises(ValidationError, match="takes no extra"):
        queue(world, cid, "email", code=CODE, minutes="10", extra="x")
    with pytest.raises(ValidationError, match="no message template"):
        queue(world, cid, "email", "no_such_template", code=CODE)
    with pytest.raises(ValidationError, match="channel"):
        queue(world, cid, "fax")
    with world.inst.db.read() as conn:
        assert conn.execute(select(messages.c.id)).all() == []


@pytest.mark.req("R-USE-1")
def test_only_the_notifier_may_send_and_staff_see_status_without_contents(world: World) -> None:
    message_id = queue(world, world.customer(), "email")
    agent = RequestContext(world.step_up(world.staff_of("customer_service")), "customer_support")
    with pytest.raises(AccessDenied):
        outbox(world).deliver(agent, message_id)
    assert row(world, message_id)["attempts"] == 1  # the refused try counts, and waits its turn
    admin = RequestContext(world.step_up(world.staff_of("admin")), "")
    [listed] = outbox(world).list(admin)
    assert listed["id"] == message_id and "params" not in listed
    assert set(listed) == {
        "id", "customer_id", "channel", "template", "locale", "reference", "status", "attempts",
        "next_attempt", "created_at", "sent_at", "last_error",
    }  # fmt: skip


@pytest.mark.req("R-COL-3")
def test_nothing_may_be_written_under_the_notification_purpose(world: World) -> None:
    with pytest.raises(ValidationError, match="only uses what other purposes collected"):
        world.service.create(
            RequestContext(SETUP, NOTIFICATION_PURPOSE), "customer", {"mobile": "13800138000"}
        )


def test_codes_and_addresses_never_rest_in_clear(
    tmp_path: Path, world: World, smtp: tuple[_Inbox, int]
) -> None:
    """Canary: the code, the address and the rendered text are in no file of the home, pending or sent."""
    inbox, port = smtp
    outbox(world).channels["email"] = SmtpChannel("127.0.0.1", port, "privacy@piguard.test")
    canary_code = "468213579"
    cid = world.customer(dict(ADULT, email="canary.kite@example.org"))
    queue(world, cid, "email", code=canary_code, minutes="10")

    def leaked() -> list[str]:
        found = []
        for path in (tmp_path / "home").rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                found += [f"{path.name}:{c}" for c in ("canary.kite", canary_code) if c.encode() in data]
        return found

    assert leaked() == []
    outbox(world).deliver_due()
    payload = inbox.mails[0][1].get_payload(decode=True)
    assert isinstance(payload, bytes) and canary_code in payload.decode("utf-8")
    world.inst.audit.checkpoint()
    assert leaked() == []
