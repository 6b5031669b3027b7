"""The console's sharing page (issue 15): partners, agreements, assessments and the transfer log in
zh and en, for roles that approve or audit; an officer suspends an agreement there."""

from __future__ import annotations

from datetime import timedelta

import pytest

from piguard.gate import RequestContext
from piguard.sharing import Sharing
from tests.sharing.conftest import DOC, SECTIONS, USCC
from tests.web.conftest import Site, csrf
from tests.web.test_security import client


def _officer(site: Site) -> RequestContext:
    name, password, code = site.creds("officer")
    login = site.inst.access.login(name, password, code)
    return RequestContext(site.inst.access.authenticate(login.token), "", client="test")


@pytest.mark.req("R-SHR-1")
def test_the_sharing_page_lists_the_register_in_both_languages_and_suspends(site: Site) -> None:
    """R-SHR-1: the register, agreements and assessments are on the page; suspending an agreement
    there stops it (an operation of the gate)."""
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
        assessed_on=today - timedelta(days=400),
        assessment_expires=today - timedelta(days=1),
        assessor="CNAS",
    )
    agreement = sharing.add_agreement(
        officer,
        partner_id=partner.id,
        type="provision",
        purpose="partner_provision",
        fields={"mobile": "pseudonymise"},
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
    site.clock.advance(timedelta(seconds=31))  # a fresh TOTP step for the console's own login
    c = client(site, "officer")
    page = c.get("/console/sharing")
    assert page.status_code == 200
    text = page.text
    assert "顺达物流有限公司" in text and USCC in text and "接收方" in text and "已过期" in text
    assert f'data-agreement="{agreement.id}"' in text and "假名化" in text and "手机号码" in text
    assert "可接受" in text
    c.post(
        f"/console/sharing/agreements/{agreement.id}/suspend", data={"csrf": csrf(text), "reason": "incident"}
    )
    assert sharing.agreements(officer, agreement.id)[0].state == "suspended"
    c.get("/console/lang/en")
    en = c.get("/console/sharing").text
    assert "Partners" in en and "independent recipient" in en and "suspended" in en and "Mobile number" in en

    auditor = client(site, "auditor")
    seen = auditor.get("/console/sharing")
    assert seen.status_code == 200 and "/suspend" not in seen.text
    assert client(site, "customer_service").get("/console/sharing").status_code == 403
    assert [e.action for e in site.inst.audit.query(action="partner_list", limit=10)]
