"""A guardian acting for a child under 14 in the privacy centre: every consent the guardian gives
carries the guardian's evidence, and every request is filed as the guardian's (R-MIN-1, R-MIN-3,
R-COL-6, PIPL 31, Minors Regs 33)."""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import pytest
from sqlalchemy import select

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from piguard.consent import shipped_notice
from piguard.consent.capability import Consent
from piguard.gate import RequestContext
from piguard.rights import Rights
from piguard.rights.tables import cases
from tests.access.conftest import ADULT
from tests.privacy.conftest import last_code
from tests.privacy.test_browser import staff
from tests.privacy.test_minors import MINOR
from tests.privacy.test_pages import _csrf, sign_in
from tests.web.conftest import BOOT, Site

#: The guardian on the child's record (a valid resident ID, the father's).
GUARDIAN_ID = "310104198001011239"
CHILD = {**MINOR, "guardian_mobile": "13600136000", "guardian_resident_id": GUARDIAN_ID}


def _notices(site: Site) -> Consent:
    setup = RequestContext(BOOT, "", client="test")
    consent = site.inst.capability(Consent)
    for kind in ("privacy", "children"):
        _, zh, en = shipped_notice(kind)
        consent.publish_notice(setup, zh, en, title=f"{kind} notice", kind=kind)
    return consent


def guardian_sign_in(site: Site, values: dict[str, Any] = CHILD) -> tuple[TestClient, str]:
    """The child's record, then the guardian's sign-in with the code sent to the guardian's mobile."""
    ctx = RequestContext(BOOT, "service", client="test")
    child = site.inst.service.create(ctx, "customer", values).customer_id
    c = TestClient(site.app, base_url="https://testserver")
    token = _csrf(c.get("/privacy/").text)
    c.post("/privacy/sign-in", data={"csrf": token, "identifier": values["mobile"], "guardian": "1"})
    page = c.get("/privacy/code")
    r = c.post(
        "/privacy/code", data={"csrf": _csrf(page.text), "code": last_code(site)}, follow_redirects=False
    )
    assert r.status_code == 303 and "pg_privacy" in c.cookies
    return c, child


def _consent_form(c: TestClient, action: str, purpose: str = "marketing") -> Any:
    token = _csrf(c.get("/privacy/consents").text)
    return c.post(
        "/privacy/consents", data={"csrf": token, "purpose": purpose, "kind": "general", "action": action}
    )


@pytest.mark.req("R-MIN-1", "R-COL-6")
def test_a_guardians_grant_carries_the_guardians_evidence(site: Site) -> None:
    """R-MIN-1, R-COL-6: the guardian withdraws the child's marketing consent and grants it again
    from the privacy centre; the new grant is recorded with the guardian's relationship and the
    keyed reference of the guardian's ID number on the child's record (never the number)."""
    consent = _notices(site)
    c, child = guardian_sign_in(site)
    guardian = consent.guardian("father", GUARDIAN_ID)
    setup = RequestContext(BOOT, "", client="test")
    consent.grant(setup, child, ["marketing"], channel="app", guardian=guardian)
    assert _consent_form(c, "withdraw").status_code == 200
    assert not consent.ledger.state(child).has("general", "marketing")
    r = _consent_form(c, "grant")
    assert r.status_code == 200 and 'role="status"' in r.text, r.text
    assert consent.ledger.state(child).has("general", "marketing")
    newest = [rec for rec in consent.ledger.history(child) if rec.action == "grant"][-1]
    assert newest.guardian == guardian
    assert newest.channel == "privacy_centre"
    assert GUARDIAN_ID not in json.dumps(newest.as_dict(), default=str)
    entries = site.inst.audit.query(action="privacy_guardian", limit=10)
    assert [(e.actor_id, e.client, e.detail.get("outcome")) for e in entries] == [
        (f"customer:{child}", "privacy_guardian", "on_record")
    ]


@pytest.mark.req("R-MIN-1")
def test_no_grant_for_a_child_without_the_guardians_identity_on_record(site: Site) -> None:
    """R-MIN-1 (PIPL 31): without the guardian's ID number on the child's record there is no
    guardian evidence, so the privacy centre records no grant and says why; withdrawing still works."""
    consent = _notices(site)
    values = {k: v for k, v in CHILD.items() if k != "guardian_resident_id"}
    c, child = guardian_sign_in(site, values)
    r = _consent_form(c, "grant")
    assert r.status_code == 403 and 'id="guardian-incomplete"' in r.text
    assert not consent.ledger.state(child).has("general", "marketing")
    assert [rec for rec in consent.ledger.history(child) if rec.action == "grant"] == []


@pytest.mark.req("R-MIN-1")
def test_a_childs_own_session_ends_once_the_child_is_known_to_be_under_14(site: Site) -> None:
    """R-MIN-1: a customer signed in on their own whose recorded birth date then shows them under
    14 cannot act alone: the session ends (their guardian signs in instead), nothing is granted."""
    consent = _notices(site)
    c = sign_in(site)
    consent_rows = c.get("/privacy/consents")
    assert consent_rows.status_code == 200
    token = _csrf(consent_rows.text)
    ctx = RequestContext(BOOT, "service", client="test")
    site.inst.service.update(
        ctx, "customer", site.customer_id,
        {"birth_date": "2016-05-01", "guardian_name": "欧阳大明", "guardian_relation": "father"},
    )  # fmt: skip
    assert site.inst.consent.age_band(site.customer_id) == "under14"
    r = c.post(
        "/privacy/consents",
        data={"csrf": token, "purpose": "marketing", "kind": "general", "action": "grant"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/privacy/"
    assert c.get("/privacy/data", follow_redirects=False).status_code == 303
    assert not consent.ledger.state(site.customer_id).has("general", "marketing")


@pytest.mark.req("R-MIN-3", "R-RGT-1")
def test_a_guardians_request_is_filed_as_the_guardians(site: Site) -> None:
    """R-MIN-3 (Minors Regs 33): a request the guardian files is recorded with relation guardian,
    the relationship (a father is a parent) and the guardian's name and ID number sealed in the
    case, as the rights desk's intake records it; the entry says a guardian asked."""
    c, child = guardian_sign_in(site)
    token = _csrf(c.get("/privacy/requests").text)
    r = c.post("/privacy/requests", data={"csrf": token, "type": "access"})
    assert r.status_code == 200 and 'class="due"' in r.text
    officer = staff(site, "officer")
    rights = site.inst.capability(Rights)
    found = rights.find(officer, customer_id=child)
    assert [(k.relation, k.relationship, k.channel) for k in found] == [("guardian", "parent", "web")]
    with site.inst.db.read() as conn:
        sealed = conn.execute(select(cases.c.requester).where(cases.c.id == found[0].id)).scalar()
    assert sealed and GUARDIAN_ID not in sealed and CHILD["guardian_name"] not in sealed
    assert rights._requester_name({"id": found[0].id, "requester": sealed}) == CHILD["guardian_name"]
    opened = site.inst.audit.query(action="rights_open", limit=10)[-1]
    assert opened.detail["relation"] == "guardian" and opened.client == "privacy_guardian"
    # A customer's own request stays their own.
    own = sign_in(site, ADULT["mobile"])
    own.post("/privacy/requests", data={"csrf": _csrf(own.get("/privacy/requests").text), "type": "access"})
    mine = rights.find(officer, customer_id=site.customer_id)
    assert [(k.relation, k.relationship) for k in mine] == [("self", None)]


@pytest.mark.req("R-MIN-3")
def test_no_request_as_guardian_without_the_guardians_identity_on_record(site: Site) -> None:
    """R-MIN-3: without the guardian's name or ID number on the child's record the request is
    not filed as the child's own: the page says to ask at the counter, and no case is opened."""
    values = {k: v for k, v in CHILD.items() if k != "guardian_resident_id"}
    c, child = guardian_sign_in(site, values)
    token = _csrf(c.get("/privacy/requests").text)
    r = c.post("/privacy/requests", data={"csrf": token, "type": "access"})
    assert r.status_code == 403 and 'id="guardian-incomplete"' in r.text
    assert site.inst.capability(Rights).find(staff(site, "officer"), customer_id=child) == []
    assert re.search(r"req_[0-9a-f]{20}", r.text) is None
