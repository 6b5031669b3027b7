"""Console pages beyond the walk-through: administration, alerts, translations, access logs."""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import httpx
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from piguard.audit import AlertDraft
from piguard.web.i18n import MESSAGES
from tests.access.conftest import ADULT
from tests.live import LiveServers
from tests.web.conftest import Site, csrf, prelogin
from tests.web.test_security import client

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "piguard" / "web" / "templates"


def test_every_template_key_is_translated() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"t\('([a-z_]+\.[a-z_.]+)'\)", template.read_text()))
    missing = used - set(MESSAGES)
    assert not missing, missing
    assert all(zh and en for zh, en in MESSAGES.values())


def test_admin_manages_users_clients_and_training(site: Site) -> None:
    c = client(site, "admin")
    page = c.get("/console/admin/users")
    token = csrf(page.text)
    created = c.post(
        "/console/admin/users", data={"csrf": token, "name": "li.lei", "role": "auditor", "totp": "on"}
    )
    assert (
        created.status_code == 200 and 'id="new-password"' in created.text and 'id="new-totp"' in created.text
    )
    assert c.post("/console/admin/users/li.lei/disable", data={"csrf": token}).status_code == 200
    assert site.inst.access.principal("li.lei")["status"] == "disabled"
    c.post("/console/admin/users/li.lei/enable", data={"csrf": token})
    assert site.inst.access.principal("li.lei")["status"] == "active"
    client_page = c.post(
        "/console/admin/clients", data={"csrf": token, "name": "crm", "role": "auditor", "days": "30"}
    )
    key = re.search(r'id="new-key">([^<]+)<', client_page.text)
    assert key is not None
    api = TestClient(site.app)
    # Authenticated (403: the auditor may not administer keys), not refused as unknown (401).
    assert api.get("/v1/keys/status", headers={"X-API-Key": key.group(1)}).status_code == 403
    c.post("/console/admin/clients/crm/revoke", data={"csrf": token})
    assert api.get("/v1/keys/status", headers={"X-API-Key": key.group(1)}).status_code == 401
    recorded = c.post(
        "/console/admin/training",
        data={
            "csrf": token,
            "user": "li.lei",
            "kind": "course",
            "course": "PIPL 101",
            "completed_on": "2026-03-01",
        },
    )
    assert recorded.status_code == 200 and "PIPL 101" in recorded.text
    assert c.get("/console/admin/roles").status_code == 200
    jobs = c.get("/console/admin/jobs")  # every registered job, its lease and last run (issue 12)
    assert jobs.status_code == 200
    assert all(f'data-job="{job.name}"' in jobs.text for job in site.inst.jobs.jobs) and site.inst.jobs.jobs
    bad = c.post("/console/admin/users", data={"csrf": token, "name": "x y", "role": "auditor"})
    assert bad.status_code == 422


def test_alerts_are_listed_and_acknowledged(site: Site) -> None:
    log = site.inst.audit
    log._raise_alert(  # the monitoring rules' own entry point; here a synthetic alert
        AlertDraft(
            rule="mass_access",
            severity="high",
            principal_id="usr_x",
            summary="many customers <b>",
            detail={},
            first_seq=1,
            last_seq=1,
        )
    )
    c = client(site, "officer")
    page = c.get("/console/alerts?status=open")
    assert "many customers &lt;b&gt;" in page.text
    alert_id = re.search(r'data-alert="([^"]+)"', page.text)
    assert alert_id is not None
    done = c.post(
        f"/console/alerts/{alert_id.group(1)}/ack", data={"csrf": csrf(page.text), "comment": "checked"}
    )
    assert done.status_code == 200
    assert log.alerts(status="open") == []
    assert c.get("/console/dashboard").status_code == 200


def test_access_log_holds_no_pi(
    site: Site, caplog: pytest.LogCaptureFixture, live_server: LiveServers
) -> None:
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    base = live_server.app(site.app, log_config=None, access_log=True)
    with httpx.Client(base_url=base, follow_redirects=True) as c:
        page = c.get("/console/login")
        name, password, code = site.creds("finance")
        c.post(
            "/console/login",
            data={"prelogin": prelogin(page.text), "name": name, "password": password, "totp": code},
        )
        token = csrf(c.get("/console/search").text)
        found = c.post(
            "/console/search",
            data={"csrf": token, "field": "name", "value": ADULT["name"], "purpose": "service"},
        )
        assert site.customer_id in found.text
        c.get(f"/console/customers/{site.customer_id}?purpose=service")
    live_server.stop_all()
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/console/search" in line for line in lines)
    for value in (*ADULT.values(), password, code):
        assert not any(value in line for line in lines), value


@pytest.mark.req("R-USE-4")
def test_record_page_says_what_the_role_can_never_unmask_and_who_to_ask(site: Site) -> None:
    """Customer service sees the name masked and no grant can change that: the page says so and
    names the roles that see it in clear, instead of offering an unmask that would change nothing."""
    c = client(site, "customer_service")
    page = c.get(f"/console/customers/{site.customer_id}?purpose=service&lang=en")
    assert page.status_code == 200
    row = re.search(r'<tr data-field="name".*?</tr>', page.text, re.S)
    assert row is not None
    assert "data-never-clear" in row.group(0)
    assert 'type="checkbox"' not in row.group(0)  # nothing to pick: a grant could not help
    ask = re.search(r"<span class=\"hint\" data-ask>(.*?)</span>", row.group(0), re.S)
    # The roles to ask, named in the page's language (front desk: 前台).
    assert ask is not None
    assert any(word in ask.group(1) for word in ("前台", "front_desk", "no role"))
