"""The privacy centre's pages through HTTP (TestClient): sign-in without enumeration, the masked
data and the step-up reveal, consents, requests, the access history, sessions and hardening."""

from __future__ import annotations

import re
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from piguard.consent import shipped_notice
from piguard.consent.capability import Consent
from piguard.gate import RequestContext
from piguard.gate.principals import customer_actor
from piguard.outbox import Outbox
from piguard.rights import Rights
from tests.access.conftest import ADULT
from tests.privacy.conftest import last_code
from tests.web.conftest import BOOT, Site


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def sign_in(site: Site, identifier: str = ADULT["mobile"]) -> TestClient:
    c = TestClient(site.app, base_url="https://testserver")
    token = _csrf(c.get("/privacy/").text)
    r = c.post("/privacy/sign-in", data={"csrf": token, "identifier": identifier}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = c.get("/privacy/code")
    r = c.post(
        "/privacy/code", data={"csrf": _csrf(page.text), "code": last_code(site)}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    assert "pg_privacy" in c.cookies
    return c


@pytest.mark.req("R-RGT-2")
def test_sign_in_answers_the_same_for_known_and_unknown_identifiers(site: Site) -> None:
    """R-RGT-2: the answer to a sign-in does not say whether the identifier is on record."""
    answers = []
    for identifier in (ADULT["mobile"], "13912345678", ADULT["email"], "nobody@example.org"):
        c = TestClient(site.app, base_url="https://testserver")
        token = _csrf(c.get("/privacy/").text)
        r = c.post("/privacy/sign-in", data={"csrf": token, "identifier": identifier}, follow_redirects=False)
        page = c.get("/privacy/code")
        body = re.sub(r'value="[^"]+"', 'value=""', page.text)
        answers.append((r.status_code, r.headers["location"], sorted(r.cookies.keys()), body))
    assert answers[0] == answers[1]
    assert answers[2] == answers[3]
    # Only the known identifiers got a message queued.
    assert len(site.inst.capability(Outbox).list(RequestContext(BOOT, "", client="test"))) == 2


@pytest.mark.req("R-RGT-2")
def test_an_unknown_identifiers_challenge_never_signs_in(site: Site) -> None:
    """R-RGT-2: a challenge for an identifier on no record refuses every code."""
    c = TestClient(site.app, base_url="https://testserver")
    token = _csrf(c.get("/privacy/").text)
    c.post("/privacy/sign-in", data={"csrf": token, "identifier": "13912345678"}, follow_redirects=False)
    for guess in ("000000", "123456"):
        r = c.post("/privacy/code", data={"csrf": token, "code": guess}, follow_redirects=False)
        assert r.status_code == 403
    assert "pg_privacy" not in c.cookies


@pytest.mark.req("R-RGT-2")
def test_wrong_codes_are_limited_and_sign_ins_rate_limited(site: Site) -> None:
    """R-RGT-2: five wrong codes void a challenge (the right one then fails); sign-ins per
    identifier are limited per hour (database counters)."""
    c = TestClient(site.app, base_url="https://testserver")
    token = _csrf(c.get("/privacy/").text)
    c.post("/privacy/sign-in", data={"csrf": token, "identifier": ADULT["mobile"]}, follow_redirects=False)
    good = last_code(site)
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(5):
        assert c.post("/privacy/code", data={"csrf": token, "code": wrong}).status_code == 403
    assert c.post("/privacy/code", data={"csrf": token, "code": good}).status_code == 403
    statuses = []
    for _ in range(6):
        r = c.post(
            "/privacy/sign-in", data={"csrf": token, "identifier": ADULT["mobile"]}, follow_redirects=False
        )
        statuses.append(r.status_code)
    assert (
        statuses[-1] == 429 and statuses.count(303) == 4
    )  # five sign-ins an hour, this one's first included


@pytest.mark.req("R-RGT-1", "R-RGT-2")
def test_data_is_masked_and_one_field_is_shown_after_a_fresh_code(site: Site) -> None:
    """R-RGT-1, R-RGT-2: the customer's data masked by default; "show" needs a fresh code, once."""
    c = sign_in(site)
    page = c.get("/privacy/data")
    assert page.status_code == 200
    assert ADULT["mobile"] not in page.text and ADULT["resident_id"] not in page.text
    assert "138****8000" in page.text
    token = _csrf(page.text)
    r = c.post(
        "/privacy/data/show",
        data={"csrf": token, "record_type": "customer", "record_id": site.customer_id, "field": "mobile"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    wrong = "999999" if last_code(site) != "999999" else "111111"
    r = c.post("/privacy/data/verify", data={"csrf": token, "code": wrong})
    assert r.status_code == 403 and ADULT["mobile"] not in r.text
    # A wrong try does not void the code; the right one shows the value once.
    r = c.post("/privacy/data/verify", data={"csrf": token, "code": last_code(site)})
    assert r.status_code == 200 and ADULT["mobile"] in r.text
    assert ADULT["mobile"] not in str(r.url)
    again = c.post("/privacy/data/verify", data={"csrf": token, "code": last_code(site)})
    assert again.status_code == 403
    actions = [e.action for e in site.inst.audit.query(actor=f"customer:{site.customer_id}", limit=100)]
    assert "privacy_reveal" in actions and "privacy_profile" in actions


@pytest.mark.req("R-COL-6", "R-COL-9")
def test_withdraw_and_regrant_a_consent(site: Site) -> None:
    """R-COL-6: one click withdraws, one re-grants; R-COL-9: the marketing switches."""
    setup = RequestContext(BOOT, "", client="test")
    consent = site.inst.capability(Consent)
    _, zh, en = shipped_notice("privacy")
    consent.publish_notice(setup, zh, en, title="Privacy notice")
    consent.grant(setup, site.customer_id, ["marketing"], channel="app")
    c = sign_in(site)
    page = c.get("/privacy/consents")
    assert 'id="withdraw-marketing-general"' in page.text
    assert 'class="notice" data-version="1"' in page.text  # the notice in force, and its version
    token = _csrf(page.text)
    form = {"csrf": token, "purpose": "marketing", "kind": "general"}
    c.post("/privacy/consents", data={**form, "action": "withdraw"})
    assert not consent.ledger.state(site.customer_id).has("general", "marketing")
    page = c.get("/privacy/consents")
    assert 'id="grant-marketing-general"' in page.text
    c.post("/privacy/consents", data={**form, "action": "grant"})
    assert consent.ledger.state(site.customer_id).has("general", "marketing")
    c.post("/privacy/marketing", data={"csrf": token, "opt_out": "1"})
    assert consent.ledger.state(site.customer_id).marketing.opt_out
    entries = site.inst.audit.query(actor=f"customer:{site.customer_id}", limit=100)
    assert {"consent_withdraw", "consent_grant", "marketing_set"} <= {e.action for e in entries}


@pytest.mark.req("R-RGT-1", "R-RGT-3")
def test_file_a_request_and_see_its_due_date(site: Site) -> None:
    """R-RGT-1, R-RGT-3: a request filed by the customer, listed with its status and due date."""
    c = sign_in(site)
    token = _csrf(c.get("/privacy/requests").text)
    r = c.post("/privacy/requests", data={"csrf": token, "type": "access"})
    assert r.status_code == 200 and 'class="due"' in r.text
    case_id = re.search(r"/privacy/requests/(req_[0-9a-f]+)", r.text)
    assert case_id
    detail = c.get(f"/privacy/requests/{case_id.group(1)}")
    assert detail.status_code == 200 and 'class="due"' in detail.text


@pytest.mark.req("R-RGT-1")
def test_access_history_shows_roles_not_names(site: Site) -> None:
    """R-RGT-1: who accessed the customer's data, by role and purpose."""
    c = sign_in(site)
    page = c.get("/privacy/history")
    assert page.status_code == 200 and "<table>" in page.text


@pytest.mark.req("R-USE-1")
def test_another_customers_ids_are_refused_on_every_route(site: Site) -> None:
    """R-USE-1: a signed-in customer reaches nothing of another customer's by id."""
    other = site.inst.service.create(
        RequestContext(BOOT, "service", client="test"), "customer", {"name": "张三", "mobile": "13700137000"}
    ).customer_id
    ctx = RequestContext(customer_actor(other), "", client="test")
    other_case = site.inst.capability(Rights).open(ctx, other, "access", channel="web").id
    c = sign_in(site)
    assert c.get(f"/privacy/requests/{other_case}").status_code == 403
    token = _csrf(c.get("/privacy/data").text)
    r = c.post(
        "/privacy/data/show",
        data={"csrf": token, "record_type": "customer", "record_id": other, "field": "mobile"},
        follow_redirects=False,
    )
    assert r.status_code == 404 and "13700137000" not in r.text
    assert c.get("/privacy/data").text.count(other) == 0


@pytest.mark.req("R-RGT-2")
def test_sign_out_everywhere_ends_every_session(site: Site) -> None:
    """R-RGT-2: sessions live in the database and are revocable everywhere."""
    first = sign_in(site)
    second = sign_in(site)
    token = _csrf(first.get("/privacy/").text)
    first.post("/privacy/sign-out", data={"csrf": token, "everywhere": "1"})
    assert "sign-in" in second.get("/privacy/").text


def test_hardening_headers_csrf_and_staff_routes(site: Site) -> None:
    """The centre's own CSP, no-store; a POST without the CSRF token is refused; its cookie opens no
    console page."""
    c = sign_in(site)
    page = c.get("/privacy/data")
    assert "script-src" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert c.post("/privacy/requests", data={"type": "access"}).status_code == 403
    console = c.get("/console/search", follow_redirects=False)
    assert console.status_code == 303 and "/console/login" in console.headers["location"]
    assert ADULT["name"] not in page.text.split("<title>")[1].split("</title>")[0]


@pytest.mark.req("R-RGT-2")
def test_sessions_expire_when_idle_and_codes_after_ten_minutes(site: Site) -> None:
    """R-RGT-2: an idle session ends (the database row says so, on any node); a code expires."""
    from datetime import timedelta

    c = sign_in(site)
    assert 'id="nav-data"' in c.get("/privacy/").text
    site.clock.advance(timedelta(minutes=16))
    assert 'id="identifier"' in c.get("/privacy/").text
    assert c.get("/privacy/data", follow_redirects=False).status_code == 303
    fresh = TestClient(site.app, base_url="https://testserver")
    token = _csrf(fresh.get("/privacy/").text)
    fresh.post("/privacy/sign-in", data={"csrf": token, "identifier": ADULT["mobile"]})
    site.clock.advance(timedelta(minutes=11))
    assert fresh.post("/privacy/code", data={"csrf": token, "code": last_code(site)}).status_code == 403
    outcomes = [
        e.detail.get("outcome") for e in site.inst.audit.query(action="privacy_sign_in_verify", limit=10)
    ]
    assert outcomes[-1] == "code_expired"
