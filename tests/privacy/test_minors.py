"""A child under 14 does not sign in to the privacy centre alone (R-MIN-1, PIPL 31)."""

from __future__ import annotations

import re
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from piguard.gate import RequestContext
from piguard.outbox import Outbox
from tests.access.conftest import ADULT
from tests.privacy.test_pages import _csrf
from tests.web.conftest import BOOT, Site

#: Under 14 on the site's day (2026-03-02).
MINOR = {
    **ADULT,
    "name": "王小明",
    "birth_date": "2016-05-01",
    "resident_id": "310104201605011373",
    "mobile": "13900139000",
    "email": "xiaoming@example.org",
    "guardian_name": "王大明",
    "guardian_relation": "father",
}


def _start(site: Site, identifier: str) -> tuple[TestClient, tuple[int, str, list[str], str]]:
    c = TestClient(site.app, base_url="https://testserver")
    token = _csrf(c.get("/privacy/").text)
    r = c.post("/privacy/sign-in", data={"csrf": token, "identifier": identifier}, follow_redirects=False)
    page = c.get("/privacy/code")
    body = re.sub(r'value="[^"]+"', 'value=""', page.text)
    return c, (r.status_code, r.headers["location"], sorted(r.cookies.keys()), body)


@pytest.mark.req("R-MIN-1")
def test_a_child_under_14_gets_no_code_and_the_same_answer(site: Site) -> None:
    """R-MIN-1: the consent ledger says the customer is under 14: their own identifier is answered
    exactly like an unknown one, no code is queued, no code opens a session; an adult's still is."""
    ctx = RequestContext(BOOT, "service", client="test")
    minor = site.inst.service.create(ctx, "customer", MINOR).customer_id
    assert site.inst.consent.age_band(minor) == "under14"
    box = site.inst.capability(Outbox)
    setup = RequestContext(BOOT, "", client="test")
    before = len(box.list(setup))
    c, child = _start(site, MINOR["mobile"])
    _, unknown = _start(site, "13912345678")
    assert child == unknown
    assert len(box.list(setup)) == before
    for guess in ("000000", "123456"):
        token = _csrf(c.get("/privacy/code").text)
        assert c.post("/privacy/code", data={"csrf": token, "code": guess}).status_code == 403
    assert "pg_privacy" not in c.cookies
    entries = site.inst.audit.query(action="privacy_sign_in", limit=10)
    assert [e.detail.get("outcome") for e in entries].count("minor") == 1
    _start(site, ADULT["mobile"])
    assert len(box.list(setup)) == before + 1


@pytest.mark.req("R-MIN-1")
def test_a_guardian_signs_in_for_the_child_and_acts_as_the_guardian(site: Site) -> None:
    """R-MIN-1 (PIPL 31): the guardian states the child's identifier and ticks "guardian"; the code
    goes to the guardian's mobile on the child's record (never the child's); the session shows the
    child's data, says it acts for the child, and every entry reads guardian-for-child (the child's
    principal, the guardian's client). The same box for an adult sends nothing."""
    from sqlalchemy import select

    from piguard.outbox.tables import messages
    from tests.privacy.conftest import last_code

    ctx = RequestContext(BOOT, "service", client="test")
    minor = site.inst.service.create(ctx, "customer", {**MINOR, "guardian_mobile": "13600136000"}).customer_id
    box = site.inst.capability(Outbox)
    setup = RequestContext(BOOT, "", client="test")
    before = len(box.list(setup))
    # An adult's identifier with the guardian box: nothing sent, the same answer as unknown.
    c = TestClient(site.app, base_url="https://testserver")
    token = _csrf(c.get("/privacy/").text)
    c.post("/privacy/sign-in", data={"csrf": token, "identifier": ADULT["mobile"], "guardian": "1"})
    assert len(box.list(setup)) == before
    c = TestClient(site.app, base_url="https://testserver")
    token = _csrf(c.get("/privacy/").text)
    r = c.post(
        "/privacy/sign-in",
        data={"csrf": token, "identifier": MINOR["mobile"], "guardian": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with site.inst.db.read() as conn:
        rows = conn.execute(
            select(messages.c.channel, messages.c.to_field).where(messages.c.customer_id == minor)
        ).all()
    assert [tuple(r) for r in rows] == [("sms", "guardian_mobile")]
    page = c.get("/privacy/code")
    r = c.post(
        "/privacy/code", data={"csrf": _csrf(page.text), "code": last_code(site)}, follow_redirects=False
    )
    assert r.status_code == 303 and "pg_privacy" in c.cookies
    data = c.get("/privacy/data")
    assert data.status_code == 200 and 'id="acting-guardian"' in data.text and "王小明" not in data.text
    entries = site.inst.audit.query(action="privacy_profile", limit=10)
    assert [(e.actor_id, e.client) for e in entries] == [(f"customer:{minor}", "privacy_guardian")]
    # A step-up code in the guardian's session goes to the guardian's mobile as well.
    r = c.post(
        "/privacy/data/show",
        data={"csrf": _csrf(data.text), "record_type": "customer", "record_id": minor, "field": "name"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with site.inst.db.read() as conn:
        rows = conn.execute(select(messages.c.to_field).where(messages.c.customer_id == minor)).all()
    assert [r[0] for r in rows] == ["guardian_mobile", "guardian_mobile"]
