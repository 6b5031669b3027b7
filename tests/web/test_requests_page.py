"""The rights desk in headless Chromium: intake on a caller's behalf, in-person verification,
extension with a reason, completion; the queue and case pages in Chinese (R-RGT-1, R-RGT-3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from piguard.outbox import Outbox
from piguard.outbox.tables import messages
from piguard.rights import Rights
from tests.access.conftest import ADULT
from tests.web.conftest import Site
from tests.web.test_browser import CHROMIUM
from tests.web.test_browser import login as browser_login
from tests.web.test_language import VISIBLE_TEXT, browser, english_words

__all__ = ["browser"]


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
@pytest.mark.req("R-RGT-1", "R-RGT-3")
def test_a_request_is_taken_in_verified_extended_and_completed(browser: Any, served: Site) -> None:
    site = served
    agent = browser_login(browser, site, "customer_service")
    agent.goto(site.base_url + "/console/requests")
    assert english_words(agent.evaluate(VISIBLE_TEXT)) == []
    agent.fill("#intake input[name=customer_id]", site.customer_id)
    agent.select_option("#intake select[name=type]", "correction")
    agent.select_option("#intake select[name=channel]", "counter")
    agent.click("#intake button[type=submit]")
    agent.wait_for_selector("#case")
    case_id = agent.url.rsplit("/", 1)[1]
    assert case_id.startswith("req_")
    assert agent.locator("#case [data-status]").inner_text() == "已受理"
    agent.click("#verify-in-person")
    agent.wait_for_selector("#verified:has-text('当面核验')")
    assert agent.locator("#pause").count() == 0  # deciding is the officer's
    agent.context.close()

    officer = browser_login(browser, site, "officer")
    officer.goto(f"{site.base_url}/console/requests/{case_id}")
    before = officer.locator("#due").inner_text()
    officer.fill("#reason", "需要调取档案")
    officer.click("#extend")
    officer.wait_for_selector("tr[data-event=extended]")
    assert officer.locator("#due").inner_text() > before
    assert english_words(officer.evaluate(VISIBLE_TEXT)) == []
    officer.fill("#reason", "已按客户提供的新地址更正")
    officer.select_option("#changes select[name=change_field_0]", "customer.address")
    officer.fill("#changes input[name=change_value_0]", "上海市浦东新区世纪大道100号")
    officer.click("#complete")
    officer.wait_for_selector("#case [data-status=completed]")
    officer.goto(site.base_url + "/console/requests")
    assert officer.locator(f"tr[data-case={case_id}] [data-status]").inner_text() == "已办结"
    officer.context.close()
    timeline = [e.event for e in site.inst.capability(Rights)._case(case_id).timeline]
    assert timeline == ["opened", "verified", "extended", "completed"]
    # PIPL 46: the corrected value replaced the old one (read back from the vault itself).
    record = site.inst.vault.read("customer", site.customer_id, ["address"])
    assert record.values == {"address": "上海市浦东新区世纪大道100号"}


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
@pytest.mark.req("R-RGT-6")
def test_a_relatives_request_is_taken_in_and_refused_in_writing(browser: Any, served: Site) -> None:
    """A close relative of a deceased customer at the counter: the relationship and their own
    identity are taken in; when the officer refuses, the case carries a written notice to print."""
    site = served
    agent = browser_login(browser, site, "customer_service")
    agent.goto(site.base_url + "/console/requests")
    agent.fill("#intake input[name=customer_id]", site.customer_id)
    agent.select_option("#intake select[name=type]", "access")
    agent.select_option("#intake select[name=channel]", "counter")
    agent.select_option("#intake select[name=relation]", "relative")
    agent.select_option("#intake select[name=relationship]", "spouse")
    agent.fill("#intake input[name=requester_name]", "欧阳建国")
    agent.fill("#intake input[name=requester_document]", "身份证 110105196501010017；死亡证明 京2026-0001")
    agent.click("#intake button[type=submit]")
    agent.wait_for_selector("#case")
    case_id = agent.url.rsplit("/", 1)[1]
    assert "配偶" in agent.locator("#case").inner_text()
    assert agent.locator("#send-code").count() == 0  # a code would go to the deceased's phone
    agent.click("#verify-in-person")
    agent.wait_for_selector("#verified:has-text('当面核验')")
    agent.context.close()

    officer = browser_login(browser, site, "officer")
    officer.goto(f"{site.base_url}/console/requests/{case_id}")
    officer.fill("#reason", "无法证明与逝者的近亲属关系")
    officer.click("#refuse")
    officer.wait_for_selector("#case [data-status=refused]")
    assert english_words(officer.evaluate(VISIBLE_TEXT)) == []
    with officer.context.expect_page() as opened:
        officer.click("#letter")
    letter = opened.value
    letter.wait_for_load_state()
    text = letter.inner_text("body")
    assert case_id in text and "无法证明与逝者的近亲属关系" in text
    assert "近亲属 欧阳建国：" in text  # addressed to the relative, by the name they gave
    # The notice names no personal information of the deceased beyond what the relative gave.
    assert ADULT["resident_id"] not in text and ADULT["mobile"] not in text
    officer.context.close()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
@pytest.mark.req("R-RGT-2")
def test_a_phone_request_is_verified_by_code_and_what_the_caller_states(browser: Any, served: Site) -> None:
    """The agent types the code the caller reads out and what they state of the profile; the gate
    matches it yes/no (the values are never shown back); a deletion needs both."""
    site = served
    agent = browser_login(browser, site, "customer_service")
    agent.goto(site.base_url + "/console/requests")
    agent.fill("#intake input[name=customer_id]", site.customer_id)
    agent.select_option("#intake select[name=type]", "deletion")
    agent.select_option("#intake select[name=channel]", "phone")
    agent.click("#intake button[type=submit]")
    agent.wait_for_selector("#case")
    case_id = agent.url.rsplit("/", 1)[1]
    agent.click("#send-code")
    agent.wait_for_selector("#verify-code")
    outbox = site.inst.capability(Outbox)
    with site.inst.db.read() as conn:
        i, p = conn.execute(
            select(messages.c.id, messages.c.params).where(
                messages.c.reference == case_id, messages.c.template == "verification_code"
            )
        ).one()
    code = json.loads(outbox._box.open(p, outbox._context(i)))["code"]
    form = agent.locator("#verify-code-form")
    form.locator("input[name=code]").fill(code)
    form.locator("input[name=stated_name]").fill(ADULT["name"])
    form.locator("input[name=stated_resident_id]").fill(ADULT["resident_id"])
    form.locator("select[name=purpose]").select_option("service")
    agent.click("#verify-code")
    agent.wait_for_selector("#verified:has-text('验证码及所述信息核对一致')")
    text = agent.evaluate(VISIBLE_TEXT)
    assert ADULT["resident_id"] not in text and english_words(text) == []
    agent.context.close()
