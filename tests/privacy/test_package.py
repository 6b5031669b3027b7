"""The access copy downloaded from the requests page: a fresh code, once, audited (R-RGT-1, R-RGT-2)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from piguard.gate import RequestContext
from piguard.rights import Rights
from piguard.rights.tables import packages
from tests.access.conftest import ADULT
from tests.privacy.conftest import last_code
from tests.privacy.test_browser import staff
from tests.privacy.test_pages import _csrf, sign_in
from tests.web.conftest import BOOT, Site


def _completed_access_request(site: Site) -> str:
    officer = staff(site, "officer")
    rights = site.inst.capability(Rights)
    from piguard.gate.principals import customer_context

    case = rights.open(
        customer_context(site.customer_id, client="privacy"), site.customer_id, "access", channel="web"
    )
    rights.verify(officer, case.id, in_person=True)
    rights.complete(officer, case.id)
    return case.id


@pytest.mark.req("R-RGT-1", "R-RGT-2")
def test_the_copy_downloads_once_after_a_fresh_code(site: Site) -> None:
    """R-RGT-1, R-RGT-2: a completed access request shows a download button; it sends a fresh
    code; a wrong code gives nothing; the right one gives the copy once (served from memory, not
    cached, no value in the URL); afterwards the button is gone and the same case gives nothing."""
    case_id = _completed_access_request(site)
    c = sign_in(site)
    page = c.get("/privacy/requests")
    assert 'class="download"' in page.text and case_id in page.text
    token = _csrf(page.text)
    r = c.post("/privacy/requests/download", data={"csrf": token, "case_id": case_id}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("/privacy/requests/download/verify")
    good = last_code(site)
    wrong = "000000" if good != "000000" else "111111"
    r = c.post("/privacy/requests/download/verify", data={"csrf": token, "code": wrong})
    assert r.status_code == 403 and ADULT["mobile"] not in r.text
    r = c.post("/privacy/requests/download/verify", data={"csrf": token, "code": good})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'attachment; filename="piguard-copy.json"'
    assert r.headers["cache-control"] == "no-store"
    doc = json.loads(r.text)
    assert doc["case"] == case_id and ADULT["mobile"] in r.text
    # Once: the code is spent, the copy blanked, the button gone, a new code refused.
    assert c.post("/privacy/requests/download/verify", data={"csrf": token, "code": good}).status_code == 403
    assert 'class="download"' not in c.get("/privacy/requests").text
    r = c.post("/privacy/requests/download", data={"csrf": token, "case_id": case_id}, follow_redirects=False)
    assert r.status_code == 404
    with site.inst.db.read() as conn:
        row = conn.execute(select(packages.c.content, packages.c.downloaded_at)).one()
    assert row.content == "" and row.downloaded_at is not None
    actor = f"customer:{site.customer_id}"
    actions = [e.action for e in site.inst.audit.query(actor=actor, limit=200)]
    assert {"privacy_package_code", "privacy_package", "rights_package_download"} <= set(actions)


@pytest.mark.req("R-USE-1", "R-RGT-2")
def test_another_session_or_customer_gets_no_copy(site: Site) -> None:
    """R-USE-1: a second session of the same customer cannot use the first one's challenge, and a
    case id of another customer sends no code."""
    case_id = _completed_access_request(site)
    first, second = sign_in(site), sign_in(site)
    token = _csrf(first.get("/privacy/requests").text)
    first.post("/privacy/requests/download", data={"csrf": token, "case_id": case_id}, follow_redirects=False)
    code = last_code(site)
    second.cookies.set("pg_privacy_pk", first.cookies.get("pg_privacy_pk") or "", path="/privacy")
    token2 = _csrf(second.get("/privacy/requests").text)
    r = second.post("/privacy/requests/download/verify", data={"csrf": token2, "code": code})
    assert r.status_code == 403 and ADULT["mobile"] not in r.text
    r = second.post(
        "/privacy/requests/download",
        data={"csrf": token2, "case_id": "req_" + "0" * 20},
        follow_redirects=False,
    )
    assert r.status_code == 404
    assert re.search(r"rights_package_download", str(site.inst.audit.query(limit=300))) is None


@pytest.mark.req("R-RGT-1", "R-USE-1")
def test_the_waiting_copies_are_looked_up_through_the_gate(site: Site) -> None:
    """R-RGT-1, R-USE-1: which copies wait is a declared operation (``privacy_ready``): each look
    from the requests page is recorded with the customer as actor and subject, and a session's
    look run as another customer is refused by the row scope, recorded under the same name."""
    from piguard.errors import AccessDenied
    from piguard.gate.principals import customer_context
    from piguard.privacy import Privacy

    case_id = _completed_access_request(site)
    c = sign_in(site)
    assert case_id in c.get("/privacy/requests").text
    entries = site.inst.audit.query(action="privacy_ready", limit=10)
    assert [(e.actor_id, e.decision, e.detail.get("count")) for e in entries] == [
        (f"customer:{site.customer_id}", "allow", 1)
    ]
    session = site.inst.capability(Privacy).session(c.cookies.get("pg_privacy"))
    assert session is not None
    other = site.inst.service.create(
        RequestContext(BOOT, "service", client="test"), "customer", {"name": "张三", "mobile": "13700137000"}
    ).customer_id
    stranger = customer_context(other, "", client="privacy")
    with pytest.raises(AccessDenied):
        site.inst.capability(Privacy).ready(stranger, session)
    refused = site.inst.audit.query(action="privacy_ready", limit=10)[-1]
    assert refused.decision == "deny" and refused.actor_id == f"customer:{other}"
