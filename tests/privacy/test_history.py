"""The customer's access history in the privacy centre: who by role, when, what and why; never a
member of staff's name or id (R-RGT-1, issue 4's customer history)."""

from __future__ import annotations

import re

import pytest

from piguard.consent import shipped_notice
from piguard.consent.capability import Consent
from piguard.gate import RequestContext
from tests.privacy.test_browser import marketing_read, staff
from tests.privacy.test_pages import sign_in
from tests.web.conftest import BOOT, Site


@pytest.mark.req("R-RGT-1")
def test_a_staff_read_is_listed_by_role_action_and_purpose(site: Site) -> None:
    """R-RGT-1: a marketing user's read of the customer's mobile is listed as "市场营销 · 查看 ·
    (the marketing purpose)" with its time; the user's name and id are nowhere on the page."""
    setup = RequestContext(BOOT, "", client="test")
    consent = site.inst.capability(Consent)
    _, zh, en = shipped_notice("privacy")
    consent.publish_notice(setup, zh, en, title="Privacy notice")
    consent.grant(setup, site.customer_id, ["marketing"], channel="app")
    marketer = staff(site, "marketing")
    marketing_read(site, marketer)
    c = sign_in(site)
    page = c.get("/privacy/history").text
    purpose = site.inst.catalog.purposes["marketing"].description.zh
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", page)
    assert any(r[1:] == ("市场营销", "查看", purpose) and "北京时间" in r[0] for r in rows), rows
    assert marketer.actor.id not in page and marketer.actor.name not in page
    assert site.staff["marketing"]["name"] not in page
