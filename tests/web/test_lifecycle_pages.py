"""Issue 14, item 8: the console's retention, legal holds and backups pages (zh/en), each step a
declared operation of the gate."""

from __future__ import annotations

import json
import re

import pytest

from piguard.gate import RequestContext
from tests.access.conftest import SETUP
from tests.web.conftest import Site, csrf
from tests.web.test_security import client


@pytest.mark.req("R-DST-2")
def test_an_officer_places_and_releases_a_legal_hold_on_the_console(site: Site) -> None:
    officer = client(site, "officer")
    page = officer.get("/console/holds")
    assert page.status_code == 200
    token = csrf(page.text)
    done = officer.post(
        "/console/holds",
        data={
            "csrf": token,
            "customer_id": site.customer_id,
            "matter": "(2026)京01民初123号",
            "reason": "litigation",
        },
    )
    placed = re.search(r"(?:法律保全|Legal hold) (hold_\w+)", done.text)
    assert placed, done.text[:2000]
    hold = placed.group(1)
    assert f'data-hold="{hold}"' in done.text and site.customer_id in done.text
    # The reason is sealed: never listed.
    assert "litigation" not in done.text
    # Only an administrator runs retention by hand.
    assert officer.post("/console/retention/run", data={"csrf": token}).status_code == 403
    released = officer.post(f"/console/holds/{hold}/release", data={"csrf": token, "reason": "settled"})
    assert f'data-hold="{hold}"' not in released.text
    listed = officer.get("/console/holds?all=1").text
    assert f'data-hold="{hold}"' in listed
    # Customer service has no business with holds.
    assert client(site, "customer_service").get("/console/holds").status_code == 403


@pytest.mark.req("R-DST-3", "R-STO-5")
def test_the_retention_page_shows_rules_due_counts_and_signed_records(site: Site) -> None:
    ctx = RequestContext(officer_actor(site), "", client="test")
    site.inst.gate.erase(
        ctx,
        site.inst.gate.create(RequestContext(SETUP, "service"), "customer", {"name": "王五"}).customer_id,
        reason="request",
    )
    auditor = client(site, "auditor")
    page = auditor.get("/console/retention")
    assert page.status_code == 200, page.text[:500]
    for name in site.inst.catalog.retention_rules:
        assert f'data-rule="{name}"' in page.text
    assert 'id="held"' in page.text
    future = auditor.get("/console/retention?as_of=2040-01-01")
    assert future.status_code == 200 and 'id="plan"' in future.text
    assert "YYYY-MM-DD" in auditor.get("/console/retention?as_of=tomorrow").text
    record = re.search(r'data-record="(dst_\w+)"', page.text)
    assert record, page.text[:3000]
    download = auditor.get(f"/console/retention/records/{record.group(1)}")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    document = json.loads(download.text)
    assert document["id"] == record.group(1) and document["signature"]
    # Only the administrator runs retention by hand.
    assert 'id="run-retention"' not in page.text
    assert client(site, "customer_service").get("/console/retention").status_code == 403


def officer_actor(site: Site):  # type: ignore[no-untyped-def]
    name, password, code = site.creds("officer")
    login = site.inst.access.login(name, password, code)
    return site.inst.access.authenticate(login.token)


@pytest.mark.req("R-STO-1")
def test_an_administrator_creates_and_verifies_a_backup_on_the_console(site: Site) -> None:
    admin = client(site, "admin")
    page = admin.get("/console/backups")
    assert page.status_code == 200
    token = csrf(page.text)
    made = admin.post("/console/backups/create", data={"csrf": token, "name": "nightly-1"})
    assert 'data-backup="nightly-1"' in made.text, made.text[:2000]
    verified = admin.post("/console/backups/verify", data={"csrf": token, "name": "nightly-1"})
    assert "nightly-1" in verified.text and ("校验通过" in verified.text or "verifies" in verified.text)
    climbing = admin.post("/console/backups/create", data={"csrf": token, "name": "../../etc"})
    assert climbing.status_code == 200 and not (site.inst.settings.home.parent / "etc").exists()
    assert client(site, "auditor").get("/console/backups").status_code == 403


@pytest.mark.req("R-STO-5", "R-DST-1")
def test_an_officer_decides_a_retention_review_on_the_console(site: Site) -> None:
    """R-STO-5: a record whose rule asks a person is listed with a decide form for a role that
    approves; the auditor sees the list without the form; the decision is the gate's."""
    now = site.clock.now()
    site.clock.set(now.replace(year=now.year - 4))
    old = site.inst.gate.create(RequestContext(SETUP, "service"), "customer", {"name": "孙八"}).customer_id
    site.inst.gate.create(
        RequestContext(SETUP, "customer_support"), "service_note", {"text": "来电", "channel": "phone"},
        customer_id=old,
    )  # fmt: skip
    site.clock.set(now)
    admin = client(site, "admin")
    page = admin.get("/console/retention")
    assert admin.post("/console/retention/run", data={"csrf": csrf(page.text)}).status_code == 200
    auditor = client(site, "auditor").get("/console/retention").text
    found = re.search(r'data-review="(rev_\w+)"', auditor)
    assert found and old in auditor, auditor[:3000]
    assert "/decide" not in auditor  # the auditor looks, the officer decides
    assert "data-end>" in auditor and ("人工复核" in auditor or "review by a person" in auditor)
    officer = client(site, "officer")
    listed = officer.get("/console/retention")
    form = {"csrf": csrf(listed.text), "decision": "keep", "keep_until": "2000-01-01", "reason": "工单已结清"}
    refused = officer.post(f"/console/retention/reviews/{found.group(1)}/decide", data=form)
    assert f'data-review="{found.group(1)}"' in refused.text  # a keep-until in the past is refused
    form["decision"] = "destroy"
    done = officer.post(f"/console/retention/reviews/{found.group(1)}/decide", data=form)
    assert f'data-review="{found.group(1)}"' not in done.text and found.group(1) in done.text
    assert "工单已结清" not in done.text  # the reason is sealed
