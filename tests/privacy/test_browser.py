"""The privacy centre in headless Chromium (Debian's, driven by Playwright) at a phone viewport.

A customer signs in with the code the outbox holds for them, sees their data masked, shows one
field after a fresh code, withdraws a consent (the gate then refuses a marketing read) and grants
it again, files an access request and sees its due date, and downloads the copy once by its
one-time link (the second try fails); in zh and en. Screenshots go to ``test-artifacts/web/``.

No axe-core is available offline, so the accessibility checks are our own, run in the page: every
form control has a label, every button a name, one ``h1``, ``lang`` set, text contrast at least
4.5:1 (WCAG 2.1 AA, computed from the styles as rendered), and the sign-in works by keyboard alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from piguard.errors import ConsentRequired
from piguard.gate import RequestContext
from piguard.outbox import Outbox
from piguard.outbox.tables import messages
from piguard.rights import Rights
from tests.access.conftest import ADULT
from tests.privacy.conftest import last_code
from tests.web.conftest import BOOT, Site
from tests.web.test_browser import browser, shot
from tests.web.test_browser import pytestmark as browser_marks

__all__ = ["browser"]
pytestmark = browser_marks
PHONE = {"width": 390, "height": 844}

#: Run in the page: what a serious or critical axe rule would report, by our own checks.
A11Y = (Path(__file__).parent / "a11y.js").read_text(encoding="utf-8")


def accessible(page: Any) -> None:
    problems = page.evaluate(A11Y)
    assert problems == [], (page.url, problems)


def sign_in(browser: Any, site: Site, lang: str) -> Any:
    context = browser.new_context(locale="zh-CN" if lang == "zh" else "en-US", viewport=PHONE)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{site.base_url}/privacy/")
    accessible(page)
    shot(page, f"privacy-{lang}-1-sign-in")
    # Keyboard only: the skip link, then the field, then Enter.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.focus("#identifier")
    page.keyboard.type(ADULT["mobile"])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base_url}/privacy/code")
    accessible(page)
    page.fill("#code", last_code(site))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base_url}/privacy/")
    page.requested = requested
    return page


def staff(site: Site, role: str) -> RequestContext:
    name, password, code = site.creds(role)
    actor = site.inst.access.authenticate(site.inst.access.login(name, password, code).token)
    return RequestContext(actor, "marketing" if role == "marketing" else "", client="test")


def marketing_read(site: Site, ctx: RequestContext) -> None:
    site.inst.gate.read(ctx, "customer", site.customer_id, ["mobile"])


@pytest.mark.req("R-RGT-1", "R-RGT-2", "R-COL-6")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_customer_walk_through_on_a_phone(browser: Any, served: Site, lang: str) -> None:
    """R-RGT-1, R-RGT-2, R-COL-6: sign in by code, masked data, step-up reveal, consent withdrawn and
    re-granted (marketing refused in between), an access request and its one-time copy."""
    site = served
    from piguard.consent import shipped_notice
    from piguard.consent.capability import Consent

    setup = RequestContext(BOOT, "", client="test")
    consent = site.inst.capability(Consent)
    if not consent.notices(setup):
        _, zh, en = shipped_notice("privacy")
        consent.publish_notice(setup, zh, en, title="Privacy notice")
    consent.grant(setup, site.customer_id, ["marketing"], channel="app")
    page = sign_in(browser, site, lang)
    accessible(page)
    shot(page, f"privacy-{lang}-2-home")

    page.click("#nav-data")
    assert "138****8000" in page.inner_text("main")
    assert ADULT["mobile"] not in page.content()
    accessible(page)
    shot(page, f"privacy-{lang}-3-masked")
    page.click("#show-customer-mobile")
    page.wait_for_url(f"{site.base_url}/privacy/data/verify")
    page.fill("#code", last_code(site))
    page.click("#confirm-code")
    assert page.inner_text("#shown-value") == ADULT["mobile"]
    accessible(page)
    shot(page, f"privacy-{lang}-4-shown")

    page.click("#nav-consents")
    accessible(page)
    marketer = staff(site, "marketing")
    marketing_read(site, marketer)  # allowed while the consent stands
    page.click("#withdraw-marketing-general")
    with pytest.raises(ConsentRequired):
        marketing_read(site, marketer)
    shot(page, f"privacy-{lang}-5-withdrawn")
    page.click("#grant-marketing-general")
    marketing_read(site, marketer)  # allowed again
    assert page.locator("#withdraw-marketing-general").count() == 1

    page.click("#nav-requests")
    page.select_option("#type", "access")
    page.click("#file-request")
    due = page.inner_text("tr.case[data-type=access] .due")
    officer_ctx = staff(site, "officer")
    cases = site.inst.capability(Rights).find(officer_ctx, customer_id=site.customer_id, type="access")
    assert due == cases[0].due.isoformat()
    accessible(page)
    shot(page, f"privacy-{lang}-6-requests")
    page.click("#nav-history")
    accessible(page)
    assert page.locator("tbody tr").count() > 0
    shot(page, f"privacy-{lang}-7-history")

    # The officer completes the request; the copy is reached once through its link.
    rights = site.inst.capability(Rights)
    rights.verify(officer_ctx, cases[0].id, in_person=True)
    rights.complete(officer_ctx, cases[0].id)
    box = site.inst.capability(Outbox)
    with site.inst.db.read() as conn:
        mid, params = conn.execute(
            select(messages.c.id, messages.c.params).where(messages.c.template == "package_ready")
        ).all()[-1]
    link = json.loads(box._box.open(params, box._context(mid)))["link"]
    path = "/v1/packages/" + link.rsplit("/", 1)[1]
    first = page.request.get(site.base_url + path)
    assert first.status == 200
    second = page.request.get(site.base_url + path)
    assert second.status >= 400

    # No customer value in any URL the browser asked for.
    for url in page.requested:
        assert ADULT["mobile"] not in url and ADULT["name"] not in url
    page.click("#sign-out")
    assert page.locator("#identifier").count() == 1


@pytest.mark.req("R-MIN-1")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_guardian_acts_for_a_child_on_a_phone(browser: Any, served: Site, lang: str) -> None:
    """R-MIN-1 (PIPL 31): the guardian ticks "guardian", states the child's mobile, types the code
    sent to the guardian's mobile on record, and sees and steers the child's data, consents and
    requests, each page saying it acts for the child; every entry is the child's principal under the
    guardian's client. The child's own sign-in sends nothing."""
    from tests.privacy.test_minors import MINOR

    site = served
    ctx = RequestContext(BOOT, "service", client="test")
    child = site.inst.service.create(ctx, "customer", {**MINOR, "guardian_mobile": "13600136000"}).customer_id
    context = browser.new_context(locale="zh-CN" if lang == "zh" else "en-US", viewport=PHONE)
    page = context.new_page()
    page.goto(f"{site.base_url}/privacy/")
    page.check("#guardian")
    page.fill("#identifier", MINOR["mobile"])
    accessible(page)
    shot(page, f"privacy-{lang}-guardian-1-sign-in")
    page.click("#send-code")
    page.wait_for_url(f"{site.base_url}/privacy/code")
    page.fill("#code", last_code(site))
    page.click("#confirm-code")
    page.wait_for_url(f"{site.base_url}/privacy/")
    assert page.locator("#acting-guardian").count() == 1
    page.click("#nav-data")
    assert page.locator("#acting-guardian").count() == 1
    assert MINOR["mobile"] not in page.content()
    accessible(page)
    shot(page, f"privacy-{lang}-guardian-2-data")
    page.click("#nav-consents")
    accessible(page)
    page.click("#nav-requests")
    page.select_option("#type", "access")
    page.click("#file-request")
    assert page.locator("tr.case[data-type=access]").count() == 1
    accessible(page)
    shot(page, f"privacy-{lang}-guardian-3-requests")
    entries = [e for e in site.inst.audit.query(actor=f"customer:{child}", limit=100)]
    assert entries and {e.client for e in entries} == {"privacy_guardian"}
    assert "rights_open" in {e.action for e in entries}
