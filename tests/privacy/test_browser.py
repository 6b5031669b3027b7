"""The privacy centre in headless Chromium (Debian's, driven by Playwright) at a phone viewport.

A customer signs in with the code that reached them (by SMS through a local gateway webhook in
Chinese, by email through a local SMTP server in English), sees their data masked, shows one field
after a fresh code, withdraws a consent (the gate then refuses a marketing read) and grants it again,
files an access request and sees its due date, and downloads the copy once from the requests page
(the one-time link in the message then fails). Screenshots go to ``test-artifacts/web/``.

Every page is checked by axe-core (vendored in ``tests/vendor/axe-core``, evaluated in the page):
no serious or critical violation; and by our own checks (``a11y.js``: labels, names, one ``h1``,
``lang``, contrast). Chinese pages show no English UI word; no page title or URL holds a customer
value; the browser asks for nothing from another origin; sign-in works by keyboard alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from piguard.errors import ConsentRequired
from piguard.gate import RequestContext
from piguard.rights import Rights
from tests.access.conftest import ADULT
from tests.privacy.conftest import Receivers
from tests.web.conftest import BOOT, Site
from tests.web.test_browser import browser, shot
from tests.web.test_browser import pytestmark as browser_marks
from tests.web.test_language import VISIBLE_TEXT, english_words

__all__ = ["browser"]
pytestmark = browser_marks
PHONE = {"width": 390, "height": 844}

#: Run in the page: our own checks (see the module docstring).
A11Y = (Path(__file__).parent / "a11y.js").read_text(encoding="utf-8")
AXE_FILE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
#: axe-core 4.14.1's SRI digest as its npm package lists it (tests/vendor/axe-core/README.md).
AXE_SRI = "KTSJmUUM3yhJqOcLeRL8LahahJ2jnA0NU5T1HUqe2Vw="
AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
    resultTypes: ['violations'],
  });
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
}"""
#: Customer values the walk-throughs handle: none may be in a URL or a page title.
VALUES = (ADULT["mobile"], ADULT["email"], ADULT["name"], ADULT["resident_id"])


def _axe_source() -> str:
    raw = AXE_FILE.read_bytes()
    assert base64.b64encode(hashlib.sha256(raw).digest()).decode() == AXE_SRI, "vendored axe-core changed"
    return raw.decode("utf-8")


AXE = _axe_source()


def accessible(page: Any, lang: str) -> None:
    """axe-core and our own checks on the page as rendered; a Chinese page shows no English word;
    no customer value in the title or the address."""
    # CDP evaluation is not page script, so the centre's CSP (no script at all) stays as served.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    violations = page.evaluate(AXE_RUN)
    assert violations == [], (page.url, violations)
    problems = page.evaluate(A11Y)
    assert problems == [], (page.url, problems)
    if lang == "zh":
        text = page.evaluate(VISIBLE_TEXT)
        assert english_words(text) == [], (page.url, english_words(text), text)
    title = page.title()
    assert title and not any(v in title or v in page.url for v in VALUES), (title, page.url)


def sign_in(browser: Any, site: Site, lang: str, receivers: Receivers) -> Any:
    """Keyboard only: the skip link, then the field, then Enter; the code as it reached the customer
    (Chinese: the mobile, by SMS; English: the email address, by SMTP)."""
    context = browser.new_context(locale="zh-CN" if lang == "zh" else "en-US", viewport=PHONE)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{site.base_url}/privacy/")
    accessible(page, lang)
    shot(page, f"privacy-{lang}-1-sign-in")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.focus("#identifier")
    channel, address = ("sms", ADULT["mobile"]) if lang == "zh" else ("email", ADULT["email"])
    page.keyboard.type(address)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base_url}/privacy/code")
    accessible(page, lang)
    page.fill("#code", receivers.code(channel, address))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base_url}/privacy/")
    page.requested = requested
    page.code_channel = (channel, address)
    return page


def staff(site: Site, role: str) -> RequestContext:
    name, password, code = site.creds(role)
    actor = site.inst.access.authenticate(site.inst.access.login(name, password, code).token)
    return RequestContext(actor, "marketing" if role == "marketing" else "", client="test")


def marketing_read(site: Site, ctx: RequestContext) -> None:
    site.inst.gate.read(ctx, "customer", site.customer_id, ["mobile"])


def go(page: Any, site: Site, to: str) -> None:
    """Follow a link of the navigation and wait for its page."""
    page.click(f"#nav-{to}")
    page.wait_for_url(f"{site.base_url}/privacy/{to}")


def _same_origin_only(page: Any, site: Site) -> None:
    """No external asset, no customer value in any URL the browser asked for."""
    for url in page.requested:
        assert url.startswith(site.base_url + "/"), url
        assert not any(v in url for v in VALUES), url


@pytest.mark.req("R-RGT-1", "R-RGT-2", "R-COL-6")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_customer_walk_through_on_a_phone(
    browser: Any, served: Site, receivers: Receivers, lang: str, tmp_path: Path
) -> None:
    """R-RGT-1, R-RGT-2, R-COL-6: sign in by the code received, masked data, step-up reveal,
    consent withdrawn and re-granted (marketing refused in between), an access request with its
    due date, and its copy downloaded once from the requests page (the link then fails)."""
    site = served
    from piguard.consent import shipped_notice
    from piguard.consent.capability import Consent

    setup = RequestContext(BOOT, "", client="test")
    consent = site.inst.capability(Consent)
    if not consent.notices(setup):
        _, zh, en = shipped_notice("privacy")
        consent.publish_notice(setup, zh, en, title="Privacy notice")
    consent.grant(setup, site.customer_id, ["marketing"], channel="app")
    page = sign_in(browser, site, lang, receivers)
    channel, address = page.code_channel
    accessible(page, lang)
    shot(page, f"privacy-{lang}-2-home")

    go(page, site, "data")
    assert "138****8000" in page.inner_text("main")
    assert ADULT["mobile"] not in page.content()
    accessible(page, lang)
    shot(page, f"privacy-{lang}-3-masked")
    page.click("#show-customer-mobile")
    page.wait_for_url(f"{site.base_url}/privacy/data/verify")
    accessible(page, lang)
    page.fill("#code", receivers.code(channel, address))
    page.click("#confirm-code")
    assert page.inner_text("#shown-value") == ADULT["mobile"]
    accessible(page, lang)
    shot(page, f"privacy-{lang}-4-shown")

    go(page, site, "consents")
    accessible(page, lang)
    marketer = staff(site, "marketing")
    marketing_read(site, marketer)  # allowed while the consent stands
    page.click("#withdraw-marketing-general")
    page.wait_for_url("**/privacy/consents?done=1")
    with pytest.raises(ConsentRequired):
        marketing_read(site, marketer)
    accessible(page, lang)
    shot(page, f"privacy-{lang}-5-withdrawn")
    page.click("#grant-marketing-general")
    page.wait_for_url("**/privacy/consents?done=1")
    marketing_read(site, marketer)  # allowed again
    assert page.locator("#withdraw-marketing-general").count() == 1

    go(page, site, "requests")
    page.select_option("#type", "access")
    page.click("#file-request")
    page.wait_for_url("**/privacy/requests?done=1")
    due = page.inner_text("tr.case[data-type=access] .due")
    officer_ctx = staff(site, "officer")
    cases = site.inst.capability(Rights).find(officer_ctx, customer_id=site.customer_id, type="access")
    assert due == cases[0].due.isoformat()
    accessible(page, lang)
    shot(page, f"privacy-{lang}-6-requests")
    page.click("tr.case[data-type=access] a")
    page.wait_for_url(f"{site.base_url}/privacy/requests/{cases[0].id}")
    assert page.inner_text("dd.due") == due
    accessible(page, lang)
    shot(page, f"privacy-{lang}-6b-request")
    page.goto(f"{site.base_url}/privacy/requests/req_{'0' * 20}")  # an error page, as a person sees it
    accessible(page, lang)
    go(page, site, "history")
    accessible(page, lang)
    assert page.locator("tbody tr").count() > 0
    shot(page, f"privacy-{lang}-7-history")

    # The officer completes the request; the customer downloads the copy once from the requests
    # page after a fresh code; the one-time link in the message is then spent as well.
    rights = site.inst.capability(Rights)
    rights.verify(officer_ctx, cases[0].id, in_person=True)
    rights.complete(officer_ctx, cases[0].id)
    link = receivers.link()
    go(page, site, "requests")
    accessible(page, lang)
    page.click("tr.case[data-type=access] button.download")
    page.wait_for_url(f"{site.base_url}/privacy/requests/download/verify")
    accessible(page, lang)
    page.fill("#code", receivers.code(channel, address))
    with page.expect_download() as download:
        page.click("#confirm-code")
    saved = tmp_path / "copy.json"
    download.value.save_as(saved)
    doc = json.loads(saved.read_text(encoding="utf-8"))
    assert doc["case"] == cases[0].id and ADULT["mobile"] in saved.read_text(encoding="utf-8")
    assert download.value.suggested_filename == "piguard-copy.json"
    assert ADULT["mobile"] not in download.value.url
    go(page, site, "requests")
    assert page.locator("button.download").count() == 0
    shot(page, f"privacy-{lang}-8-downloaded")
    path = "/v1/packages/" + link.rsplit("/", 1)[1]
    assert page.request.get(site.base_url + path).status >= 400  # the second download fails

    _same_origin_only(page, site)
    page.click("#sign-out")
    expect(page.locator("#identifier")).to_have_count(1)


@pytest.mark.req("R-MIN-1", "R-MIN-3")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_guardian_acts_for_a_child_on_a_phone(
    browser: Any, served: Site, receivers: Receivers, lang: str
) -> None:
    """R-MIN-1, R-MIN-3 (PIPL 31): the guardian ticks "guardian", states the child's mobile, types
    the code that reached the guardian's mobile on record (never the child's), and sees and steers
    the child's data, consents and requests, each page saying it acts for the child; every entry is
    the child's principal under the guardian's client, and the request is filed as the guardian's."""
    from tests.privacy.test_guardian import CHILD

    site = served
    ctx = RequestContext(BOOT, "service", client="test")
    child = site.inst.service.create(ctx, "customer", CHILD).customer_id
    context = browser.new_context(locale="zh-CN" if lang == "zh" else "en-US", viewport=PHONE)
    page = context.new_page()
    page.goto(f"{site.base_url}/privacy/")
    page.check("#guardian")
    page.fill("#identifier", CHILD["mobile"])
    accessible(page, lang)
    shot(page, f"privacy-{lang}-guardian-1-sign-in")
    page.click("#send-code")
    page.wait_for_url(f"{site.base_url}/privacy/code")
    page.fill("#code", receivers.code("sms", CHILD["guardian_mobile"]))
    assert all(to != CHILD["mobile"] for to, _ in receivers.sms())
    page.click("#confirm-code")
    page.wait_for_url(f"{site.base_url}/privacy/")
    assert page.locator("#acting-guardian").count() == 1
    go(page, site, "data")
    expect(page.locator("#acting-guardian")).to_have_count(1)
    assert CHILD["mobile"] not in page.content() and CHILD["guardian_resident_id"] not in page.content()
    accessible(page, lang)
    shot(page, f"privacy-{lang}-guardian-2-data")
    go(page, site, "consents")
    accessible(page, lang)
    go(page, site, "requests")
    page.select_option("#type", "access")
    page.click("#file-request")
    page.wait_for_url("**/privacy/requests?done=1")
    assert page.locator("tr.case[data-type=access]").count() == 1
    accessible(page, lang)
    shot(page, f"privacy-{lang}-guardian-3-requests")
    entries = [e for e in site.inst.audit.query(actor=f"customer:{child}", limit=100)]
    assert entries and {e.client for e in entries} == {"privacy_guardian"}
    opened = [e for e in entries if e.action == "rights_open"]
    assert [e.detail["relation"] for e in opened] == ["guardian"]


def test_axe_core_runs_in_the_page_and_reports_what_it_finds(browser: Any) -> None:
    """The checker itself: on a page with an unlabelled field, an image without text and no
    ``lang``, the vendored axe-core reports those as critical or serious violations."""
    page = browser.new_page()
    page.set_content("<html><body><img src='data:,'><form><input name='x'></form></body></html>")
    page.evaluate(AXE)
    found = {v["id"] for v in page.evaluate(AXE_RUN)}
    assert {"image-alt", "label", "html-has-lang"} <= found
    page.close()
