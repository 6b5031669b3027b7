"""Canary: the privacy centre leaves no one-time code and no PI in plaintext in the database
files, the logs, the audit trail or any URL (R-STO-1, R-AUD-1)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.access.conftest import ADULT
from tests.privacy.conftest import last_code
from tests.privacy.test_pages import _csrf, sign_in
from tests.web.conftest import Site


def _database_bytes(home: Path) -> bytes:
    """Every file of the home but the outbox's file channel (which is the message, by design)."""
    out = b""
    for path in sorted(home.rglob("*")):
        if path.is_file() and "outbox" not in path.parts:
            out += path.read_bytes()
    return out


@pytest.mark.req("R-STO-1", "R-AUD-1")
def test_no_code_or_pi_in_the_database_logs_trail_or_urls(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """R-STO-1, R-AUD-1: codes are kept as keyed digests, identifiers as keyed digests, values sealed."""
    caplog.set_level(logging.DEBUG)
    urls: list[str] = []
    c = sign_in(site, ADULT["email"])
    codes = [last_code(site)]
    page = c.get("/privacy/data")
    token = _csrf(page.text)
    c.post(
        "/privacy/data/show",
        data={"csrf": token, "record_type": "customer", "record_id": site.customer_id, "field": "mobile"},
    )
    codes.append(last_code(site))
    shown = c.post("/privacy/data/verify", data={"csrf": token, "code": codes[-1]})
    assert ADULT["mobile"] in shown.text  # the canary was really handled
    urls.append(str(shown.url))
    site.inst.close()  # checkpoint the WAL into the file
    raw = _database_bytes(site.inst.settings.home)
    trail = "\n".join(str(e.as_dict()) for e in site.inst.audit.query(limit=100_000))
    for canary in (ADULT["mobile"], ADULT["email"], ADULT["name"], *codes):
        assert canary.encode() not in raw, canary
        assert canary not in caplog.text, canary
        assert canary not in trail, canary
        assert all(canary not in u for u in urls), canary


@pytest.mark.req("R-STO-1", "R-AUD-1", "R-MIN-1")
def test_no_guardian_identity_copy_or_code_in_the_database_logs_trail_or_urls(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """R-STO-1, R-AUD-1: a guardian signs in, shows a field, gives a consent and files a request
    (the guardian's name and ID number go into the consent's keyed reference and the case's sealed
    requester); a customer downloads a copy after a fresh code. Neither the values nor any code
    is in the database files, the logs, the trail or a URL."""
    from piguard.consent import shipped_notice
    from piguard.consent.capability import Consent
    from piguard.gate import RequestContext
    from tests.privacy.test_guardian import CHILD, guardian_sign_in
    from tests.privacy.test_package import _completed_access_request
    from tests.web.conftest import BOOT

    caplog.set_level(logging.DEBUG)
    setup = RequestContext(BOOT, "", client="test")
    consent = site.inst.capability(Consent)
    for kind in ("privacy", "children"):
        _, zh, en = shipped_notice(kind)
        consent.publish_notice(setup, zh, en, title=f"{kind} notice", kind=kind)
    g, child = guardian_sign_in(site)
    codes = [last_code(site)]
    urls: list[str] = []
    token = _csrf(g.get("/privacy/data").text)
    show = {"csrf": token, "record_type": "customer", "record_id": child, "field": "guardian_resident_id"}
    g.post("/privacy/data/show", data=show)
    codes.append(last_code(site))
    shown = g.post("/privacy/data/verify", data={"csrf": token, "code": codes[-1]})
    assert CHILD["guardian_resident_id"] in shown.text
    urls.append(str(shown.url))
    r = g.post(
        "/privacy/consents",
        data={"csrf": token, "purpose": "marketing", "kind": "general", "action": "grant"},
    )
    assert r.status_code == 200
    r = g.post("/privacy/requests", data={"csrf": token, "type": "access"})
    assert r.status_code == 200
    urls += [str(r.url), *(str(h.url) for h in r.history)]
    case_id = _completed_access_request(site)
    c = sign_in(site)
    codes.append(last_code(site))
    token = _csrf(c.get("/privacy/requests").text)
    c.post("/privacy/requests/download", data={"csrf": token, "case_id": case_id})
    codes.append(last_code(site))
    copy = c.post("/privacy/requests/download/verify", data={"csrf": token, "code": codes[-1]})
    assert copy.status_code == 200 and ADULT["mobile"] in copy.text
    urls.append(str(copy.url))
    site.inst.close()
    raw = _database_bytes(site.inst.settings.home)
    trail = "\n".join(str(e.as_dict()) for e in site.inst.audit.query(limit=100_000))
    canaries = (
        CHILD["guardian_resident_id"], CHILD["guardian_name"], CHILD["guardian_mobile"], CHILD["mobile"],
        CHILD["name"], ADULT["mobile"], ADULT["name"], *codes,
    )  # fmt: skip
    for canary in canaries:
        assert canary.encode() not in raw, canary
        assert canary not in caplog.text, canary
        assert canary not in trail, canary
        assert all(canary not in u for u in urls), canary
