"""Attacks on the privacy centre: another customer's ids on every route, revoked sessions on every
route, step-up codes replayed or moved to another field, kind or session, values in titles and
URLs, foreign origins, markup in values (R-USE-1, R-RGT-2, R-STO-1)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from piguard.consent import shipped_notice
from piguard.consent.capability import Consent
from piguard.gate import RequestContext
from piguard.rights import Rights
from tests.access.conftest import ADULT
from tests.privacy.conftest import last_code
from tests.privacy.test_pages import _csrf, sign_in
from tests.privacy.test_routes import SIGNED_IN
from tests.web.conftest import BOOT, XSS, Site

OTHER = {"name": "张三丰", "mobile": "13700137000", "email": "zhang.sf@example.net"}


def _other(site: Site) -> str:
    return site.inst.service.create(
        RequestContext(BOOT, "service", client="test"), "customer", OTHER
    ).customer_id


def _entries(site: Site) -> int:
    return len(site.inst.audit.query(limit=100_000))


def _no_other(r: Any, other: str) -> None:
    """Nothing of the other customer in an answer: no value, no id."""
    for value in (*OTHER.values(), other):
        assert value not in r.text, value
        assert value not in r.headers.get("location", ""), value


@pytest.mark.req("R-USE-1")
def test_every_route_with_another_customers_ids_reaches_nothing_of_theirs(site: Site) -> None:
    """R-USE-1: each signed-in route is tried by customer A with customer B's ids (a case, a record,
    a copy waiting, a pending challenge, a customer id smuggled into the form): every answer is a
    refusal or A's own page, none holds anything of B's, and B's consents, requests and sessions
    are as they were."""
    setup = RequestContext(BOOT, "", client="test")
    consent = site.inst.capability(Consent)
    _, zh, en = shipped_notice("privacy")
    consent.publish_notice(setup, zh, en, title="Privacy notice")
    other = _other(site)
    consent.grant(setup, other, ["marketing"], channel="app")
    rights = site.inst.capability(Rights)
    # B's completed access request: a copy waits for B, with a case id A could guess or be given.
    from piguard.gate.principals import customer_context
    from tests.privacy.test_browser import staff

    officer = staff(site, "officer")
    b_case = rights.open(customer_context(other, client="privacy"), other, "access", channel="web")
    rights.verify(officer, b_case.id, in_person=True)
    rights.complete(officer, b_case.id)
    # B is signed in and has pending step-up challenges of their own (reveal and download).
    b = sign_in(site, OTHER["mobile"])
    b_token = _csrf(b.get("/privacy/data").text)
    b.post("/privacy/data/show", data={"csrf": b_token, "record_type": "customer", "record_id": other,
                                       "field": "mobile"})  # fmt: skip
    b_reveal, b_reveal_code = b.cookies.get("pg_privacy_rv") or "", last_code(site)
    b.post("/privacy/requests/download", data={"csrf": b_token, "case_id": b_case.id})
    b_package, b_package_code = b.cookies.get("pg_privacy_pk") or "", last_code(site)
    before_b = (
        consent.ledger.state(other).has("general", "marketing"),
        len(rights.find(officer, customer_id=other)),
    )

    a = sign_in(site)
    token = _csrf(a.get("/privacy/data").text)

    def with_cookie(name: str, value: str) -> TestClient:
        a.cookies.set(name, value, path="/privacy")
        return a

    attacks: dict[tuple[str, str], Callable[[], Any]] = {
        ("GET", "/privacy/requests/{case_id}"): lambda: a.get(f"/privacy/requests/{b_case.id}"),
        ("POST", "/privacy/data/show"): lambda: a.post(
            "/privacy/data/show",
            data={"csrf": token, "record_type": "customer", "record_id": other, "field": "mobile"},
            follow_redirects=False,
        ),
        ("GET", "/privacy/data/verify"): lambda: with_cookie("pg_privacy_rv", b_reveal).get(
            "/privacy/data/verify"
        ),
        ("POST", "/privacy/data/verify"): lambda: with_cookie("pg_privacy_rv", b_reveal).post(
            "/privacy/data/verify", data={"csrf": token, "code": b_reveal_code}
        ),
        ("POST", "/privacy/requests/download"): lambda: a.post(
            "/privacy/requests/download", data={"csrf": token, "case_id": b_case.id}, follow_redirects=False
        ),
        ("GET", "/privacy/requests/download/verify"): lambda: with_cookie("pg_privacy_pk", b_package).get(
            "/privacy/requests/download/verify"
        ),
        ("POST", "/privacy/requests/download/verify"): lambda: with_cookie("pg_privacy_pk", b_package).post(
            "/privacy/requests/download/verify", data={"csrf": token, "code": b_package_code}
        ),
        ("POST", "/privacy/consents"): lambda: a.post(
            "/privacy/consents",
            data={
                "csrf": token,
                "purpose": "marketing",
                "kind": "general",
                "action": "withdraw",
                "customer_id": other,
            },
        ),
        ("POST", "/privacy/marketing"): lambda: a.post(
            "/privacy/marketing", data={"csrf": token, "opt_out": "1", "customer_id": other}
        ),
        ("POST", "/privacy/requests"): lambda: a.post(
            "/privacy/requests", data={"csrf": token, "type": "deletion", "customer_id": other}
        ),
        ("GET", "/privacy/requests"): lambda: a.get(f"/privacy/requests?customer_id={other}"),
        ("GET", "/privacy/data"): lambda: a.get(f"/privacy/data?customer_id={other}"),
        ("GET", "/privacy/consents"): lambda: a.get(f"/privacy/consents?customer_id={other}"),
        ("GET", "/privacy/history"): lambda: a.get(f"/privacy/history?customer_id={other}"),
        ("POST", "/privacy/sign-out"): lambda: a.post(
            "/privacy/sign-out",
            data={"csrf": token, "everywhere": "1", "customer_id": other},
            follow_redirects=False,
        ),
    }
    assert set(attacks) == SIGNED_IN  # a new route must be attacked here too
    refused = {
        ("GET", "/privacy/requests/{case_id}"),
        ("POST", "/privacy/data/show"),
        ("POST", "/privacy/data/verify"),
        ("POST", "/privacy/requests/download"),
        ("POST", "/privacy/requests/download/verify"),
    }
    for route, attack in attacks.items():
        r = attack()
        _no_other(r, other)
        if route in refused:
            assert r.status_code in (403, 404), route
    # B's own state is untouched; only A withdrew, opted out, filed and signed out.
    after_b = (
        consent.ledger.state(other).has("general", "marketing"),
        len(rights.find(officer, customer_id=other)),
    )
    assert after_b == before_b
    assert consent.ledger.state(site.customer_id).marketing.opt_out  # A's own choice, recorded for A
    assert 'id="nav-data"' in b.get("/privacy/").text  # B's session lives on
    # B's challenges were not spent by A's tries: B still reveals and downloads.
    shown = b.post("/privacy/data/verify", data={"csrf": b_token, "code": b_reveal_code})
    assert shown.status_code == 200 and OTHER["mobile"] in shown.text
    got = b.post("/privacy/requests/download/verify", data={"csrf": b_token, "code": b_package_code})
    assert got.status_code == 200 and OTHER["mobile"] in got.text


@pytest.mark.req("R-RGT-2")
def test_a_revoked_session_opens_no_route(site: Site) -> None:
    """R-RGT-2: after "sign out everywhere" in one session, every signed-in route refuses the
    other session's cookie (back to sign-in) and runs nothing; a plain sign-out ends only its own."""
    first, second, third = sign_in(site), sign_in(site), sign_in(site)
    token = _csrf(second.get("/privacy/").text)
    third.post("/privacy/sign-out", data={"csrf": _csrf(third.get("/privacy/").text)})
    assert 'id="nav-data"' in first.get("/privacy/").text  # one sign-out ends one session
    first.post("/privacy/sign-out", data={"csrf": _csrf(first.get("/privacy/").text), "everywhere": "1"})
    before = _entries(site)
    for method, path in sorted(SIGNED_IN):
        url = path.replace("{case_id}", "req_" + "0" * 20)
        r = second.request(
            method, url, data={"csrf": token} if method == "POST" else None, follow_redirects=False
        )
        assert r.status_code == 303 and r.headers["location"] == "/privacy/", (method, path)
    assert _entries(site) == before


@pytest.mark.req("R-RGT-2")
def test_a_step_up_code_is_single_use_and_bound_to_its_field_kind_and_session(site: Site) -> None:
    """R-RGT-2: a reveal code shows the one field it was sent for (a field named in the form at
    the code step changes nothing), once; it opens no download and no other session's reveal; a
    sign-in challenge opens no reveal; a reveal code is refused after ten minutes."""
    from datetime import timedelta

    c = sign_in(site)
    token = _csrf(c.get("/privacy/data").text)
    show = {"csrf": token, "record_type": "customer", "record_id": site.customer_id, "field": "mobile"}
    c.post("/privacy/data/show", data=show)
    reveal, code = c.cookies.get("pg_privacy_rv") or "", last_code(site)
    # The same challenge at the download step: refused (another kind), and not spent by it.
    c.cookies.set("pg_privacy_pk", reveal, path="/privacy")
    r = c.post("/privacy/requests/download/verify", data={"csrf": token, "code": code})
    assert r.status_code == 403 and ADULT["mobile"] not in r.text
    # Another session of the same customer: refused.
    other = sign_in(site)
    other.cookies.set("pg_privacy_rv", reveal, path="/privacy")
    r = other.post(
        "/privacy/data/verify", data={"csrf": _csrf(other.get("/privacy/data").text), "code": code}
    )
    assert r.status_code == 403 and ADULT["mobile"] not in r.text
    # A sign-in challenge (kind sign_in) with its own right code opens no reveal.
    fresh = TestClient(site.app, base_url="https://testserver")
    pre = _csrf(fresh.get("/privacy/").text)
    fresh.post("/privacy/sign-in", data={"csrf": pre, "identifier": ADULT["mobile"]})
    c.cookies.set("pg_privacy_rv", fresh.cookies.get("pg_privacy_ch") or "", path="/privacy")
    r = c.post("/privacy/data/verify", data={"csrf": token, "code": last_code(site)})
    assert r.status_code == 403 and ADULT["mobile"] not in r.text
    # The right session and challenge: the field the code was sent for, whatever the form says now.
    c.cookies.set("pg_privacy_rv", reveal, path="/privacy")
    r = c.post(
        "/privacy/data/verify",
        data={"csrf": token, "code": code, "field": "resident_id", "record_type": "customer"},
    )
    assert r.status_code == 200 and ADULT["mobile"] in r.text and ADULT["resident_id"] not in r.text
    c.cookies.set("pg_privacy_rv", reveal, path="/privacy")
    assert c.post("/privacy/data/verify", data={"csrf": token, "code": code}).status_code == 403
    verified = [
        e
        for e in site.inst.audit.query(action="privacy_reveal", limit=20)
        if e.detail.get("outcome") == "verified"
    ]
    assert [e.detail.get("field_name") for e in verified] == ["mobile"]
    # A fresh code is refused once ten minutes have passed (the session itself is still live).
    r = c.post("/privacy/data/show", data=show, follow_redirects=False)
    c.cookies.set("pg_privacy_rv", r.cookies["pg_privacy_rv"], path="/privacy")
    late = last_code(site)
    site.clock.advance(timedelta(minutes=10, seconds=1))
    r = c.post("/privacy/data/verify", data={"csrf": token, "code": late})
    assert r.status_code == 403 and ADULT["mobile"] not in r.text
    outcomes = [e.detail.get("outcome") for e in site.inst.audit.query(action="privacy_reveal", limit=20)]
    assert outcomes[-1] == "code_expired", outcomes


@pytest.mark.req("R-STO-1")
def test_no_value_in_titles_or_addresses_and_markup_is_escaped(site: Site) -> None:
    """R-STO-1: no page title, redirect or address holds a customer value, the revealed one
    included; a service note holding markup is shown escaped, masked and in full."""
    c = sign_in(site)
    pages = [c.get(p) for p in ("/privacy/", "/privacy/data", "/privacy/consents", "/privacy/requests",
                                "/privacy/history")]  # fmt: skip
    token = _csrf(pages[1].text)
    r = c.post("/privacy/data/show", data={"csrf": token, "record_type": "customer",
                                           "record_id": site.customer_id, "field": "mobile"},
               follow_redirects=False)  # fmt: skip
    locations = [r.headers["location"]]
    pages.append(c.post("/privacy/data/verify", data={"csrf": token, "code": last_code(site)}))
    assert ADULT["mobile"] in pages[-1].text
    r = c.post("/privacy/data/show", data={"csrf": token, "record_type": "service_note",
                                           "record_id": site.note_id, "field": "text"},
               follow_redirects=False)  # fmt: skip
    locations.append(r.headers["location"])
    note = c.post("/privacy/data/verify", data={"csrf": token, "code": last_code(site)})
    assert note.status_code == 200
    pages.append(note)
    for page in pages:
        title = re.search(r"<title>(.*?)</title>", page.text, flags=re.S)
        assert title, page.url
        assert not any(v in title.group(1) for v in ADULT.values()), title.group(1)
        assert not any(v in str(page.url) for v in ADULT.values()), page.url
        assert "<script>" not in page.text and "<img src=x" not in page.text
    assert not any(v in loc for loc in locations for v in ADULT.values())
    assert XSS not in note.text and "&lt;script&gt;" in note.text


def test_a_post_from_another_origin_is_refused(site: Site) -> None:
    """CSRF: a POST whose Origin is another site is refused even with the right token."""
    c = sign_in(site)
    token = _csrf(c.get("/privacy/requests").text)
    r = c.post(
        "/privacy/requests",
        data={"csrf": token, "type": "access"},
        headers={"origin": "https://evil.example"},
    )
    assert r.status_code == 403
    officer_view = site.inst.capability(Rights)
    from tests.privacy.test_browser import staff

    assert officer_view.find(staff(site, "officer"), customer_id=site.customer_id) == []


@pytest.mark.req("R-RGT-2", "R-MIN-1")
def test_every_sign_in_answer_is_the_same_known_or_not(site: Site) -> None:
    """R-RGT-2: the sign-in's answers (status, redirect, cookie names, the code page) are the same
    for an adult's, an unknown, a child's own identifier, the guardian box with a child's, an
    adult's or an unknown identifier; and a wrong code is answered the same for each."""
    from tests.privacy.test_guardian import CHILD

    site.inst.service.create(RequestContext(BOOT, "service", client="test"), "customer", CHILD)

    def answer(identifier: str, guardian: bool) -> tuple[Any, ...]:
        c = TestClient(site.app, base_url="https://testserver")
        token = _csrf(c.get("/privacy/").text)
        data = {"csrf": token, "identifier": identifier, **({"guardian": "1"} if guardian else {})}
        r = c.post("/privacy/sign-in", data=data, follow_redirects=False)
        page = c.get("/privacy/code")
        wrong = c.post("/privacy/code", data={"csrf": token, "code": "000000"})
        scrub: Callable[[str], str] = lambda html: re.sub(r'value="[^"]+"', 'value=""', html)  # noqa: E731
        return (r.status_code, r.headers["location"], tuple(sorted(r.cookies.keys())), scrub(page.text),
                wrong.status_code, scrub(wrong.text))  # fmt: skip

    answers = {
        "adult": answer(ADULT["mobile"], False),
        "unknown": answer("13912345678", False),
        "child alone": answer(CHILD["mobile"], False),
        "guardian of the child": answer(CHILD["mobile"], True),
        "guardian of an adult": answer(ADULT["mobile"], True),
        "guardian of nobody": answer("13912345679", True),
    }
    assert len(set(answers.values())) == 1, {k: v[:3] for k, v in answers.items()}
