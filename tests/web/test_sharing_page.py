"""The console's sharing page (issue 15): partners, agreements, assessments and the transfer log in
zh and en, for roles that approve or audit; an officer suspends an agreement there."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from httpx import Client, Response

from piguard.consent import shipped_notice
from piguard.consent.capability import Consent
from piguard.gate import RequestContext
from piguard.sharing import Sharing
from tests.access.conftest import ADULT, SETUP
from tests.sharing.conftest import DOC, SECTIONS, USCC
from tests.web.conftest import BOOT, Site, csrf
from tests.web.test_security import client
from tests.web.test_sharing_requests import _agreement


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


# ---------------------------------------------------------------------- the register's forms


def _page(c: Client) -> str:
    page = c.get("/console/sharing")
    assert page.status_code == 200
    return page.text


def _flashed_error(text: str) -> str:
    found = re.search(r'<p class="flash error"[^>]*>([^<]*)</p>', text)
    assert found, "no error shown"
    return html.unescape(found.group(1))


def _post(c: Client, path: str, data: dict[str, str]) -> Response:
    return c.post(f"/console/sharing{path}", data={"csrf": csrf(_page(c)), **data})


def _partner_form(site: Site, **over: str) -> dict[str, str]:
    today = site.inst.gate.today()
    form = {
        "name": "顺达物流有限公司",
        "uscc": USCC,
        "contact": "dpo@shunda.example",
        "country": "CN",
        "role": "entrusted",
        "security_basis": "ISO/IEC 27001",
        "assessor": "CNAS",
        "assessed_on": (today - timedelta(days=10)).isoformat(),
        "assessment_expires": (today + timedelta(days=300)).isoformat(),
    }
    form.update(over)
    return form


@pytest.mark.req("R-SHR-1")
def test_the_partner_form_registers_a_partner_and_a_bad_code_registers_nothing(site: Site) -> None:
    """R-SHR-1: an officer registers a partner on the page (a ``partner_add`` of the gate); a credit
    code whose check character is wrong is refused with the capability's reason and writes nothing."""
    sharing = site.inst.capability(Sharing)
    officer = _officer(site)
    site.clock.advance(timedelta(seconds=31))
    c = client(site, "officer")
    bad = _post(c, "/partners", _partner_form(site, uscc=USCC[:-1] + ("A" if USCC[-1] != "A" else "B")))
    assert bad.status_code == 200 and "unified social credit code" in _flashed_error(bad.text)
    assert "assessed_on" in _flashed_error(
        _post(c, "/partners", _partner_form(site, assessed_on="3月2日")).text
    )
    plain = _post(c, "/partners", _partner_form(site, notify_url="http://shunda.example/deletions"))
    assert "https://" in _flashed_error(plain.text)  # a notice endpoint in clear is refused
    assert sharing.partners(officer) == []

    endpoint = "https://api.shunda.example/privacy/deletions"
    done = _post(c, "/partners", _partner_form(site, notify_url=endpoint))
    [partner] = sharing.partners(officer)
    assert partner.name == "顺达物流有限公司" and partner.uscc == USCC and partner.role == "entrusted"
    assert partner.notify_url == endpoint
    assert f'data-partner="{partner.id}"' in done.text and partner.id in done.text and "受托方" in done.text
    assert [e.decision for e in site.inst.audit.query(action="partner_add", limit=10)] == ["allow"]


@pytest.mark.req("R-SHR-1")
@pytest.mark.parametrize("role", ["auditor", "sharing_officer", "customer_service"])
def test_only_a_role_that_may_register_a_partner_posts_the_register_forms(site: Site, role: str) -> None:
    """The forms need the operations' own actions (approve; export for a disclosure): an auditor
    sees the register without its forms, and a post from a role without the action is refused."""
    site.clock.advance(timedelta(seconds=31))
    c = client(site, role)
    token = csrf(c.get("/console/").text)
    today = site.inst.gate.today().isoformat()
    posts = {
        "/partners": _partner_form(site),
        "/agreements": {"partner_id": "ptn_x", "type": "provision", "fields": "mobile: mask"},
        "/assessments": {"link": "purpose:public_disclosure", "assessed_on": today, "valid_until": today},
        "/notices/ntc_x/ack": {},
    }
    for path, data in posts.items():
        assert c.post(f"/console/sharing{path}", data={"csrf": token, **data}).status_code == 403, path
    if role != "sharing_officer":
        disclose = {"purpose": "public_disclosure", "medium": "官网", "fields": "name: mask", "all": "1"}
        assert c.post("/console/sharing/disclosures", data={"csrf": token, **disclose}).status_code == 403
    assert site.inst.audit.query(action="partner_add", limit=10) == []
    if role == "auditor":
        text = _page(c)
        for form in ("add-partner", "add-agreement", "add-assessment", "disclose"):
            assert f'id="{form}"' not in text


def _partner(site: Site, officer: RequestContext) -> str:
    today = site.inst.gate.today()
    return (
        site.inst.capability(Sharing)
        .add_partner(
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
        .id
    )


@pytest.mark.req("R-SHR-1")
def test_the_agreement_form_records_the_fields_and_rules_and_an_unknown_field_records_nothing(
    site: Site,
) -> None:
    """R-SHR-1: the agreement's fields and rules are ``field: rule [param=value]`` lines; a field
    the purpose does not cover is refused naming it, and nothing is recorded."""
    sharing, officer = site.inst.capability(Sharing), _officer(site)
    partner_id = _partner(site, officer)
    today = site.inst.gate.today()
    site.clock.advance(timedelta(seconds=31))
    c = client(site, "officer")
    form = {
        "partner_id": partner_id,
        "type": "provision",
        "purpose": "partner_provision",
        "fields": "mobile: pseudonymise\nbirth_date：generalise to=age_band width=5\n",
        "method": "SFTP",
        "safeguards": "加密传输",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=365)).isoformat(),
        "document_sha256": DOC,
        "mechanism": "",
        "destination": "",
    }
    unknown = _post(c, "/agreements", {**form, "fields": "mobile: mask\nshoe_size: mask"})
    assert _flashed_error(unknown.text).startswith("shoe_size: not covered by purpose")
    malformed = _post(c, "/agreements", {**form, "fields": "mobile pseudonymise"})
    assert "field: rule" in _flashed_error(malformed.text)
    assert sharing.agreements(officer) == []

    done = _post(c, "/agreements", form)
    [agreement] = sharing.agreements(officer)
    assert agreement.partner_id == partner_id and agreement.purpose == "partner_provision"
    assert agreement.fields["mobile"].rule == "pseudonymise"
    assert agreement.fields["birth_date"].params == {"to": "age_band", "width": 5}
    assert f'data-agreement="{agreement.id}"' in done.text and "泛化" in done.text


@pytest.mark.req("R-SHR-3")
def test_the_assessment_form_records_each_section_and_a_missing_one_records_nothing(site: Site) -> None:
    """R-SHR-3: one text per GB/T 39335 section, linked to a purpose (or an agreement); a blank
    section is refused by the capability and nothing is recorded."""
    sharing, officer = site.inst.capability(Sharing), _officer(site)
    today = site.inst.gate.today()
    site.clock.advance(timedelta(seconds=31))
    c = client(site, "officer")
    form = {
        "link": "purpose:public_disclosure",
        "conclusion": "acceptable_with_measures",
        "reviewer": "个人信息保护负责人",
        "assessed_on": today.isoformat(),
        "valid_until": (today + timedelta(days=365)).isoformat(),
        **{f"section.{name}": text for name, text in SECTIONS.items()},
    }
    blank = _post(c, "/assessments", {**form, "section.residual_risk": " "})
    assert "residual_risk" in _flashed_error(blank.text)
    assert sharing.assessments(officer) == []

    done = _post(c, "/assessments", form)
    [pia] = sharing.assessments(officer)
    assert pia.purpose == "public_disclosure" and pia.version == 1 and pia.sections == SECTIONS
    assert pia.conclusion == "acceptable_with_measures" and "采取措施后可接受" in done.text
    _post(c, "/assessments", form)
    assert sorted(a.version for a in sharing.assessments(officer)) == [1, 2]


@pytest.mark.req("R-DST-1")
def test_a_pending_deletion_notice_is_acknowledged_from_its_button(site: Site) -> None:
    """A partner that received a customer's data is sent a deletion notice when the consent the
    share rested on is withdrawn; the officer records the partner's confirmation on the page."""
    agreement_id, officer = _agreement(site)
    sharing = site.inst.capability(Sharing)
    site.clock.advance(timedelta(seconds=31))
    name, password, code = site.creds("sharing_officer")
    login = site.inst.access.login(name, password, code)
    sharer = RequestContext(site.inst.access.authenticate(login.token), "", client="test")
    sharing.share(sharer, agreement_id, fields=["mobile"], customers=[site.customer_id])
    site.inst.capability(Consent).withdraw(
        RequestContext(BOOT, "service", client="test"),
        site.customer_id,
        None,
        kind="provision",
        channel="app",
    )
    [notice] = sharing.notices(officer, pending=True)
    site.clock.advance(timedelta(seconds=31))
    c = client(site, "officer")
    text = _page(c)
    assert f'data-notice="{notice["id"]}"' in text and f"/sharing/notices/{notice['id']}/ack" in text
    done = _post(c, f"/notices/{notice['id']}/ack", {})
    assert "已记录合作方的删除确认" in done.text and f'data-notice="{notice["id"]}"' not in done.text
    assert sharing.notices(officer, pending=True) == []
    again = c.post(f"/console/sharing/notices/{notice['id']}/ack", data={"csrf": csrf(done.text)})
    assert _flashed_error(again.text) == "acknowledged already"


@pytest.mark.req("R-SHR-8")
def test_the_disclosure_form_downloads_the_desensitised_zip_once_and_a_pseudonym_discloses_nothing(
    site: Site,
) -> None:
    """R-SHR-8: a sharing officer discloses from the page: the ZIP holds the desensitised rows and
    the signed manifest, like a share's download; a pseudonymising rule is refused and nothing is
    logged."""
    sharing, officer = site.inst.capability(Sharing), _officer(site)
    today = site.inst.gate.today()
    sharing.add_assessment(
        officer,
        sections=SECTIONS,
        conclusion="acceptable",
        reviewer="DPO",
        assessed_on=today,
        valid_until=today + timedelta(days=30),
        purpose="public_disclosure",
    )
    consent = site.inst.capability(Consent)
    setup = RequestContext(SETUP, "", client="test")
    if not consent.notices(setup):
        _, zh, en = shipped_notice("privacy")
        consent.publish_notice(setup, zh, en, title="Privacy notice")
    consent.grant(
        setup, site.customer_id, ["public_disclosure"], channel="app", kinds=["general", "public_disclosure"]
    )
    site.clock.advance(timedelta(seconds=31))
    c = client(site, "sharing_officer")
    form = {
        "purpose": "public_disclosure",
        "medium": "官网中奖名单公示",
        "fields": "name: mask\naddress: generalise to=city",
        "customers": site.customer_id,
        "format": "csv",
    }
    refused = _post(c, "/disclosures", {**form, "fields": "name: pseudonymise"})
    assert "no recipient to key a pseudonym" in _flashed_error(refused.text)
    assert sharing.transfers(officer) == []

    got = _post(c, "/disclosures", form)
    assert got.headers["content-type"] == "application/zip" and got.headers["cache-control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        names = sorted(archive.namelist())
        content = archive.read(next(n for n in names if n.endswith(".csv"))).decode()
        signed = json.loads(archive.read(next(n for n in names if n.endswith(".manifest.json"))))
    [row] = list(csv.DictReader(io.StringIO(content)))
    assert row["name"] != ADULT["name"] and ADULT["name"] not in content and ADULT["address"] not in content
    assert signed["manifest"]["kind"] == "disclosure" and signed["manifest"]["count"] == 1
    [log] = sharing.transfers(officer)
    assert log["id"] == signed["manifest"]["transfer_id"] and log["kind"] == "disclosure"
