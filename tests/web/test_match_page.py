"""The console's check form on the customer page (issue 11, item 17), in headless Chromium: an
agent checks what a caller says against a masked field and sees 一致 / 不一致 only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Site
from tests.web.test_browser import CHROMIUM
from tests.web.test_browser import login as browser_login
from tests.web.test_language import VISIBLE_TEXT, browser, english_words

__all__ = ["browser"]


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
@pytest.mark.req("R-USE-4")
def test_an_agent_checks_a_stated_mobile_without_seeing_it(browser: Any, served: Site) -> None:
    site = served
    agent = browser_login(browser, site, "customer_service")
    page = f"{site.base_url}/console/customers/{site.customer_id}?purpose=service"
    agent.goto(page)
    assert agent.locator("tr[data-field=mobile]").get_attribute("data-level") == "masked"
    assert agent.locator("#match form[data-match-field=mobile]").count() == 1
    # Fields the role may not see at all have no check form (a refusal, not "no").
    assert agent.locator("#match form[data-match-field=bank_card]").count() == 0
    assert english_words(agent.evaluate(VISIBLE_TEXT)) == []
    agent.fill("#match-mobile", "+86 138 0013 8000")  # typed as said, with the country code
    agent.click("#match-submit-mobile")
    agent.wait_for_selector(".flash.ok")
    assert agent.locator(".flash.ok").inner_text() == "手机号码：一致"
    agent.fill("#match-mobile", "13800138001")
    agent.click("#match-submit-mobile")
    agent.wait_for_selector(".flash.info")
    assert agent.locator(".flash.info").inner_text() == "手机号码：不一致"
    html = agent.content()
    assert "13800138001" not in html and "13800138000" not in html  # never echoed, never shown
    assert english_words(agent.evaluate(VISIBLE_TEXT)) == []
    agent.context.close()
    checks = [e for e in site.inst.audit.query(limit=1000) if e.action == "match"]
    assert [(e.result, e.detail.get("matches"), e.detail.get("probe")) for e in checks] == [
        ("ok", 1, True),
        ("ok", 0, True),
    ]
