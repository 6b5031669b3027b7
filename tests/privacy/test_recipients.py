"""The partners who received the customer's data, on the access-history page (R-SHR-2, R-RGT-1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from piguard.gate.principals import customer_context
from piguard.privacy import Privacy, Session
from tests.access.conftest import World
from tests.privacy.test_pages import sign_in
from tests.sharing.conftest import adult, agreement, consented, partner, sharer, sharing, world
from tests.web.conftest import Site

__all__ = ["world"]


def _session(cid: str) -> Session:
    return Session("cookie", cid, "csrf", "sms", datetime.now(UTC) + timedelta(hours=1))


@pytest.mark.req("R-SHR-2", "R-RGT-1")
def test_the_customer_sees_each_partner_that_received_their_data(world: World) -> None:
    """R-SHR-2: the customer is told each recipient's name, contact, country, purpose and the kinds
    of data provided (read from the sharing register through the installation's hook, as the
    customer, audited); another customer's shares are not listed."""
    cid = consented(world, values=adult(1))
    other = consented(world, values=adult(2), recipient="乙公司")  # R-SHR-2: consent names the recipient
    first, second = partner(world), partner(world, name="乙公司", contact="dpo@yi.example")
    sharing(world).share(sharer(world), agreement(world, first.id).id, fields=["mobile"], customers=[cid])
    sharing(world).share(sharer(world), agreement(world, second.id).id, fields=["mobile"], customers=[other])
    privacy = world.inst.capability(Privacy)
    got = privacy.recipients(customer_context(cid, client="privacy"), _session(cid))
    assert [(r["recipient"], r["contact"], r["country"], r["purpose"]) for r in got] == [
        ("顺达物流有限公司", "dpo@shunda.example", "CN", "partner_provision")
    ]
    assert "mobile" in got[0]["fields"]
    entries = world.inst.audit.query(action="privacy_recipients", limit=10)
    assert [(e.actor_id, e.detail.get("count")) for e in entries] == [(f"customer:{cid}", 1)]
    assert [r["recipient"] for r in privacy.recipients(customer_context(other), _session(other))] == [
        "乙公司"
    ]


@pytest.mark.req("R-SHR-2")
def test_the_history_page_lists_recipients_or_says_there_are_none(site: Site) -> None:
    """R-SHR-2: the access-history page has the recipients section (none for this customer)."""
    page = sign_in(site).get("/privacy/history")
    assert page.status_code == 200
    assert "您的信息未提供给任何合作方。" in page.text or "Your data was provided to no partner." in page.text
