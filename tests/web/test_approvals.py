"""The approvals inbox asks for a step-up before a decision (issue 11, item 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.web.conftest import Site, csrf
from tests.web.test_security import client

pytestmark = pytest.mark.req("R-USE-2")


def _grants(site: Site, n: int) -> list[str]:
    name, password, code = site.creds("finance")
    finance = site.inst.access.authenticate(site.inst.access.login(name, password, code).token)
    return [
        str(
            site.inst.access.request_grant(
                finance,
                kind="clear",
                purpose="service",
                reason="KYC ticket 42",
                customer_id=site.customer_id,
                fields=["bank_account.account_no"],
            )["id"]
        )
        for _ in range(n)
    ]


def test_console_approval_without_fresh_step_up_asks_for_a_totp_code(site: Site) -> None:
    gid, other = _grants(site, 2)
    officer = client(site, "officer")
    site.clock.advance(timedelta(minutes=11))  # the sign-in's step-up has gone stale
    page = officer.get("/console/approvals")
    assert 'name="totp"' in page.text
    token = csrf(page.text)
    refused = officer.post(f"/console/approvals/{gid}", data={"csrf": token, "decision": "approve"})
    assert "step-up" in refused.text or "二次验证" in refused.text
    assert site.inst.access.grants.get(gid).status == "pending"
    site.clock.advance(timedelta(seconds=31))
    approved = officer.post(
        f"/console/approvals/{gid}", data={"csrf": token, "decision": "approve", "totp": site.totp("officer")}
    )
    assert approved.status_code == 200
    assert site.inst.access.grants.get(gid).status == "approved"
    # Stepped up now: the form of the other request no longer asks.
    page = officer.get("/console/approvals")
    assert f'data-grant="{other}"' in page.text and 'name="totp"' not in page.text
