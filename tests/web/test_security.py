"""Console security: escaping, CSRF, session expiry, disabled users, no PI in URLs or titles."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.access.conftest import ADULT
from tests.web.conftest import BOOT, Site, csrf, prelogin


def client(site: Site, role: str) -> TestClient:
    c = TestClient(site.app, base_url="http://testserver")
    page = c.get("/console/login")
    name, password, code = site.creds(role)
    r = c.post(
        "/console/login",
        data={"prelogin": prelogin(page.text), "name": name, "password": password, "totp": code},
    )
    assert r.status_code == 200 and r.url.path == "/console/", r.text[:300]
    return c


def note_url(site: Site) -> str:
    return (
        f"/console/customers/{site.customer_id}/records/service_note/{site.note_id}?purpose=customer_support"
    )


def test_stored_xss_renders_escaped(site: Site) -> None:
    c = client(site, "customer_service")
    page = c.get(note_url(site))
    assert page.status_code == 200
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_post_without_or_with_a_wrong_csrf_token_is_refused(site: Site) -> None:
    c = client(site, "finance")
    body = {"field": "name", "value": ADULT["name"], "purpose": "service"}
    assert c.post("/console/search", data=body).status_code == 403
    assert c.post("/console/search", data={**body, "csrf": "x" * 43}).status_code == 403
    token = csrf(c.get("/console/search").text)
    cross = c.post(
        "/console/search", data={**body, "csrf": token}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    assert c.post("/console/search", data={**body, "csrf": token}).status_code == 200
    # Another session's token is not this session's.
    other = client(site, "officer")
    other_token = csrf(other.get("/console/search").text)
    assert c.post("/console/search", data={**body, "csrf": other_token}).status_code == 403


def test_login_form_needs_its_own_token(site: Site) -> None:
    c = TestClient(site.app)
    name, password, code = site.creds("finance")
    r = c.post("/console/login", data={"name": name, "password": password, "totp": code})
    assert r.status_code == 403


def test_session_cookie_flags(site: Site) -> None:
    c = TestClient(site.app)
    page = c.get("/console/login")
    name, password, code = site.creds("finance")
    r = c.post(
        "/console/login",
        data={"prelogin": prelogin(page.text), "name": name, "password": password, "totp": code},
        follow_redirects=False,
    )
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("pg_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP here; under TLS the flag is set (test_tls)


def test_idle_session_expires(site: Site) -> None:
    c = client(site, "finance")
    assert c.get("/console/search").status_code == 200
    site.clock.advance(timedelta(minutes=16))
    r = c.get("/console/search", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login?m=expired"
    # Gone for good, even if the clock were to come back.
    site.clock.advance(timedelta(minutes=-16))
    assert c.get("/console/search", follow_redirects=False).status_code == 303


def test_disabled_user_is_refused_at_once(site: Site) -> None:
    c = client(site, "finance")
    api = TestClient(site.app)
    name, password, code = site.creds("auditor")
    token = api.post("/v1/auth/login", json={"name": name, "password": password, "totp": code}).json()[
        "token"
    ]
    assert api.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    site.inst.access.disable(BOOT, site.staff["finance"]["name"], "left the company")
    site.inst.access.disable(BOOT, name, "left the company")
    assert c.get("/console/search", follow_redirects=False).status_code == 303
    refused = api.get(
        f"/v1/records/customer/{site.customer_id}?purpose=security_audit",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_logout_revokes_the_token(site: Site) -> None:
    c = client(site, "finance")
    token = csrf(c.get("/console/").text)
    assert c.post("/console/logout", data={"csrf": token}).url.path == "/console/login"
    assert c.get("/console/", follow_redirects=False).status_code == 303


def test_no_pi_in_urls_titles_or_redirects(site: Site) -> None:
    c = client(site, "finance")
    token = csrf(c.get("/console/search").text)
    found = c.post(
        "/console/search", data={"csrf": token, "field": "name", "value": ADULT["name"], "purpose": "service"}
    )
    links = re.findall(r'href="([^"]+)"', found.text)
    assert any(site.customer_id in link for link in links)
    page = c.get(f"/console/customers/{site.customer_id}?purpose=service")
    title = re.search(r"<title>(.*?)</title>", page.text, re.S)
    assert title is not None
    for value in ADULT.values():
        assert value not in title.group(1)
        assert not any(value in link for link in links + re.findall(r'(?:href|action)="([^"]+)"', page.text))
    # The search value is not echoed back either.
    assert ADULT["name"] not in found.text


def test_metrics_carry_route_templates_not_ids(site: Site) -> None:
    c = client(site, "finance")
    c.get(f"/console/customers/{site.customer_id}?purpose=service")
    metrics = TestClient(site.app).get("/metrics").text
    assert "/console/customers/{customer_id}" in metrics
    assert site.customer_id not in metrics and "purpose=" not in metrics


def test_pages_need_their_roles(site: Site) -> None:
    c = client(site, "customer_service")
    assert c.get("/console/audit").status_code == 403
    assert c.get("/console/admin/users").status_code == 403
    assert c.get("/console/dashboard").status_code == 403
    admin = client(site, "admin")
    assert admin.get(f"/console/customers/{site.customer_id}?purpose=security_audit").status_code == 403
    # Administrators run the system: they see its activity (counts), never a customer's values.
    assert admin.get("/console/dashboard").status_code == 200
