"""The incident desk in headless Chromium: the officer opens an incident, computes who an insider
touched from the audit trail, drafts the report and freezes the insider; pages in Chinese and
English (R-INC-1, R-INC-2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from piguard.gate import RequestContext
from tests.web.conftest import Site
from tests.web.test_browser import CHROMIUM
from tests.web.test_browser import login as browser_login
from tests.web.test_language import VISIBLE_TEXT, browser, english_words

__all__ = ["browser"]


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
@pytest.mark.req("R-INC-1", "R-INC-2")
def test_an_incident_is_opened_scoped_drafted_and_contained(browser: Any, served: Site) -> None:
    site = served
    inst = site.inst
    insider = site.staff["customer_service"]["name"]
    actor = inst.access.authenticate(
        inst.access.login(
            insider, site.staff["customer_service"]["password"], site.totp("customer_service")
        ).token
    )
    inst.gate.read(
        RequestContext(actor, "service", client="test"), "customer", site.customer_id, ["name", "mobile"]
    )

    officer = browser_login(browser, site, "officer")
    officer.goto(site.base_url + "/console/incidents")
    assert english_words(officer.evaluate(VISIBLE_TEXT)) == []
    officer.fill("#open-incident input[name=title]", "客服批量查看客户信息")
    officer.select_option("#open-incident select[name=category]", "data_leak")
    officer.click("#open-incident button[type=submit]")
    officer.wait_for_selector("#facts")
    incident_id = officer.url.rsplit("/", 1)[1]
    assert incident_id.startswith("inc_")
    assert officer.locator("tr[data-clock=individuals]").get_attribute("data-state") == "due_now"
    officer.fill("#scope input[name=actors]", insider)
    officer.click("#scope button[type=submit]")
    officer.wait_for_selector("tr[data-event=scoped]")
    assert officer.locator("#persons").get_attribute("data-persons") == "1"
    assert officer.locator("tr[data-field='customer.mobile']").inner_text().endswith("1")
    officer.click("#draft")
    officer.wait_for_selector("tr[data-event=notice]")
    assert "个人信息安全事件报告" in (officer.locator("details pre").first.text_content() or "")
    officer.fill("#justification", "内部人员批量查看")
    officer.fill("#act input[name=freeze]", insider)
    officer.click("#contain")
    officer.wait_for_selector("tr[data-event=contained]")
    assert english_words(officer.evaluate(VISIBLE_TEXT)) == []
    assert inst.access.principal(insider)["status"] == "frozen"
    officer.goto(site.base_url + "/console/incidents")
    assert officer.locator(f"tr[data-incident={incident_id}] [data-stage]").inner_text() == "已报告"
    officer.goto(site.base_url + "/console/lang/en")
    officer.goto(f"{site.base_url}/console/incidents/{incident_id}")
    assert "Reporting clocks" in officer.evaluate(VISIBLE_TEXT)


def test_every_stage_grade_clock_state_event_and_notice_is_named_in_both_languages() -> None:
    """The incident pages build keys from values (``incidents.stage.<stage>`` ...): each exists."""
    from piguard.incidents.grading import GRADES
    from piguard.incidents.model import STAGES
    from piguard.web.i18n import MESSAGES

    names = {
        "stage": STAGES,
        "grade": GRADES,
        "status": ("open", "closed"),
        "source": ("computed", "estimated"),
        "clock": ("individuals", "regulator", "follow_up", "final", "gdpr"),
        "state": ("done", "overdue", "due_now", "nearly_due", "running", "open"),
        "event": ("opened", "updated", "scoped", "graded", "notice", "contained", "closed"),
        "notice": ("regulator_draft", "individual", "guardian", "public", "individuals_skipped"),
        "level": ("clear", "masked", "unrecorded"),
        "done": ("update", "scope", "grade", "notify", "contain", "close"),
    }
    missing = [
        f"incidents.{k}.{v}"
        for k, values in names.items()
        for v in values
        if f"incidents.{k}.{v}" not in MESSAGES
    ]
    assert not missing
