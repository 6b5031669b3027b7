"""The console in headless Chromium (Debian's, driven by Playwright): the issue 6 walk-through.

A finance user signs in with TOTP, searches a customer, sees masked values, asks to unmask a
bank account; an officer approves it in the inbox; the finance user then sees it in clear;
the officer finds both in the audit viewer; the language switches. Screenshots go to
``test-artifacts/web/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import ARTIFACTS, Site

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
        reason="Debian chromium not installed (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=shutil.which("chromium") or CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(browser: Any, site: Site, role: str, lang: str = "zh") -> Any:
    context = browser.new_context(locale="zh-CN" if lang == "zh" else "en-US")
    page = context.new_page()
    page.goto(f"{site.base_url}/console/login")
    name, password, code = site.creds(role)
    page.fill("#name", name)
    page.fill("#password", password)
    page.fill("#totp", code)
    page.click("#login")
    page.wait_for_url(f"{site.base_url}/console/")
    return page


def test_search_mask_unmask_approve_audit_and_language(browser: Any, served: Site) -> None:
    site = served
    urls: list[str] = []
    finance = login(browser, site, "finance")
    finance.on("request", lambda request: urls.append(request.url))
    shot(finance, "01-home-finance")

    # Search by name: the value is posted, never in the address bar.
    finance.click("text=客户查询")
    finance.select_option("#field", "name")
    finance.fill("#value", "欧阳娜娜")
    finance.click("#search")
    finance.wait_for_selector("#results")
    shot(finance, "02-search-results")
    finance.click("#results a.open")
    finance.wait_for_selector("#fields")
    assert finance.locator('tr[data-field="name"] td.value').inner_text() == "欧阳**"
    assert "欧阳娜娜" not in finance.title()
    shot(finance, "03-customer-masked")

    # The bank account: masked, and unmaskable through a grant.
    finance.click("#records a")
    finance.wait_for_selector('tr[data-field="account_no"]')
    assert finance.locator('tr[data-field="account_no"]').get_attribute("data-level") == "masked"
    assert "6222020000001111" not in finance.content()
    finance.check("#pick-account_no")
    finance.fill("#reason", "KYC review, ticket 42")
    finance.click("#request-unmask")
    finance.wait_for_selector(".flash.ok")
    shot(finance, "04-unmask-requested")

    # Another user approves it.
    officer = login(browser, site, "officer")
    officer.click("text=审批")
    officer.wait_for_selector("#inbox")
    shot(officer, "05-approvals-inbox")
    officer.click("#inbox button.approve")
    officer.wait_for_selector(".flash.ok")
    shot(officer, "06-approved")

    finance.reload()
    finance.wait_for_selector('tr[data-field="account_no"][data-level="clear"]')
    assert finance.locator('tr[data-field="account_no"] td.value').inner_text() == "6222020000001111"
    shot(finance, "07-unmasked")

    # The audit viewer shows the request and the reads of this customer.
    if getattr(site.inst, "audit", None) is None:
        pytest.skip("the installation has no audit trail wired (inst.audit)")
    officer.goto(f"{site.base_url}/console/audit")
    officer.fill('input[name="customer_id"]', site.customer_id)
    officer.click("#filter")
    officer.wait_for_selector("#entries")
    actions = [c.get_attribute("data-code") for c in officer.locator("#entries td.action").all()]
    assert "grant_request" in actions and "read" in actions
    assert "申请查看明文" in officer.locator("#entries").inner_text()
    shot(officer, "08-audit-viewer")

    # Language switch: the same page in English, and back.
    officer.click("#lang-switch")
    officer.wait_for_selector("text=Audit log")
    assert officer.locator("html").get_attribute("lang") == "en"
    shot(officer, "09-audit-english")
    officer.goto(f"{site.base_url}/console/dashboard")
    officer.wait_for_selector("svg.chart")
    shot(officer, "10-dashboard-english")
    officer.click("#lang-switch")
    officer.wait_for_selector("text=仪表盘")

    # No customer value ever appeared in a URL the browser requested.
    for value in ("欧阳娜娜", "13800138000", "6222020000001111", "110105199003070180"):
        assert not any(value in u for u in urls), value
    officer.context.close()
    finance.context.close()


def test_login_refused_then_logout(browser: Any, served: Site) -> None:
    page = browser.new_context().new_page()
    page.goto(f"{served.base_url}/console/login")
    name, password, _ = served.creds("auditor")
    page.fill("#name", name)
    page.fill("#password", password)
    page.fill("#totp", "000000")
    page.click("#login")
    page.wait_for_selector(".flash.error")
    assert page.url.endswith("/console/login")
    page.context.close()
    page = login(browser, served, "auditor", lang="en")
    page.click("#logout")
    page.wait_for_url("**/console/login?m=out")
    page.goto(f"{served.base_url}/console/")
    assert "/console/login" in page.url
    page.context.close()
