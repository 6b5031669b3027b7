"""Rights requests and complaints end to end through the HTTP API with authenticated staff
(R-RGT-1..4, R-RGT-7): intake, the clock, identity verification by code and in person, pauses
and extensions, refusals with reasons, deletion and explanation fulfilled, and no PI at rest."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from piguard.access.credentials import totp_now
from piguard.api.app import create_app
from piguard.crypto.keyring import generate_master_secret
from piguard.errors import AccessDenied
from piguard.gate import RequestContext
from piguard.gate.principals import system_context
from piguard.outbox import Outbox
from piguard.outbox.tables import messages
from piguard.rights import Rights
from tests.access.conftest import ADULT, SETUP, World, make_world

with warnings.catch_warnings():
    # starlette warns that its test client prefers httpx2; the httpx shipped here works.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    (tmp_path / "master.key").write_text(generate_master_secret())
    w = make_world(tmp_path, {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}, audited=True)
    yield w
    w.inst.close()


class Api:
    def __init__(self, world: World) -> None:
        self.world = world
        self.client = TestClient(create_app(world.inst))

    def __call__(self, role: str, method: str, url: str, expect: int = 200, **kw: Any) -> Any:
        staff = self.world.staff_of(role)
        self.world.step_up(staff)
        response = self.client.request(method, url, headers={"Authorization": f"Bearer {staff.token}"}, **kw)
        assert response.status_code == expect, (role, method, url, response.status_code, response.text)
        return response.json()


@pytest.fixture
def api(world: World) -> Api:
    return Api(world)


def sent_codes(world: World, case_id: str) -> list[str]:
    """The codes the outbox would send for a case (read as the sender would, from the sealed row)."""
    box = world.inst.capability(Outbox)
    with world.inst.db.read() as conn:
        rows = conn.execute(
            select(messages.c.id, messages.c.params).where(
                messages.c.reference == case_id, messages.c.template == "verification_code"
            )
        ).all()
    return [json.loads(box._box.open(p, box._context(i)))["code"] for i, p in rows]


def move(world: World, when: datetime) -> None:
    """Set the clock and sign every staff member in again (sessions expire as time passes)."""
    world.clock.set(when)
    for staff in world.staff.values():
        login = world.access.login(staff.name, staff.password, totp_now(staff.totp_secret, world.clock.now()))
        staff.token = login.token
        staff.actor = world.access.authenticate(login.token)


def opened(api: Api, cid: str, type_: str, channel: str = "email", **extra: Any) -> dict[str, Any]:
    body = {"customer_id": cid, "type": type_, "channel": channel, **extra}
    return api("customer_service", "POST", "/v1/requests", expect=201, json=body)  # type: ignore[no-any-return]


@pytest.mark.req("R-RGT-1", "R-RGT-3")
def test_intake_gives_a_due_date_in_working_days_and_queues_a_receipt(world: World, api: Api) -> None:
    cid = world.customer()
    move(world, datetime(2026, 9, 22, 2, tzinfo=UTC))
    received = "2026-09-21T10:00:00+08:00"
    case = opened(api, cid, "access", received=received)
    summary = (case["type"], case["status"], case["due"], case["provisional"])
    assert summary == ("access", "received", "2026-10-19", False)
    assert case["intake_by"] == world.staff_of("customer_service").actor.id
    [listed] = api("officer", "GET", "/v1/requests")["cases"]
    assert listed["id"] == case["id"]
    with world.inst.db.read() as conn:
        query = select(messages.c.template).where(messages.c.reference == case["id"])
        templates = conn.execute(query).scalars().all()
    assert templates == ["request_received"]
    entry = world.inst.audit.query(action="rights_open", limit=5)[-1]
    assert entry.detail["type"] == "access" and entry.detail["channel"] == "email"


@pytest.mark.req("R-RGT-3")
def test_a_future_receipt_time_and_unknown_types_are_refused(world: World, api: Api) -> None:
    cid = world.customer()
    future = (world.clock.now() + timedelta(days=1)).isoformat()
    body = {"customer_id": cid, "type": "access", "channel": "letter", "received": future}
    problem = api("customer_service", "POST", "/v1/requests", expect=422, json=body)
    assert "future" in json.dumps(problem)
    body = {"customer_id": cid, "type": "telepathy", "channel": "letter"}
    api("customer_service", "POST", "/v1/requests", expect=422, json=body)
    assert api("officer", "GET", "/v1/requests")["cases"] == []


@pytest.mark.req("R-RGT-2")
def test_wrong_expired_and_reused_codes_are_refused_and_audited(world: World, api: Api) -> None:
    cid = world.customer()
    case = opened(api, cid, "access")
    url = f"/v1/requests/{case['id']}"
    api("customer_service", "POST", f"{url}/send-code")
    [code] = sent_codes(world, case["id"])
    wrong = "000000" if code != "000000" else "111111"
    api("customer_service", "POST", f"{url}/verify", expect=403, json={"code": wrong, **STATED})
    assert api("officer", "GET", url)["status"] == "received"
    verified = api("customer_service", "POST", f"{url}/verify", json={"code": code, **STATED})
    assert (verified["status"], verified["verified"]) == ("verified", "code+stated")
    # Used once: the same code again is refused.
    api("customer_service", "POST", f"{url}/verify", expect=403, json={"code": code, **STATED})
    outcomes = [e.detail["outcome"] for e in world.inst.audit.query(action="rights_verify", limit=10)]
    assert outcomes == ["wrong_code", "verified", "code_used"]

    other = opened(api, cid, "deletion")
    api("customer_service", "POST", f"/v1/requests/{other['id']}/send-code")
    [late] = sent_codes(world, other["id"])
    world.clock.advance(timedelta(minutes=11))
    api(
        "customer_service",
        "POST",
        f"/v1/requests/{other['id']}/verify",
        expect=403,
        json={"code": late, **STATED},
    )
    assert world.inst.audit.query(action="rights_verify", limit=10)[-1].detail["outcome"] == "code_expired"


#: What a requester on the phone states of the profile (matched yes/no, under the agent's purpose).
STATED = {"stated": {"name": ADULT["name"], "resident_id": ADULT["resident_id"]}, "purpose": "service"}


@pytest.mark.req("R-RGT-2")
def test_a_request_that_hands_out_data_needs_stated_values_that_match_as_well_as_the_code(
    world: World, api: Api, tmp_path: Path
) -> None:
    """R-RGT-2: what the requester knows, matched without anyone seeing the stored values, plus the
    code to the contact on record; a mismatch burns no code attempt, says not which value was wrong,
    and three of them leave only the counter."""
    case = opened(api, world.customer(), "deletion")
    url = f"/v1/requests/{case['id']}"
    api("customer_service", "POST", f"{url}/send-code")
    [code] = sent_codes(world, case["id"])
    assert (
        api("customer_service", "POST", f"{url}/verify", expect=422, json={"code": code})["field"] == "stated"
    )
    one = {"stated": {"name": ADULT["name"]}, "purpose": "service"}
    api("customer_service", "POST", f"{url}/verify", expect=422, json={"code": code, **one})
    wrong = {"stated": {"name": ADULT["name"], "resident_id": "110105199003070199"}, "purpose": "service"}
    refused = api("customer_service", "POST", f"{url}/verify", expect=403, json={"code": code, **wrong})
    assert "resident_id" not in refused["detail"] and "110105199003070199" not in str(refused)
    for _ in range(2):
        api("customer_service", "POST", f"{url}/verify", expect=403, json={"code": code, **wrong})
    # Three mismatches: even the right values and code no longer verify (only in person).
    api("customer_service", "POST", f"{url}/verify", expect=403, json={"code": code, **STATED})
    outcomes = [e.detail["outcome"] for e in world.inst.audit.query(action="rights_verify", limit=10)]
    assert outcomes == ["stated_mismatch"] * 3 + ["too_many_attempts"]
    assert (
        api("customer_service", "POST", f"{url}/verify", json={"in_person": True})["verified"] == "in_person"
    )
    # The code was never consumed by the mismatches; no stated value is in the database files.
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            assert b"110105199003070199" not in path.read_bytes(), path
    # A request that hands nothing out (an explanation) is verified by the code alone.
    light = opened(api, world.customer(dict(ADULT, mobile="13700137009")), "explanation")
    api("customer_service", "POST", f"/v1/requests/{light['id']}/send-code")
    [light_code] = sent_codes(world, light["id"])
    done = api("customer_service", "POST", f"/v1/requests/{light['id']}/verify", json={"code": light_code})
    assert done["verified"] == "code"


@pytest.mark.req("R-RGT-2")
def test_too_many_wrong_codes_void_the_code(world: World, api: Api) -> None:
    case = opened(api, world.customer(), "access")
    url = f"/v1/requests/{case['id']}"
    api("customer_service", "POST", f"{url}/send-code")
    [code] = sent_codes(world, case["id"])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        api("customer_service", "POST", f"{url}/verify", expect=403, json={"code": wrong, **STATED})
    api("customer_service", "POST", f"{url}/verify", expect=403, json={"code": code, **STATED})
    last = world.inst.audit.query(action="rights_verify", limit=10)[-1]
    assert last.detail["outcome"] == "too_many_attempts"
    assert api("officer", "GET", url)["verified"] is None


@pytest.mark.req("R-RGT-3")
def test_pause_resume_and_extend_move_the_due_date_and_need_reasons(world: World, api: Api) -> None:
    cid = world.customer()
    move(world, datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    case = opened(api, cid, "correction", received="2026-11-02T10:00:00+08:00")
    url = f"/v1/requests/{case['id']}"
    assert case["due"] == "2026-11-23"
    move(world, datetime(2026, 11, 4, 2, 0, tzinfo=UTC))  # Wed 4 Nov, 10:00 Beijing
    api("officer", "POST", f"{url}/pause", json={"reason": "waiting for a copy of the ID card"})
    move(world, datetime(2026, 11, 6, 1, 0, tzinfo=UTC))  # Fri 6 Nov, 09:00
    resumed = api("officer", "POST", f"{url}/resume", json={"reason": "copy received"})
    assert resumed["due"] == "2026-11-25" and resumed["status"] == "received"
    api("officer", "POST", f"{url}/extend", expect=422, json={"reason": " "})
    extended = api("officer", "POST", f"{url}/extend", json={"reason": "records in the archive"})
    assert extended["due"] == "2026-12-16" and extended["extension"] == 15
    api("officer", "POST", f"{url}/extend", expect=422, json={"reason": "again"})
    reasons = [e["reason"] for e in api("officer", "GET", url)["timeline"] if e["reason"]]
    assert reasons == ["waiting for a copy of the ID card", "copy received", "records in the archive"]
    # Deciding is the officer's: customer service may take a request in but not pause it.
    api("customer_service", "POST", f"{url}/pause", expect=403, json={"reason": "x"})


@pytest.mark.req("R-RGT-4")
def test_a_refusal_states_its_reason_and_the_remedy(world: World, api: Api) -> None:
    case = opened(api, world.customer(), "portability")
    url = f"/v1/requests/{case['id']}"
    api("officer", "POST", f"{url}/refuse", expect=422, json={"reason": "   "})
    refused = api("officer", "POST", f"{url}/refuse", json={"reason": "the data was not provided by you"})
    assert (refused["status"], refused["outcome"]) == ("refused", "refused")
    box = world.inst.capability(Outbox)
    with world.inst.db.read() as conn:
        mid, params = conn.execute(
            select(messages.c.id, messages.c.params).where(
                messages.c.reference == case["id"], messages.c.template == "request_outcome"
            )
        ).one()
    told = json.loads(box._box.open(params, box._context(mid)))["outcome"]
    assert "the data was not provided by you" in told and "人民法院" in told
    api("officer", "POST", f"{url}/complete", expect=409, json={"note": "x"})


@pytest.mark.req("R-RGT-1", "R-DST-1")
def test_deletion_needs_verification_then_erases_the_customer(world: World, api: Api) -> None:
    cid = world.customer()
    other = world.customer(dict(ADULT, mobile="13900139000", email="other@example.com"))
    case = opened(api, cid, "deletion", channel="counter")
    url = f"/v1/requests/{case['id']}"
    api("officer", "POST", f"{url}/complete", expect=422, json={})
    api("customer_service", "POST", f"{url}/verify", json={"in_person": True})
    done = api("officer", "POST", f"{url}/complete", json={})
    assert done["case"]["status"] == "completed" and done["case"]["outcome"] == "erased"
    assert done["produced"]["erased_records"] >= 1
    assert not world.inst.vault.exists(cid)
    assert world.inst.vault.exists(other)
    [entry] = world.inst.audit.query(action="rights_complete", limit=10)
    assert entry.detail["outcome"] == "erased"


@pytest.mark.req("R-RGT-1", "R-USE-6")
def test_explanation_is_generated_from_the_catalog(world: World, api: Api) -> None:
    cid = world.customer()
    world.consent(cid, "marketing")
    case = opened(api, cid, "explanation")
    url = f"/v1/requests/{case['id']}"
    api("customer_service", "POST", f"{url}/verify", json={"in_person": True})
    done = api("officer", "POST", f"{url}/complete", json={})
    explained = {p["purpose"]: p for p in done["produced"]["explanation"]}
    assert explained["service"]["legal_basis"] == "contract"
    assert "mobile" in explained["service"]["fields"]["customer"]
    assert explained["marketing"]["legal_basis"] == "consent" and explained["marketing"]["marketing"]
    # PIPL 48: how *this* customer's data is processed, i.e. with the consents they gave.
    consents = json.dumps(done["produced"]["consents"])
    assert "marketing" in consents and "analytics" not in consents


@pytest.mark.req("R-RGT-7")
def test_a_complaint_is_a_case_with_a_deadline_and_an_outcome(world: World, api: Api) -> None:
    cid = world.customer()
    move(world, datetime(2026, 9, 22, 2, tzinfo=UTC))
    body = {"customer_id": cid, "channel": "phone", "received": "2026-09-21T10:00:00+08:00"}
    case = api("customer_service", "POST", "/v1/complaints", expect=201, json=body)
    assert (case["kind"], case["due"]) == ("complaint", "2026-10-19")
    assert [c["id"] for c in api("officer", "GET", "/v1/complaints")["cases"]] == [case["id"]]
    assert api("officer", "GET", "/v1/requests")["cases"] == []
    closed = api("officer", "POST", f"/v1/complaints/{case['id']}/close", json={"outcome": "agent retrained"})
    assert closed["case"]["status"] == "completed"


@pytest.mark.req("R-RGT-3")
def test_the_clock_job_counts_overdue_cases_and_raises_an_alert(world: World, api: Api) -> None:
    cid = world.customer()
    opened(api, cid, "access", received="2026-03-02T10:00:00+08:00")
    move(world, datetime(2026, 4, 1, 2, tzinfo=UTC))
    counts = world.inst.capability(Rights).tick(system_context("rights_clock"))
    assert counts["overdue"] == 1
    [overdue] = api("officer", "GET", "/v1/requests?overdue=true")["cases"]
    assert overdue["due"] < date(2026, 4, 1).isoformat()
    alerts = [a for a in world.inst.audit.alerts() if a.rule == "rights_deadline"]
    assert len(alerts) == 1 and alerts[0].severity == "high"


def test_cases_hold_no_pi_and_reasons_are_sealed(world: World, api: Api, tmp_path: Path) -> None:
    """Canary: a reason quoting the customer's mobile, and the customer's values, are in no file."""
    cid = world.customer(dict(ADULT, mobile="13712349876", name="司马相如"))
    case = opened(api, cid, "correction", channel="phone")
    url = f"/v1/requests/{case['id']}"
    api("officer", "POST", f"{url}/pause", json={"reason": "call back on 13712349876 about 司马相如"})
    api("customer_service", "POST", f"{url}/send-code")
    world.inst.audit.checkpoint()
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file() and path.suffix != ".txt":  # the demo's file channel writes messages by design
            data = path.read_bytes()
            assert b"13712349876" not in data, path
            assert "司马相如".encode() not in data, path
    ctx = RequestContext(world.step_up(world.staff_of("officer")), "")
    shown = world.inst.capability(Rights).show(ctx, case["id"])
    assert shown.timeline[1].reason == "call back on 13712349876 about 司马相如"


def _link_token(world: World, case_id: str) -> str:
    box = world.inst.capability(Outbox)
    with world.inst.db.read() as conn:
        mid, params = conn.execute(
            select(messages.c.id, messages.c.params).where(
                messages.c.reference == case_id, messages.c.template == "package_ready"
            )
        ).one()
    link = json.loads(box._box.open(params, box._context(mid)))["link"]
    assert link.startswith("http://127.0.0.1:8700/v1/packages/")
    return str(link.rsplit("/", 1)[1])


@pytest.mark.req("R-RGT-1")
def test_an_access_copy_reaches_only_the_customer_by_a_one_time_link(world: World, api: Api) -> None:
    """The copy holds every record, consent and access of the customer and nothing of another
    (canary values); the officer who completes the request never sees it; the link works once."""
    cid = world.customer()
    world.consent(cid, "marketing")
    account = {"account_no": "6222020200112233445", "balance": "88.50"}
    world.service.create(RequestContext(SETUP, "service"), "bank_account", account, customer_id=cid)
    other = world.customer(dict(ADULT, name="诸葛孔明", mobile="13911112222", email="kongming@example.com"))
    case = opened(api, cid, "access")
    url = f"/v1/requests/{case['id']}"
    api("customer_service", "POST", f"{url}/verify", json={"in_person": True})
    done = api("officer", "POST", f"{url}/complete", json={})
    assert done["case"]["outcome"] == "sent"
    assert ADULT["mobile"] not in json.dumps(done) and ADULT["name"] not in json.dumps(done)
    token = _link_token(world, case["id"])
    response = api.client.get(f"/v1/packages/{token}")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    copy = response.json()
    assert copy["schema"] == "piguard.access-package/1" and copy["customer_id"] == cid
    kinds = {r["record_type"]: r["fields"] for r in copy["records"]}
    assert kinds["customer"]["name"] == ADULT["name"]
    assert kinds["customer"]["resident_id"] == ADULT["resident_id"]
    assert kinds["bank_account"]["account_no"] == "6222020200112233445"
    assert [r["purposes"] for r in copy["consents"]["history"]] == [["marketing"]]
    assert copy["access_history"]["history"]  # who looked at the customer's data, and why
    text = json.dumps(copy, ensure_ascii=False)
    for canary in ("诸葛孔明", "13911112222", "kongming@example.com", other):
        assert canary not in text
    assert copy["content_hash"].startswith("sha256:")
    assert api.client.get(f"/v1/packages/{token}").status_code == 404  # once only
    [entry] = world.inst.audit.query(action="rights_package", limit=5)
    assert (entry.actor_id, entry.detail["kind"]) == (f"customer:{cid}", "access")
    assert world.inst.audit.query(action="rights_package_download", limit=5)


@pytest.mark.req("R-RGT-5")
def test_portability_copies_only_what_came_by_consent_or_contract_and_links_expire(
    world: World, api: Api
) -> None:
    cid = world.customer()
    case = opened(api, cid, "portability")
    url = f"/v1/requests/{case['id']}"
    api("customer_service", "POST", f"{url}/verify", json={"in_person": True})
    api("officer", "POST", f"{url}/complete", json={})
    token = _link_token(world, case["id"])
    second = opened(api, cid, "portability")
    api("customer_service", "POST", f"/v1/requests/{second['id']}/verify", json={"in_person": True})
    api("officer", "POST", f"/v1/requests/{second['id']}/complete", json={})
    copy = api.client.get(f"/v1/packages/{_link_token(world, second['id'])}").json()
    assert copy["schema"] == "piguard.portability/1" and copy["records"]
    catalog = world.inst.catalog
    for record in copy["records"]:
        for name in record["fields"]:
            purposes = catalog.field(record["record_type"], name).purposes
            bases = {catalog.purposes[p].legal_basis for p in purposes}
            assert bases & {"consent", "contract"}, name
    world.clock.advance(timedelta(days=8))
    assert api.client.get(f"/v1/packages/{token}").status_code == 404  # expired
    assert api.client.get("/v1/packages/not-a-token").status_code == 404


@pytest.mark.req("R-RGT-5")
def test_portability_copy_schema_and_the_readable_page(world: World, api: Api) -> None:
    cid = world.customer(dict(ADULT, address="<b>北京</b>市朝阳区建国路88号"))
    case = opened(api, cid, "portability")
    url = f"/v1/requests/{case['id']}"
    api("customer_service", "POST", f"{url}/verify", json={"in_person": True})
    api("officer", "POST", f"{url}/complete", json={})
    page = api.client.get(f"/v1/packages/{_link_token(world, case['id'])}?format=html")
    assert page.status_code == 200 and "您的个人信息副本" in page.text
    assert "&lt;b&gt;北京" in page.text and "<b>北京" not in page.text


@pytest.mark.req("R-RGT-1")
def test_a_restriction_is_enforced_by_the_gate_on_every_later_access(world: World, api: Api) -> None:
    """PIPL 44: once a customer restricts a purpose, every operation for it is refused, for every
    role and capability; other purposes go on; a purpose the law requires cannot be restricted."""
    cid = world.customer()
    world.consent(cid, "marketing")
    marketer = RequestContext(world.step_up(world.staff_of("marketing")), "marketing")
    assert world.service.read(marketer, "customer", cid, ["marketing_tags", "mobile"])
    case = opened(api, cid, "restriction")
    url = f"/v1/requests/{case['id']}"
    api("customer_service", "POST", f"{url}/verify", json={"in_person": True})
    problem = api("officer", "POST", f"{url}/complete", expect=422, json={"purposes": ["aml_kyc"]})
    assert "required by law" in problem["detail"]
    api("officer", "POST", f"{url}/complete", expect=422, json={})
    done = api("officer", "POST", f"{url}/complete", json={"purposes": ["marketing"]})
    assert done["produced"]["restricted"] == ["marketing"]
    marketer = RequestContext(world.step_up(world.staff_of("marketing")), "marketing")
    with pytest.raises(AccessDenied, match="restricted processing for purpose 'marketing'"):
        world.service.read(marketer, "customer", cid, ["marketing_tags"])
    last = world.inst.audit.query(action="read", limit=100)[-1]
    assert (last.decision, last.actor_id) == ("deny", marketer.actor.id)
    # The restriction binds writes too, and search answers without the customer.
    with pytest.raises(AccessDenied):
        world.service.update(marketer, "customer", cid, {"marketing_tags": "vip"})
    agent = RequestContext(world.step_up(world.staff_of("customer_service")), "service")
    assert world.service.read(agent, "customer", cid, ["membership_level"])  # other purposes go on


@pytest.mark.req("R-COL-6", "R-COL-9", "R-RGT-1")
def test_withdrawal_and_marketing_opt_out_requests_are_carried_out_by_the_consent_ledger(
    world: World, api: Api
) -> None:
    cid = world.customer()
    world.consent(cid, "marketing", "analytics")
    case = opened(api, cid, "withdrawal", channel="phone")
    url = f"/v1/requests/{case['id']}"
    api("customer_service", "POST", f"{url}/verify", json={"in_person": True})
    done = api("officer", "POST", f"{url}/complete", json={"purposes": ["analytics"]})
    assert done["case"]["outcome"] == "withdrawn"
    [entry] = world.inst.audit.query(action="consent_withdraw", limit=5)
    assert (entry.actor_id, entry.detail["consent_purposes"]) == (f"customer:{cid}", ["analytics"])
    marketer = RequestContext(world.step_up(world.staff_of("marketing")), "analytics")
    with pytest.raises(AccessDenied):
        world.service.read(marketer, "customer", cid, ["membership_level"])

    optout = opened(api, cid, "marketing_optout", channel="phone")
    api("customer_service", "POST", f"/v1/requests/{optout['id']}/verify", json={"in_person": True})
    done = api("officer", "POST", f"/v1/requests/{optout['id']}/complete", json={})
    assert done["case"]["outcome"] == "opted_out"
    assert done["produced"]["marketing_optout"]["opt_out"] is True
