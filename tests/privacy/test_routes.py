"""Every privacy-centre route is classified, and none but sign-in answers without a session."""

from __future__ import annotations

import warnings

from fastapi.routing import APIRoute

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.web.conftest import Site

#: Reachable before sign-in: the sign-in form, its code step, the language switch.
OPEN = {
    ("GET", "/privacy/"),
    ("POST", "/privacy/sign-in"),
    ("GET", "/privacy/code"),
    ("POST", "/privacy/code"),
    ("GET", "/privacy/lang/{code}"),
}
#: Only with a live session; each runs gate operations as the customer.
SIGNED_IN = {
    ("POST", "/privacy/sign-out"),
    ("GET", "/privacy/data"),
    ("POST", "/privacy/data/show"),
    ("GET", "/privacy/data/verify"),
    ("POST", "/privacy/data/verify"),
    ("GET", "/privacy/consents"),
    ("POST", "/privacy/consents"),
    ("POST", "/privacy/marketing"),
    ("GET", "/privacy/requests"),
    ("POST", "/privacy/requests"),
    ("GET", "/privacy/requests/{case_id}"),
    ("GET", "/privacy/history"),
    ("POST", "/privacy/requests/download"),
    ("GET", "/privacy/requests/download/verify"),
    ("POST", "/privacy/requests/download/verify"),
}


def test_every_route_is_classified_and_needs_a_session(site: Site) -> None:
    router = site.app.state.privacy_centre.router
    routes = set()
    for route in router.routes:
        assert isinstance(route, APIRoute) and route.methods is not None
        routes |= {(m, route.path) for m in route.methods}
    assert routes == OPEN | SIGNED_IN
    assert not any(path.startswith("/privacy") for path in site.app.openapi()["paths"])
    c = TestClient(site.app)
    before = len(site.inst.audit.query(limit=100_000))
    for method, path in sorted(SIGNED_IN):
        url = path.replace("{case_id}", "req_0000")
        r = c.request(method, url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/privacy/", (method, path)
    assert len(site.inst.audit.query(limit=100_000)) == before  # nothing ran


def test_a_staff_session_opens_no_privacy_page(site: Site) -> None:
    """A console cookie is not a privacy-centre session (and the reverse is tested in test_pages)."""
    from tests.web.test_security import client

    staff = client(site, "officer")
    r = staff.get("/privacy/data", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/privacy/"
