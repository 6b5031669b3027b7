"""The console reaches customer data through the gate only (issue 3 §8, for the console).

Every console route is classified; the data routes are exercised and must hand an access
event to the recorder (here, the audit trail); the console modules never touch the vault.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")

from fastapi.routing import APIRoute

import piguard.web as web_pkg
from piguard.web import (
    admin,
    approvals,
    auth,
    core,
    customers,
    incidents,
    lifecycle,
    oversight,
    requests,
    session,
    sharing,
    stats,
    stays,
)
from tests.web.conftest import Site, csrf
from tests.web.test_security import client

#: Console routes showing customer data (or whether a customer matches): each must record.
DATA_ROUTES = {
    ("POST", "/console/search"),
    ("GET", "/console/customers/{customer_id}"),
    ("GET", "/console/customers/{customer_id}/records/{record_type}/{record_id}"),
    ("POST", "/console/unmask"),
    # A check-in by ID number says whether the number matches a customer's record.
    ("POST", "/console/stays/{action}"),
    ("POST", "/console/match"),  # yes or no about a field: a read of it (issue 11, item 17)
}
#: Routes without customer values: sign-in, forms, accounts, grants, the audit trail (keyed refs).
OTHER_ROUTES = {
    ("GET", "/console/login"),
    ("POST", "/console/login"),
    ("POST", "/console/logout"),
    ("GET", "/console/lang/{code}"),
    ("GET", "/console/reset"),
    ("POST", "/console/reset"),
    ("POST", "/console/reset/complete"),
    ("GET", "/console/search"),
    ("GET", "/console/"),
    ("GET", "/console/dashboard"),
    ("GET", "/console/audit"),
    ("GET", "/console/audit/export"),
    ("GET", "/console/alerts"),
    ("POST", "/console/alerts/{alert_id}/ack"),
    ("GET", "/console/approvals"),
    ("POST", "/console/approvals/{grant_id}"),
    ("GET", "/console/admin/users"),
    ("POST", "/console/admin/users"),
    ("POST", "/console/admin/users/{name}/{op}"),
    ("GET", "/console/admin/roles"),
    ("GET", "/console/admin/clients"),
    ("POST", "/console/admin/clients"),
    ("POST", "/console/admin/clients/{name}/revoke"),
    ("GET", "/console/admin/training"),
    ("GET", "/console/admin/jobs"),  # job names, nodes and lease times (issue 12)
    ("POST", "/console/admin/training"),
    # The rights desk: cases name customers by id only; every step is a gate operation.
    ("GET", "/console/requests"),
    ("POST", "/console/requests"),
    ("GET", "/console/requests/{case_id}"),
    ("POST", "/console/requests/{case_id}/{step}"),
    ("GET", "/console/requests/{case_id}/letter"),  # the written refusal, to the name the requester gave
    ("GET", "/console/import-template/{record_type}"),  # catalog labels only
    ("GET", "/console/stays"),  # the front desk's forms only
    # The life cycle (issue 14): rules, counts, holds and backups name customers by id only.
    ("GET", "/console/retention"),
    ("GET", "/console/retention/records/{record_id}"),  # a signed destruction record: ids and counts
    ("POST", "/console/retention/run"),
    ("POST", "/console/retention/reviews/{review_id}/decide"),
    ("GET", "/console/holds"),
    ("POST", "/console/holds"),
    ("POST", "/console/holds/{hold_id}/release"),
    ("GET", "/console/backups"),
    ("POST", "/console/backups/{action}"),
    # The officer's compliance page: checks, governance, reports (catalog names and counts only).
    ("GET", "/console/compliance"),
    ("POST", "/console/compliance/report"),
    ("GET", "/console/compliance/reports/{report_id}/{name}"),
    # The incident desk: counts by field and level, never a customer; every step is a gate operation.
    ("GET", "/console/incidents"),
    ("POST", "/console/incidents"),
    ("GET", "/console/incidents/{incident_id}"),
    ("POST", "/console/incidents/{incident_id}/{step}"),
    # Sharing: partners, agreements, assessments and the log name customers by id only.
    ("GET", "/console/sharing"),
    ("POST", "/console/sharing/agreements/{agreement_id}/suspend"),
    # The register's forms: a partner, an agreement, an assessment, a deletion notice acknowledged.
    ("POST", "/console/sharing/partners"),
    ("POST", "/console/sharing/agreements"),
    ("POST", "/console/sharing/assessments"),
    ("POST", "/console/sharing/notices/{notice_id}/ack"),
    # Share requests: asked, decided by another person, downloaded once (the share runs then).
    ("POST", "/console/sharing/requests"),
    ("POST", "/console/sharing/requests/{request_id}/decide"),
    ("POST", "/console/sharing/requests/{request_id}/download"),
    # A public disclosure: desensitised content, downloaded once; a gate decision per customer.
    ("POST", "/console/sharing/disclosures"),
    # Ending an agreement: its outcome and the evidence's hash (the uploaded file is not kept).
    ("POST", "/console/sharing/agreements/{agreement_id}/end"),
    # An anonymised extract: generalised values only, k (and l) measured; a gate decision per
    # customer read (extract_row), and a refusal when the target cannot be reached.
    ("POST", "/console/sharing/extracts"),
}


def console_routes(app: Any) -> set[tuple[str, str]]:
    # Included routers are kept lazily in app.routes, so ask the console for its own router.
    out = set()
    for route in app.state.console.router.routes:
        assert isinstance(route, APIRoute) and route.methods is not None
        out |= {(m, route.path) for m in route.methods}
    assert not any(path.startswith("/console") for path in app.openapi()["paths"])
    return out


def test_every_console_route_is_classified(site: Site) -> None:
    assert console_routes(site.app) == DATA_ROUTES | OTHER_ROUTES


def test_data_routes_record_an_event(site: Site) -> None:
    log = site.inst.audit
    c = client(site, "finance")

    def recorded(call: Any) -> None:
        before = log.query(after_seq=0, limit=100_000)
        response = call()
        after = log.query(after_seq=0, limit=100_000)
        assert response.status_code in (200, 303, 403), response.text[:300]
        assert len(after) > len(before), call

    token = csrf(c.get("/console/search").text)
    recorded(
        lambda: c.post(
            "/console/search", data={"csrf": token, "field": "name", "value": "x", "purpose": "service"}
        )
    )
    recorded(lambda: c.get(f"/console/customers/{site.customer_id}?purpose=service"))
    recorded(
        lambda: c.get(
            f"/console/customers/{site.customer_id}/records/bank_account/{site.account_id}?purpose=service"
        )
    )
    recorded(
        lambda: c.post(
            "/console/unmask",
            data={
                "csrf": token,
                "customer_id": site.customer_id,
                "record_type": "bank_account",
                "record_id": site.account_id,
                "purpose": "service",
                "fields": "bank_account.account_no",
                "reason": "KYC",
            },
            follow_redirects=False,
        )
    )
    desk = client(site, "front_desk")
    desk_token = csrf(desk.get("/console/stays").text)
    recorded(
        lambda: desk.post(
            "/console/stays/register",
            data={
                "csrf": desk_token,
                "customer_id": site.customer_id,
                "room_no": "1208",
                "check_in": "2026-03-02",
            },
            follow_redirects=False,
        )
    )
    recorded(
        lambda: c.post(
            "/console/match",
            data={
                "csrf": token,
                "customer_id": site.customer_id,
                "purpose": "service",
                "field": "mobile",
                "value": "13800138000",
            },
            follow_redirects=False,
        )
    )
    # Refusals are recorded too.
    cs = client(site, "customer_service")
    recorded(lambda: cs.get(f"/console/customers/{site.customer_id}/records/bank_account/{site.account_id}"))


@pytest.mark.parametrize(
    "module",
    [
        web_pkg,
        admin,
        approvals,
        auth,
        core,
        customers,
        incidents,
        lifecycle,
        oversight,
        requests,
        session,
        sharing,
        stats,
        stays,
    ],
)
def test_console_never_touches_the_vault(module: object) -> None:
    source = inspect.getsource(module)  # type: ignore[arg-type]
    assert ".vault" not in source.replace("piguard.vault.", "")
    for forbidden in ("import Vault", "piguard.store", "inst.vault", "inst.db", "inst.keys", "keyring"):
        assert forbidden not in source, (module, forbidden)
