"""Share requests in headless Chromium (issue 15 item 10, R-USE-3): the sharing officer asks for a
share in the console, the PI protection officer (another person) approves it, and the requester
downloads it once: a ZIP with the desensitised content and the signed manifest naming the
approver; the officer then ends the agreement with its evidence file (R-DST-5). The pages speak
Chinese, then English."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from piguard.consent import shipped_notice
from piguard.consent.capability import Consent
from piguard.gate import RequestContext
from piguard.sharing import Sharing
from tests.access.conftest import ADULT, SETUP
from tests.sharing.conftest import DOC, SECTIONS, USCC
from tests.web.conftest import Site
from tests.web.test_browser import CHROMIUM
from tests.web.test_browser import login as browser_login
from tests.web.test_language import VISIBLE_TEXT, browser, english_words

__all__ = ["browser"]


def _officer(site: Site) -> RequestContext:
    name, password, code = site.creds("officer")
    login = site.inst.access.login(name, password, code)
    return RequestContext(site.inst.access.authenticate(login.token), "", client="test")


def _agreement(site: Site) -> tuple[str, RequestContext]:
    """A partner, an agreement naming name (masked) and mobile (pseudonymised), its PIPIA, and the
    site's customer's separate consent to provision naming the partner."""
    sharing = site.inst.capability(Sharing)
    officer = _officer(site)
    today = site.inst.gate.today()
    partner = sharing.add_partner(
        officer,
        name="顺达物流有限公司",
        uscc_code=USCC,
        contact="dpo@shunda.example",
        country="CN",
        role="recipient",
        security_basis="ISO/IEC 27001",
        assessed_on=today - timedelta(days=10),
        assessment_expires=today + timedelta(days=300),
        assessor="CNAS",
    )
    agreement = sharing.add_agreement(
        officer,
        partner_id=partner.id,
        type="provision",
        purpose="partner_provision",
        fields={"name": "mask", "mobile": "pseudonymise"},
        method="SFTP",
        safeguards="encrypted",
        starts_on=today,
        ends_on=today + timedelta(days=30),
        document_sha256=DOC,
    )
    sharing.add_assessment(
        officer,
        sections=SECTIONS,
        conclusion="acceptable",
        reviewer="DPO",
        assessed_on=today,
        valid_until=today + timedelta(days=30),
        agreement_id=agreement.id,
    )
    consent = site.inst.capability(Consent)
    setup = RequestContext(SETUP, "", client="test")
    if not consent.notices(setup):
        _, zh, en = shipped_notice("privacy")
        consent.publish_notice(setup, zh, en, title="Privacy notice")
    consent.grant(
        setup,
        site.customer_id,
        ["partner_provision"],
        channel="app",
        kinds=["general", "provision"],
        recipient="顺达物流有限公司",
    )
    return agreement.id, officer


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
@pytest.mark.req("R-USE-3")
def test_a_share_is_requested_approved_by_another_person_and_downloaded_once(
    browser: Any, served: Site, tmp_path: Path
) -> None:
    site = served
    agreement_id, officer = _agreement(site)
    site.clock.advance(timedelta(seconds=31))  # fresh TOTP steps for the console's logins

    requester = browser_login(browser, site, "sharing_officer")
    requester.goto(site.base_url + "/console/sharing")
    assert english_words(requester.evaluate(VISIBLE_TEXT)) == []
    requester.fill("#request-share input[name=agreement]", agreement_id)
    requester.fill("#request-share input[name=fields]", "name,mobile")
    requester.fill("#request-share textarea[name=customers]", site.customer_id)
    requester.click("#request-share button[type=submit]")
    row = requester.locator("tr[data-request]").first
    row.wait_for()
    request_id = row.get_attribute("data-request")
    assert request_id and request_id.startswith("srq_")
    assert row.locator("[data-state]").get_attribute("data-state") == "pending"
    # The requester has no way to approve their own request, nor to download it yet.
    assert row.locator("form.decide").count() == 0 and row.locator("form.download").count() == 0
    assert site.inst.audit.query(action="share_row", limit=10) == []
    assert english_words(requester.evaluate(VISIBLE_TEXT)) == []

    site.clock.advance(timedelta(seconds=31))
    approver = browser_login(browser, site, "officer")
    approver.goto(site.base_url + "/console/sharing")
    approver.click(f"tr[data-request={request_id}] form.decide button[value=approve]")
    approver.wait_for_selector(f"tr[data-request={request_id}] [data-state=approved]")
    assert approver.locator(f"tr[data-request={request_id}] form.download").count() == 0
    # The officer registers a second partner through the register's form (a partner_add).
    assert english_words(approver.evaluate(VISIBLE_TEXT)) == []
    today = site.inst.gate.today()
    approver.fill("#add-partner input[name=name]", "乙公司")
    approver.fill("#add-partner input[name=uscc]", USCC)
    approver.fill("#add-partner input[name=contact]", "privacy@yi.example")
    approver.select_option("#add-partner select[name=role]", "entrusted")
    approver.fill("#add-partner input[name=security_basis]", "GB/T 22239")
    approver.fill("#add-partner input[name=assessor]", "CNAS")
    approver.fill("#add-partner input[name=assessed_on]", (today - timedelta(days=3)).isoformat())
    approver.fill("#add-partner input[name=assessment_expires]", (today + timedelta(days=362)).isoformat())
    approver.click("#add-partner button[type=submit]")
    approver.wait_for_selector(".flash.ok")
    added = [p for p in site.inst.capability(Sharing).partners(officer) if p.name == "乙公司"]
    assert [p.role for p in added] == ["entrusted"]
    assert approver.locator(f"tr[data-partner={added[0].id}]").count() == 1
    assert english_words(approver.evaluate(VISIBLE_TEXT)) == []

    requester.reload()
    with requester.expect_download() as info:
        requester.click(f"tr[data-request={request_id}] form.download button")
    saved = tmp_path / "share.zip"
    info.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        names = sorted(archive.namelist())
        content = archive.read(next(n for n in names if n.endswith(".csv"))).decode()
        signed = json.loads(archive.read(next(n for n in names if n.endswith(".manifest.json"))))
    [line] = list(csv.DictReader(io.StringIO(content)))
    assert line["mobile"].startswith("p:") and ADULT["mobile"] not in content
    assert line["name"] != ADULT["name"] and line["ref"].startswith("r:")
    manifest = signed["manifest"]
    assert manifest["approver"] == officer.actor.id and manifest["count"] == 1
    assert signed["signature"]
    requester.reload()
    done = requester.locator(f"tr[data-request={request_id}]")
    assert done.locator("[data-state]").get_attribute("data-state") == "done"
    assert done.locator("form.download").count() == 0  # once
    [log] = site.inst.capability(Sharing).transfers(officer)
    assert log["id"] == manifest["transfer_id"] and log["approver"] == manifest["approver"]

    # The officer ends the agreement on its row (R-DST-5): the outcome and the evidence file, of
    # which the console records the SHA-256 only.
    evidence = tmp_path / "删除证明.pdf"
    evidence.write_bytes(b"%PDF-1.7\n1 0 obj << /Title (deletion certificate) >> endobj\n%%EOF\n")
    approver.reload()
    row_of = f"tr[data-agreement={agreement_id}]"
    approver.click(f"{row_of} details.end summary")
    approver.select_option(f"{row_of} form.end select[name=outcome]", "deleted")
    approver.set_input_files(f"{row_of} form.end input[name=evidence]", str(evidence))
    assert english_words(approver.evaluate(VISIBLE_TEXT)) == []
    approver.click(f"{row_of} form.end button[type=submit]")
    approver.wait_for_selector(f"{row_of} [data-state=ended]")
    [ended] = site.inst.capability(Sharing).agreements(officer, agreement_id)
    assert (ended.end_outcome, ended.end_evidence_sha256) == (
        "deleted",
        hashlib.sha256(evidence.read_bytes()).hexdigest(),
    )
    assert approver.locator(f"{row_of} [data-evidence]").inner_text() == ended.end_evidence_sha256
    assert approver.locator(f"{row_of} form.end").count() == 0
    assert english_words(approver.evaluate(VISIBLE_TEXT)) == []

    requester.goto(site.base_url + "/console/lang/en")
    requester.goto(site.base_url + "/console/sharing")
    text = requester.evaluate(VISIBLE_TEXT)
    assert "Share requests" in text and "downloaded" in text
