"""Consents in the privacy centre: separate consents listed apart, withdrawn and given again with
one click each (R-COL-4, R-COL-6, PIPL 15, 23, 29)."""

from __future__ import annotations

import re

import pytest

from piguard.consent import shipped_notice
from piguard.consent.capability import Consent
from piguard.gate import RequestContext
from tests.privacy.test_pages import _csrf, sign_in
from tests.web.conftest import BOOT, Site


def _separate_section(html: str) -> str:
    """The part of the consents page under the "separate consents" heading."""
    found = re.search(r'<h2 id="separate">.*?</table>', html, flags=re.S)
    assert found, "no separate consents section"
    return found.group(0)


@pytest.mark.req("R-COL-4", "R-COL-6")
def test_separate_consents_are_listed_apart_and_given_again_with_their_recipient(site: Site) -> None:
    """R-COL-4, R-COL-6: a purpose that needs a separate consent is listed under its own heading
    even before it is given; a separate consent naming a recipient (provision, PIPL 23) stays
    listed once withdrawn and is given again with one click, naming the same recipient (never one
    the form supplies)."""
    setup = RequestContext(BOOT, "", client="test")
    consent = site.inst.capability(Consent)
    _, zh, en = shipped_notice("privacy")
    consent.publish_notice(setup, zh, en, title="Privacy notice")
    cid = site.customer_id
    consent.grant(setup, cid, ["partner_provision"], channel="app", kinds=("general", "provision"),
                  recipient="上海某某物流有限公司")  # fmt: skip
    c = sign_in(site)
    page = c.get("/privacy/consents").text
    separate = _separate_section(page)
    assert 'id="withdraw-partner_provision-provision"' in separate
    # Never given, and naming no recipient: listed apart, ready to be given.
    assert 'id="grant-public_disclosure-public_disclosure"' in separate
    assert 'id="withdraw-partner_provision-general"' not in separate
    token = _csrf(page)
    form = {"csrf": token, "purpose": "partner_provision", "kind": "provision"}
    c.post("/privacy/consents", data={**form, "action": "withdraw"})
    assert not consent.ledger.state(cid).has("provision", "partner_provision")
    assert consent.ledger.state(cid).has("general", "partner_provision")
    separate = _separate_section(c.get("/privacy/consents").text)
    assert 'id="grant-partner_provision-provision"' in separate
    r = c.post("/privacy/consents", data={**form, "action": "grant", "recipient": "别的公司"})
    assert r.status_code == 200
    assert consent.ledger.state(cid).has("provision", "partner_provision")
    newest = [x for x in consent.ledger.history(cid) if x.action == "grant" and x.kind == "provision"][-1]
    assert newest.recipient == "上海某某物流有限公司" and newest.channel == "privacy_centre"
    c.post(
        "/privacy/consents",
        data={"csrf": token, "purpose": "public_disclosure", "kind": "public_disclosure", "action": "grant"},
    )
    assert consent.ledger.state(cid).has("public_disclosure", "public_disclosure")


@pytest.mark.req("R-COL-6")
def test_a_separate_consent_naming_no_known_recipient_is_not_offered(site: Site) -> None:
    """R-COL-6 with PIPL 23: a provision consent names its recipient; one never given has none on
    record, so the centre offers no button that would record a nameless one, and refuses the post."""
    setup = RequestContext(BOOT, "", client="test")
    consent = site.inst.capability(Consent)
    _, zh, en = shipped_notice("privacy")
    consent.publish_notice(setup, zh, en, title="Privacy notice")
    c = sign_in(site)
    page = c.get("/privacy/consents").text
    assert 'id="grant-partner_provision-provision"' not in page
    token = _csrf(page)
    r = c.post(
        "/privacy/consents",
        data={"csrf": token, "purpose": "partner_provision", "kind": "provision", "action": "grant"},
    )
    assert r.status_code == 400
    assert not consent.ledger.state(site.customer_id).has("provision", "partner_provision")
