"""The privacy centre over the console's test site (a fresh installation, demo staff, one customer),
and the receivers its codes really reach: a local SMTP server and a local SMS-gateway webhook."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from piguard.outbox import Outbox, SmtpChannel, WebhookChannel
from piguard.outbox.tables import messages
from tests.outbox.test_outbox import _Gateway, _Inbox, smtp
from tests.web.conftest import Site, served, site

__all__ = ["Receivers", "last_code", "receivers", "served", "site", "smtp"]

#: A one-time code in a message's text (a mobile number has eleven digits, a date has dashes).
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def last_code(site: Site) -> str:
    """The newest one-time code the outbox holds (read as its sender would, from the sealed row)."""
    box = site.inst.capability(Outbox)
    with site.inst.db.read() as conn:
        rows = conn.execute(
            select(messages.c.id, messages.c.params).where(messages.c.template == "verification_code")
        ).all()
    mid, params = rows[-1]
    return str(json.loads(box._box.open(params, box._context(mid)))["code"])


@dataclass
class Receivers:
    """What the site's outbox delivered, as the customer's phone and mailbox received it."""

    site: Site
    inbox: _Inbox
    gateway: _Gateway

    def deliver(self) -> None:
        """Run the outbox job once (as ``piguard serve``'s ticker would)."""
        self.site.inst.capability(Outbox).deliver_due()

    def sms(self) -> list[tuple[str, str]]:
        """Every SMS the gateway received: ``(to, text)``, oldest first."""
        return [(str(p["to"]), str(p["text"])) for p, _, _ in self.gateway.calls]

    def mails(self) -> list[tuple[str, str]]:
        """Every mail the SMTP server received: ``(to, text)``, oldest first."""
        out = []
        for rcpt, mail in self.inbox.mails:
            body = mail.get_payload(decode=True)
            out.append((rcpt[0], body.decode("utf-8") if isinstance(body, bytes) else ""))
        return out

    def code(self, channel: str, to: str) -> str:
        """The code in the newest message to ``to`` by ``channel`` (``sms`` or ``email``), once delivered."""
        self.deliver()
        received = self.sms() if channel == "sms" else self.mails()
        texts = [text for address, text in received if address == to]
        assert texts, f"no {channel} reached the receiver"
        found = CODE.findall(texts[-1])
        assert len(found) == 1, "one code per message"
        return str(found[0])

    def link(self) -> str:
        """The one-time download link in the newest message that holds one."""
        self.deliver()
        for _, text in reversed(self.sms() + self.mails()):
            found = re.search(r"https?://\S+/v1/packages/[A-Za-z0-9_-]+", text)
            if found:
                return found.group(0)
        raise AssertionError("no message with a download link reached a receiver")


@pytest.fixture
def receivers(site: Site, smtp: tuple[_Inbox, int]) -> Iterator[Receivers]:
    """The site's outbox sends email to a local SMTP server and SMS to a local gateway webhook."""
    inbox, port = smtp
    gateway = _Gateway()
    box = site.inst.capability(Outbox)
    box.channels["email"] = SmtpChannel("127.0.0.1", port, "privacy@piguard.test")
    box.channels["sms"] = WebhookChannel(gateway.url, secret=b"test-gateway")
    try:
        yield Receivers(site, inbox, gateway)
    finally:
        gateway.close()
