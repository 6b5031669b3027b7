"""No API route or CLI command returns customer data without passing the gate (issue 3 §8, issue 10).

The list of what must be reached comes from the gate's declared operations: each is called
through its API route by a real staff role and must succeed and leave an entry under its name.
Every route is either an account/ops route or runs a declared operation; every CLI command is
classified. A new route, command or operation fails here until it is exercised or classified.
"""

from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import typer

with warnings.catch_warnings():
    # starlette warns that its test client prefers httpx2; the httpx shipped here works.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from piguard.access import AccessControl
from piguard.api import access_routes, audit_routes, consent_routes, records_routes, routers
from piguard.api import app as app_module
from piguard.api.app import create_app
from piguard.cli import access as cli_access
from piguard.cli import audit as cli_audit
from piguard.cli import consent as cli_consent
from piguard.cli import main as cli_main
from piguard.cli import records as cli_records
from piguard.consent import shipped_notice
from piguard.crypto.keyring import generate_master_secret
from piguard.gate import RequestContext
from piguard.installation import Installation
from tests.access.conftest import ADULT, SETUP, TODAY, make_world

NON_DATA_COMMANDS = {
    "init",
    "import-template",  # catalog labels only
    "keys",
    "catalog",
    "serve",
    "scan",
    "mask",
    "login",
    "whoami",
    "users",
    "clients",
    "grants",
    "training",
    "detect",
    "discover",
    "audit",
    "alerts",
    "operations",
}
DATA_COMMANDS = {
    "import", "get", "search", "match", "erase", "demo", "consent", "notices", "minors", "jobs", "outbox",
    "requests", "complaints", "holds", "retention", "accounts", "stays", "reindex", "backup", "compliance",
    "incidents", "partners", "agreements", "assessments", "share", "extract", "transfers",
    "disclose",
}  # fmt: skip


def _routes(app: object) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, from its OpenAPI document.

    The schema is the public list of routes; FastAPI keeps included routers as lazy
    objects in ``app.routes``, so walking that list would miss them.
    """
    schema = app.openapi()  # type: ignore[attr-defined]
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


#: Declared operations no API route runs: the CLI runs them (jobs, trail maintenance), or the
#: privacy centre will (a customer's own history). Each is still exercised by tests/gate.
NOT_ON_THE_API = {
    "minors_reevaluate",
    "audit_export",
    "audit_archive",
    "audit_ref",
    "audit_checkpoint",
    "own_access_history",
    "audit_dashboard",  # the console's dashboard (tests/web)
    "outbox_deliver",  # the outbox job, as system:outbox (tests/outbox)
    "outbox_deliver_to",  # the outbox job, to a partner's address (tests/sharing)
    "rights_clock",  # the rights_clock job (tests/rights)
    "rights_package_download",  # a customer's one-time link, no staff role (tests/rights)
    "destruction_check",  # the destruction_check job (tests/lifecycle)
    "backup_restore",  # writes a new home, as system:restore there: the CLI (tests/backup)
    "compliance_schedule",  # the compliance_schedule job (tests/compliance)
    # The customer privacy centre's own operations: reached from its pages at /privacy by the
    # customer (or its sign-in principal), never by a staff role (tests/privacy).
    "privacy_sign_in",
    "privacy_sign_in_verify",
    "privacy_profile",
    "privacy_reveal_code",
    "privacy_reveal",
    "privacy_sign_out",
    "privacy_recipients",
    "privacy_package_code",
    "privacy_package",
    "privacy_guardian",
    "privacy_ready",
    "incident_clock",  # the incident_clock job (tests/incidents)
}
#: Routes that run no gate operation: accounts (recorded by the account service), health, import
#: templates (catalog labels), and
#: PII detection over text the caller sends (it never reads the vault).
ACCOUNT_PREFIXES = ("/v1/auth", "/v1/whoami", "/v1/users", "/v1/clients", "/v1/grants", "/v1/training")
NO_OPERATION_ROUTES = {
    ("GET", "/healthz"),
    ("POST", "/v1/detect"),
    ("POST", "/v1/mask"),
    ("GET", "/v1/import/{record_type}/template"),  # the catalog's labels, no customer data
}
#: Routes a customer reaches by a one-time link (the link is the credential), not a staff role;
#: they run a declared operation as the customer (tests/rights/test_cases.py).
LINK_ROUTES = {("GET", "/v1/packages/{token}")}


def test_every_declared_operation_runs_from_a_route_with_a_real_staff_role(tmp_path: Path) -> None:
    """The list comes from the gate's declared operations: every one (bar the CLI-only ones) is
    reached through an API route called by a real, trained staff role of the catalog, succeeds
    (no test here passes on a refusal) and leaves an event under its own name; every route that
    is not an account or ops route runs at least one declared operation."""
    (tmp_path / "master.key").write_text(generate_master_secret())
    # The installation's own audit trail records (its monitoring rules raise the alert acknowledged below).
    world = make_world(tmp_path, {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}, audited=True)
    try:
        app = create_app(world.inst)
        client = TestClient(app)
        declared = {op.name for op in world.inst.gate.registry}
        top_level = {op.name for op in world.inst.gate.registry if op.part_of is None}
        trail = world.inst.audit

        def newest() -> int:
            found = trail.query(limit=100_000)
            return found[-1].seq if found else 0

        reached: set[str] = set()
        called: set[tuple[str, str]] = set()

        def call(role: str, method: str, route: str, url: str, **kw: Any) -> Any:
            staff = world.staff_of(role)
            world.step_up(staff)
            before = newest()
            response = client.request(method, url, headers={"Authorization": f"Bearer {staff.token}"}, **kw)
            assert response.status_code < 300, (role, method, url, response.status_code, response.text)
            ran = {
                e.action for e in trail.query(after_seq=before, limit=100_000) if e.decision == "allow"
            } & declared
            assert ran, f"{method} {route} ran no declared operation"
            reached.update(ran)
            called.add((method, route))
            if response.headers["content-type"].startswith("text/html"):
                return response.text
            if response.headers["content-type"].startswith("application/zip"):
                return response.content
            return response.json()

        cs = "customer_service"
        # The fields customer service may write for "service" (least privilege: not gender, say).
        profile = {k: ADULT[k] for k in ("name", "mobile", "email")}
        title, zh, en = shipped_notice()
        call(
            "admin", "POST", "/v1/notices", "/v1/notices", json={"title": title, "text_zh": zh, "text_en": en}
        )
        call(cs, "GET", "/v1/notices", "/v1/notices")
        cid = call(
            cs,
            "POST",
            "/v1/records/{record_type}",
            "/v1/records/customer",
            json={"purpose": "service", "values": profile},
        )["customer_id"]
        call(
            cs,
            "GET",
            "/v1/records/{record_type}/{record_id}",
            f"/v1/records/customer/{cid}?purpose=service&fields=name",
        )
        call(
            cs,
            "PATCH",
            "/v1/records/{record_type}/{record_id}",
            f"/v1/records/customer/{cid}",
            json={"purpose": "service", "values": {"email": "x@example.com"}},
        )
        call(
            cs,
            "POST",
            "/v1/search",
            "/v1/search",
            json={"field": "mobile", "value": ADULT["mobile"], "purpose": "service"},
        )
        call(
            cs,
            "POST",
            "/v1/customers/{customer_id}/match",
            f"/v1/customers/{cid}/match",
            json={"field": "mobile", "value": ADULT["mobile"], "purpose": "service"},
        )
        call(cs, "GET", "/v1/customers/{customer_id}/records", f"/v1/customers/{cid}/records?purpose=service")
        call(
            cs,
            "POST",
            "/v1/import/{record_type}",
            "/v1/import/customer?purpose=service&format=jsonl",
            content=json.dumps({**profile, "mobile": "13900000000"}).encode(),
        )
        consent = "/v1/customers/{customer_id}/consent"
        call(
            cs,
            "POST",
            consent,
            f"/v1/customers/{cid}/consent",
            json={"purposes": ["marketing"], "channel": "app"},
        )
        call(cs, "GET", consent, f"/v1/customers/{cid}/consent")
        # Export: the marketing role, under a grant an officer approved, for a consenting customer.
        mk = world.staff_of("marketing")
        grant = world.access.grants.request(
            mk.actor,
            kind="export",
            record_type="customer",
            purpose="marketing",
            max_rows=1,
            reason="campaign",
            fields=None,
        )
        world.access.grants.decide(world.step_up(world.staff_of("officer")), grant.id, approve=True)
        rows = call(
            "marketing",
            "POST",
            "/v1/export/{record_type}",
            "/v1/export/customer",
            json={"purpose": "marketing", "grant_id": grant.id, "record_ids": [cid]},
        )["rows"]
        assert [r["id"] for r in rows] == [cid]
        call(
            cs,
            "POST",
            consent + "/withdraw",
            f"/v1/customers/{cid}/consent/withdraw",
            json={"channel": "app"},
        )
        call(
            cs,
            "POST",
            consent + "/refuse",
            f"/v1/customers/{cid}/consent/refuse",
            json={"purposes": ["marketing"], "channel": "app"},
        )
        marketing = "/v1/customers/{customer_id}/marketing"
        call(cs, "GET", marketing, f"/v1/customers/{cid}/marketing")
        call(
            cs,
            "PUT",
            marketing,
            f"/v1/customers/{cid}/marketing",
            json={"opt_out": True, "personalised": False},
        )
        call("admin", "GET", "/v1/keys/status", "/v1/keys/status")
        call("admin", "POST", "/v1/keys/rotate", "/v1/keys/rotate")
        call("admin", "POST", "/v1/reindex", "/v1/reindex")
        call("admin", "POST", "/v1/keys/{version}/retire", "/v1/keys/1/retire")
        for _ in range(6):  # failed logins raise an alert for the auditor to acknowledge
            client.post("/v1/auth/login", json={"name": mk.name, "password": "wrong"})
        call("auditor", "GET", "/v1/audit/entries", "/v1/audit/entries")
        call("auditor", "GET", "/v1/audit/verify", "/v1/audit/verify")
        call("auditor", "GET", "/v1/audit/public-key", "/v1/audit/public-key")
        call(
            "auditor",
            "GET",
            "/v1/audit/customers/{customer_id}/history",
            f"/v1/audit/customers/{cid}/history",
        )
        call("admin", "GET", "/v1/outbox", "/v1/outbox")

        # Rights requests and complaints: intake by customer service, decisions by the officer.
        def case(kind: str, body: dict[str, Any]) -> str:
            return str(call(cs, "POST", f"/v1/{kind}", f"/v1/{kind}", json=body)["id"])

        rq = "/v1/requests/{case_id}"
        first = case("requests", {"customer_id": cid, "type": "correction", "channel": "email"})
        call(cs, "POST", rq + "/send-code", f"/v1/requests/{first}/send-code")
        call(cs, "POST", rq + "/verify", f"/v1/requests/{first}/verify", json={"in_person": True})
        call("officer", "POST", rq + "/pause", f"/v1/requests/{first}/pause", json={"reason": "waiting"})
        call("officer", "POST", rq + "/resume", f"/v1/requests/{first}/resume", json={"reason": "answered"})
        call("officer", "POST", rq + "/extend", f"/v1/requests/{first}/extend", json={"reason": "archive"})
        call("officer", "GET", rq, f"/v1/requests/{first}")
        call("officer", "GET", "/v1/requests", "/v1/requests")
        call(
            "officer",
            "POST",
            rq + "/complete",
            f"/v1/requests/{first}/complete",
            json={"changes": [{"record_type": "customer", "values": {"email": "new@example.com"}}]},
        )
        # A close relative of the (deceased) customer, verified at the counter, refused in writing.
        kin = case(
            "requests",
            {
                "customer_id": cid,
                "type": "access",
                "channel": "counter",
                "requester_relation": "relative",
                "relationship": "spouse",
                "requester": {"name": "欧阳建国", "document": "110105196501010017"},
            },
        )
        call(cs, "POST", rq + "/verify", f"/v1/requests/{kin}/verify", json={"in_person": True})
        call("officer", "POST", rq + "/refuse", f"/v1/requests/{kin}/refuse", json={"reason": "no proof"})
        assert "no proof" in call("officer", "GET", rq + "/letter", f"/v1/requests/{kin}/letter")
        call(
            "officer",
            "PUT",
            "/v1/customers/{customer_id}/rights-instructions",
            f"/v1/customers/{cid}/rights-instructions",
            json={"no_relatives": True},
        )
        second = case("requests", {"customer_id": cid, "type": "portability", "channel": "letter"})
        call("officer", "POST", rq + "/refuse", f"/v1/requests/{second}/refuse", json={"reason": "not ours"})
        complaint = case("complaints", {"customer_id": cid, "channel": "phone"})
        call("officer", "GET", "/v1/complaints", "/v1/complaints")
        call("officer", "GET", "/v1/complaints/{case_id}", f"/v1/complaints/{complaint}")
        call(
            "officer",
            "POST",
            "/v1/complaints/{case_id}/close",
            f"/v1/complaints/{complaint}/close",
            json={"outcome": "apologised"},
        )
        # Legal holds: placed and released by the officer, looked at by the auditor.
        hold_in = {"customer_id": cid, "reason": "litigation"}
        hold = call("officer", "POST", "/v1/holds", "/v1/holds", json=hold_in)
        call("auditor", "GET", "/v1/holds", "/v1/holds")
        call("auditor", "GET", "/v1/holds/{hold_id}", f"/v1/holds/{hold['id']}")
        call(
            "officer",
            "POST",
            "/v1/holds/{hold_id}/release",
            f"/v1/holds/{hold['id']}/release",
            json={"reason": "settled"},
        )
        # Sharing (issue 15): partner, agreement and PIPIA by the officer; a share and an extract
        # by the sharing officer; the log and deletion notices looked at by the auditor.
        from tests.sharing.conftest import DOC, SECTIONS, USCC, adult, consented, purpose_assessment

        partner_in = {
            "name": "顺达物流有限公司", "uscc": USCC, "contact": "dpo@shunda.example", "country": "CN",
            "role": "recipient", "security_basis": "ISO/IEC 27001", "assessed_on": "2026-01-01",
            "assessment_expires": "2027-01-01", "assessor": "CNAS",
        }  # fmt: skip
        ptn = call("officer", "POST", "/v1/partners", "/v1/partners", json=partner_in)["id"]
        call("auditor", "GET", "/v1/partners", "/v1/partners")
        call("auditor", "GET", "/v1/partners/{partner_id}", f"/v1/partners/{ptn}")
        agreement_in = {
            "partner_id": ptn, "type": "provision", "purpose": "partner_provision",
            "fields": {
                "mobile": "pseudonymise",
                "birth_date": {"rule": "generalise", "params": {"to": "year"}},
            },
            "method": "SFTP", "safeguards": "encrypted", "starts_on": "2026-01-01", "ends_on": "2027-01-01",
            "document_sha256": DOC,
        }  # fmt: skip
        agr = call("officer", "POST", "/v1/agreements", "/v1/agreements", json=agreement_in)["id"]
        call("auditor", "GET", "/v1/agreements", "/v1/agreements")
        call("auditor", "GET", "/v1/agreements/{agreement_id}", f"/v1/agreements/{agr}")
        pia_in = {
            "sections": SECTIONS, "conclusion": "acceptable", "reviewer": "DPO", "assessed_on": "2026-03-01",
            "valid_until": "2027-03-01", "agreement_id": agr,
        }  # fmt: skip
        pia = call("officer", "POST", "/v1/assessments", "/v1/assessments", json=pia_in)["id"]
        call("auditor", "GET", "/v1/assessments", "/v1/assessments")
        call("auditor", "GET", "/v1/assessments/{assessment_id}", f"/v1/assessments/{pia}")
        shared_cid = consented(world, values=adult(901))
        share_in = {"agreement_id": agr, "fields": ["mobile"], "customers": [shared_cid]}
        assert call("sharing_officer", "POST", "/v1/shares", "/v1/shares", json=share_in)["persons"] == 1
        fans = [consented(world, "analytics", adult(910 + i, gender="F"), ("general",)) for i in range(2)]
        extract_in = {
            "purpose": "analytics",
            "fields": ["gender"],
            "quasi": ["gender"],
            "k": 2,
            "customers": fans,
        }
        assert call("sharing_officer", "POST", "/v1/extracts", "/v1/extracts", json=extract_in)["k"] == 2
        asked = call("sharing_officer", "POST", "/v1/share-requests", "/v1/share-requests", json=share_in)
        call("officer", "GET", "/v1/share-requests", "/v1/share-requests")
        call("officer", "POST", "/v1/share-requests/{request_id}/decide",
             f"/v1/share-requests/{asked['id']}/decide", json={"approve": True})  # fmt: skip
        downloaded = call("sharing_officer", "POST", "/v1/share-requests/{request_id}/download",
                          f"/v1/share-requests/{asked['id']}/download")  # fmt: skip
        assert downloaded["manifest"]["approver"]
        purpose_assessment(world, "public_disclosure")
        public_cid = consented(world, "public_disclosure", adult(902), kinds=("general", "public_disclosure"))
        disclosure_in = {"purpose": "public_disclosure", "fields": {"name": "mask"}, "medium": "官网公示",
                         "customers": [public_cid]}  # fmt: skip
        disclosed = call("sharing_officer", "POST", "/v1/disclosures", "/v1/disclosures", json=disclosure_in)
        assert disclosed["persons"] == 1
        call("auditor", "GET", "/v1/transfers", "/v1/transfers")
        call("officer", "POST", "/v1/customers/{customer_id}/erase", f"/v1/customers/{shared_cid}/erase",
             json={"reason": "request"})  # fmt: skip
        notices = call("auditor", "GET", "/v1/deletion-notices", "/v1/deletion-notices")["notices"]
        call("officer", "POST", "/v1/deletion-notices/{notice_id}/ack",
             f"/v1/deletion-notices/{notices[0]['id']}/ack")  # fmt: skip
        call("officer", "POST", "/v1/agreements/{agreement_id}/suspend", f"/v1/agreements/{agr}/suspend",
             json={"reason": "incident"})  # fmt: skip
        call("officer", "POST", "/v1/agreements/{agreement_id}/end", f"/v1/agreements/{agr}/end", json={})
        call("auditor", "GET", "/v1/retention/plan", "/v1/retention/plan")
        # A service note four years old: its rule asks a person, so the run queues it for review.
        started = world.clock.now()
        world.clock.set(started.replace(year=started.year - 4))
        noted = world.inst.gate.create(
            RequestContext(SETUP, "service"), "customer", {"name": "钱七", "mobile": "13800138078"}
        ).customer_id
        world.service.create(
            RequestContext(SETUP, "customer_support"), "service_note", {"text": "来电", "channel": "phone"},
            customer_id=noted,
        )  # fmt: skip
        world.clock.set(started)
        call("admin", "POST", "/v1/retention/run", "/v1/retention/run")
        [review] = call("auditor", "GET", "/v1/retention/reviews", "/v1/retention/reviews")["reviews"]
        decision = {"decision": "destroy", "reason": "closed"}
        call("officer", "POST", "/v1/retention/reviews/{review_id}/decide",
             f"/v1/retention/reviews/{review['id']}/decide", json=decision)  # fmt: skip
        call("auditor", "GET", "/v1/retention/statistics", "/v1/retention/statistics")
        ended = {"event": "contract_end", "reason": "ended"}
        call("customer_service", "POST", "/v1/customers/{customer_id}/lifecycle-events",
             f"/v1/customers/{noted}/lifecycle-events", json=ended)  # fmt: skip
        alerts = call("auditor", "GET", "/v1/alerts", "/v1/alerts")["alerts"]
        assert alerts, "the failed logins raised no alert"
        call(
            "auditor",
            "POST",
            "/v1/alerts/{alert_id}/ack",
            f"/v1/alerts/{alerts[0]['id']}/ack",
            json={"comment": "checked"},
        )
        # Hotel stays (issue 11.5): the desk registers a stay, checks it in under a check-in grant
        # an officer approved (the customer has no ID number on record), and checks it out.
        desk = world.staff_of("front_desk")
        stay = call(
            "front_desk",
            "POST",
            "/v1/stays",
            "/v1/stays",
            json={
                "purpose": "service",
                "customer_id": cid,
                "values": {"room_no": "1208", "check_in": TODAY.isoformat(), "check_out": TODAY.isoformat()},
            },
        )["stay_id"]
        ticket = world.access.grants.request(
            desk.actor, kind="check_in", customer_id=cid, purpose="service", reason="walk-in"
        )
        world.access.grants.decide(world.step_up(world.staff_of("officer")), ticket.id, approve=True)
        call(
            "front_desk",
            "POST",
            "/v1/stays/{stay_id}/check-in",
            f"/v1/stays/{stay}/check-in",
            json={"purpose": "service", "grant_id": ticket.id},
        )
        call(
            "front_desk",
            "POST",
            "/v1/stays/{stay_id}/check-out",
            f"/v1/stays/{stay}/check-out",
            json={"purpose": "service"},
        )
        call(
            "officer",
            "POST",
            "/v1/customers/{customer_id}/erase",
            f"/v1/customers/{cid}/erase",
            json={"reason": "request"},
        )
        # Newest first: this erasure's record (the shared customer's erasure came before it).
        record = call("auditor", "GET", "/v1/destructions", "/v1/destructions")["records"][0]
        closing = world.inst.gate.create(
            RequestContext(SETUP, "service"), "customer", {"name": "赵六", "mobile": "13800138077"}
        ).customer_id
        call(
            cs,
            "POST",
            "/v1/customers/{customer_id}/close",
            f"/v1/customers/{closing}/close",
            json={"reason": "account closed at the counter"},
        )
        call("auditor", "GET", "/v1/destructions/{record_id}", f"/v1/destructions/{record['id']}")
        call("admin", "POST", "/v1/backups", "/v1/backups", json={"name": "nightly"})
        call("admin", "GET", "/v1/backups", "/v1/backups")
        call("admin", "POST", "/v1/backups/verify", "/v1/backups/verify", json={"name": "nightly"})
        call("admin", "GET", "/v1/backups/ledger", "/v1/backups/ledger")

        # Compliance evidence: governance by the officer, checks, reports and the bundle by the auditor.
        cp = "/v1/compliance"
        officer_in = {"name": "王敏", "contact": "dpo@example.com"}
        call("officer", "PUT", cp + "/officer", cp + "/officer", json=officer_in)
        policy_in = {"name": "pi-protection", "title": "PI protection", "text": "Rules.", "scope": "general"}
        call("officer", "POST", cp + "/policies", cp + "/policies", json=policy_in)
        call("auditor", "GET", cp + "/policies/{name}", cp + "/policies/pi-protection")
        audit_in = {"scope": "general", "completed_on": "2026-01-05", "auditor": "Audit Co."}
        audit_in["result"] = "passed"
        call("officer", "POST", cp + "/audits", cp + "/audits", json=audit_in)
        call("auditor", "GET", cp + "/governance", cp + "/governance")
        call("auditor", "GET", cp + "/checks", cp + "/checks")
        call("auditor", "GET", cp + "/ropa", cp + "/ropa")
        kept = call("auditor", "POST", cp + "/reports", cp + "/reports", json={"formats": ["json"]})
        call("auditor", "GET", cp + "/reports", cp + "/reports")
        call(
            "auditor",
            "GET",
            cp + "/reports/{report_id}/files/{name}",
            f"{cp}/reports/{kept['id']}/files/report.json",
        )
        call("auditor", "POST", cp + "/bundle", cp + "/bundle")
        # Incidents: the officer handles one end to end; the auditor looks.
        now = world.clock.now().isoformat()
        inc = call(
            "officer", "POST", "/v1/incidents", "/v1/incidents", json={"title": "leak", "discovered": now}
        )
        iid, base = inc["id"], "/v1/incidents/{incident_id}"
        call("auditor", "GET", "/v1/incidents", "/v1/incidents")
        call("auditor", "GET", base, f"/v1/incidents/{iid}")
        update_in = {"justification": "triage", "stage": "assessing"}
        call("officer", "POST", base + "/update", f"/v1/incidents/{iid}/update", json=update_in)
        suspect = world.staff_of(cs).actor.id
        scope_in = {"actors": [suspect], "actions": ["read"]}
        call("officer", "POST", base + "/scope", f"/v1/incidents/{iid}/scope", json=scope_in)
        call("officer", "POST", base + "/grade", f"/v1/incidents/{iid}/grade", json={"persons": 3})
        call("officer", "POST", base + "/notify", f"/v1/incidents/{iid}/notify", json={"mode": "draft"})
        victim = world.user("customer_service", name="cs_suspect").name
        call("officer", "POST", base + "/contain", f"/v1/incidents/{iid}/contain", json={"freeze": victim})
        call("officer", "POST", base + "/close", f"/v1/incidents/{iid}/close", json={"justification": "done"})
        call("officer", "POST", "/v1/incidents/plan", "/v1/incidents/plan", json={"document": "预案"})
        drill_in = {"held_on": TODAY.isoformat(), "scenario": "leak", "participants": 3}
        call("officer", "POST", "/v1/incidents/drills", "/v1/incidents/drills", json=drill_in)
        call("auditor", "GET", "/v1/incidents/drills", "/v1/incidents/drills")

        assert top_level - NOT_ON_THE_API <= reached, top_level - NOT_ON_THE_API - reached
        assert NOT_ON_THE_API <= top_level  # the exceptions name real operations
        routes = {
            r
            for r in _routes(app)
            if not r[1].startswith(ACCOUNT_PREFIXES) and r not in NO_OPERATION_ROUTES | LINK_ROUTES
        }
        assert routes <= called, routes - called
        # Account routes refuse without a token and never carry customer values.
        assert client.get("/v1/whoami").status_code == 401
        assert client.get("/v1/users").status_code == 401
    finally:
        world.inst.close()


def _access(inst: Installation) -> AccessControl:
    return cli_access.access_of(inst)


def test_every_cli_command_is_classified() -> None:
    # Every module's commands: the main app loads them lazily (issue 19).
    full = cli_main.full_app()
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in full.registered_commands}
    names |= {g.name or "" for g in full.registered_groups}
    probe = typer.Typer()
    cli_access.register(probe)
    cli_audit.register(probe)
    names |= {c.name or (c.callback.__name__ if c.callback else "") for c in probe.registered_commands}
    names |= {g.name or "" for g in probe.registered_groups}
    names = {n.rstrip("_").replace("_", "-") for n in names}
    unclassified = names - NON_DATA_COMMANDS - DATA_COMMANDS
    assert not unclassified, f"classify these commands: {unclassified}"


@pytest.mark.parametrize(
    "module",
    [
        cli_main,
        cli_access,
        cli_audit,
        cli_consent,
        cli_records,
        app_module,
        access_routes,
        audit_routes,
        consent_routes,
        records_routes,
        routers,
    ],
)
def test_edges_never_touch_the_vault_directly(module: object) -> None:
    source = inspect.getsource(module)  # type: ignore[arg-type]
    assert ".vault." not in source.replace("piguard.vault.", ""), module
    assert "inst.vault" not in source and "import Vault" not in source
