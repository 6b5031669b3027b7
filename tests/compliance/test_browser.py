"""The officer's compliance page and the report's HTML, in headless Chromium (Debian's, driven by
Playwright) (R-AUD-4): failing checks first, a report generated from the page, its files
downloadable; the report's HTML shows every requirement and its pictures, in Chinese."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from piguard.compliance import Compliance
from piguard.gate import RequestContext
from tests.web.conftest import Site, served, site
from tests.web.test_browser import browser, login, shot
from tests.web.test_browser import pytestmark as BROWSER_MARKS
from tests.web.test_security import client

__all__ = ["browser", "served", "site"]

pytestmark = [*BROWSER_MARKS, pytest.mark.req("R-AUD-4")]


def test_the_officer_generates_a_report_from_the_console(browser: Any, served: Site) -> None:
    page = login(browser, served, "officer")
    page.click("text=合规")
    page.wait_for_selector("#generate")
    assert page.locator("#checks").count() == 0  # no report yet
    page.click("#generate button")
    page.wait_for_selector(".flash.ok", timeout=120_000)
    page.wait_for_selector("#reports tr[data-report]")
    statuses = [row.get_attribute("data-status") for row in page.locator("#checks tbody tr").all()]
    assert statuses and statuses[0] == "fail"  # no officer on file yet: failing checks first
    order = {"fail": 0, "not_available": 1, "record": 3, "pass": 4}
    assert statuses == sorted(statuses, key=lambda s: order[s])
    shot(page, "compliance-01-page")
    link = page.locator("#reports a", has_text="report.zh.html").first
    link.click()
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "个人信息保护合规报告"
    assert page.locator("tbody tr").count() == 66
    assert page.locator("svg").count() >= 1
    shot(page, "compliance-02-report")


def test_the_page_is_refused_to_a_role_that_neither_audits_nor_approves(site: Site) -> None:
    c = client(site, "finance")
    assert c.get("/console/compliance").status_code == 403


def test_the_report_html_opens_in_chromium(browser: Any, site: Site, tmp_path: Path) -> None:
    name, password, code = site.creds("auditor")
    login_ = site.inst.access.login(name, password, code)
    ctx = RequestContext(site.inst.access.authenticate(login_.token), "", client="test")
    out = tmp_path / "rep"
    site.inst.capability(Compliance).report(ctx, out=out, formats=("html",))
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto((out / "report.en.html").as_uri())
    assert page.locator("h1").inner_text() == "PI protection compliance report"
    ids = page.locator("tbody tr td:first-child").all_inner_texts()
    assert len(ids) == 66 and "R-AUD-2" in ids
    context.close()
