"""The fulfilments that need more than a note (issue 13): deletion under a legal floor ends in the
storage-only state (R-DST-2), account closure (NDSMR 23), correction (PIPL 46), requests by a
deceased customer's close relatives (PIPL 49, R-RGT-6) and by a minor's guardian, and written
refusals for minors (R-RGT-4, R-MIN-3). Through the HTTP API with authenticated staff."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from piguard.errors import AccessDenied
from piguard.gate import RequestContext
from tests.access.conftest import ADULT, SETUP, World
from tests.rights.test_cases import Api, opened

ACCOUNT = {"account_no": "6222020200112233445"}
CHILD = dict(ADULT, name="王小明", birth_date="2015-06-01", resident_id="110105201506010016",
             mobile="13900139001", email="ming@example.com",
             guardian_name="王大明", guardian_relation="father")  # fmt: skip
RELATIVE = {"name": "欧阳建国", "document": "居民身份证 110105196001010015；死亡证明 J440100202600123"}


def verified(api: Api, cid: str, type_: str, channel: str = "counter", **extra: object) -> str:
    case = opened(api, cid, type_, channel=channel, **extra)
    url = f"/v1/requests/{case['id']}"
    api("customer_service", "POST", f"{url}/verify", json={"in_person": True})
    return url


@pytest.mark.req("R-DST-2", "R-RGT-1", "R-STO-5")
def test_deletion_under_a_legal_floor_erases_the_rest_and_keeps_the_floor_storage_only(
    world: World, api: Api
) -> None:
    """PIPL 47(2): what AML keeps stays, sealed, and is refused for every purpose but AML's; what no
    floor keeps (the email, the orders) is erased; the answer says which and why."""
    cid = world.customer()
    world.service.create(RequestContext(SETUP, "aml_kyc"), "bank_account", ACCOUNT, customer_id=cid)
    world.service.create(
        RequestContext(SETUP, "service"), "order", {"order_no": "E20261202-004817", "amount": "¥1,299.00"},
        customer_id=cid,
    )  # fmt: skip
    done = api("officer", "POST", f"{verified(api, cid, 'deletion')}/complete", json={})
    produced = done["produced"]
    assert done["case"]["outcome"] == "storage_only"
    assert produced["storage_only"] == ["aml_kyc"]
    assert "order.*" in produced["erased"] and "customer.email" in produced["erased"]
    assert "customer.mobile" not in produced["erased"]  # AML keeps it
    kept = {k["record_type"]: k for k in produced["kept"]}
    assert kept["bank_account"]["because"] == [
        {"purpose": "aml_kyc", "legal_basis": "legal_obligation", "years": 10}
    ]
    assert produced["erased_records"] == 1 and produced["stripped_records"] == 1  # the profile
    assert world.inst.vault.customer_records(cid, "order") == []
    # Every purpose but the floor's is refused, for every role; the floor's own use goes on.
    agent = RequestContext(world.step_up(world.staff_of("customer_service")), "service")
    with pytest.raises(AccessDenied, match="storage and protection only"):
        world.service.read(agent, "customer", cid, ["membership_level"])
    officer = RequestContext(world.step_up(world.staff_of("officer")), "customer_support")
    with pytest.raises(AccessDenied, match="storage and protection only"):
        world.service.read(officer, "customer", cid, ["name"])
    finance = RequestContext(world.step_up(world.staff_of("finance")), "aml_kyc")
    [account] = world.inst.vault.customer_records(cid, "bank_account")
    assert world.service.read(finance, "bank_account", account.record_id, ["account_no"])["account_no"].value
    profile = world.inst.vault.read("customer", cid, ["email", "mobile"])
    assert "email" not in profile.values and profile.values["mobile"] == ADULT["mobile"]
    [entry] = world.inst.audit.query(action="rights_complete", limit=10)
    detail = entry.detail
    assert (detail["outcome"], detail["records"], detail["stripped"]) == ("storage_only", 1, 1)


@pytest.mark.req("R-RGT-1", "R-DST-1", "R-COL-6")
def test_account_closure_withdraws_every_consent_and_erases_the_customer(world: World, api: Api) -> None:
    cid = world.customer()
    world.consent(cid, "marketing", "analytics")
    done = api("officer", "POST", f"{verified(api, cid, 'account_closure')}/complete", json={})
    assert done["case"]["outcome"] == "erased"
    withdrawn = {p for r in done["produced"]["withdrawal"]["records"] for p in r["purposes"]}
    assert {"analytics", "marketing"} <= withdrawn
    assert not world.inst.vault.exists(cid)
    [withdraw] = world.inst.audit.query(action="consent_withdraw", limit=5)
    assert withdraw.actor_id == f"customer:{cid}"


@pytest.mark.req("R-RGT-1")
def test_correction_writes_the_new_values_as_the_customer_and_checks_them_all_first(
    world: World, api: Api
) -> None:
    cid = world.customer()
    url = verified(api, cid, "correction")
    bad = [{"record_type": "customer", "values": {"email": "new@example.com"}},
           {"record_type": "customer", "values": {"mobile": "12345"}}]  # fmt: skip
    problem = api("officer", "POST", f"{url}/complete", expect=422, json={"changes": bad})
    assert problem["field"] == "mobile" and "12345" not in str(problem)
    assert (
        world.inst.vault.read("customer", cid, ["email"]).values["email"] == ADULT["email"]
    )  # nothing half-done
    api("officer", "POST", f"{url}/complete", expect=422, json={})  # no changes: nothing to correct
    good = [{"record_type": "customer", "values": {"email": "new@example.com", "mobile": "13700137000"}}]
    done = api("officer", "POST", f"{url}/complete", json={"changes": good})
    assert done["case"]["outcome"] == "corrected"
    assert done["produced"]["corrected"] == [
        {"record_type": "customer", "record_id": cid, "fields": ["email", "mobile"]}
    ]
    values = world.inst.vault.read("customer", cid, ["email", "mobile"]).values
    assert (values["email"], values["mobile"]) == ("new@example.com", "13700137000")
    [entry] = world.inst.audit.query(action="rights_correct", limit=5)
    assert entry.actor_id == f"customer:{cid}" and entry.decision == "allow"


@pytest.mark.req("R-RGT-6")
def test_a_close_relative_of_a_deceased_customer_is_verified_in_person_and_gets_the_copy_by_hand(
    world: World, api: Api, tmp_path: Path
) -> None:
    cid = world.customer()
    body = {"requester_relation": "relative", "relationship": "child"}
    api("customer_service", "POST", "/v1/requests", expect=422,
        json={"customer_id": cid, "type": "access", "channel": "counter", **body})  # fmt: skip
    # PIPL 49: access, copy, correction and deletion only.
    wrong = {"customer_id": cid, "type": "explanation", "channel": "counter", **body, "requester": RELATIVE}
    api("customer_service", "POST", "/v1/requests", expect=422, json=wrong)
    case = opened(api, cid, "access", channel="counter", requester=RELATIVE, **body)
    assert (case["relation"], case["relationship"], case["status"]) == ("relative", "child", "received")
    url = f"/v1/requests/{case['id']}"
    api("customer_service", "POST", f"{url}/send-code", expect=422)
    api("customer_service", "POST", f"{url}/verify", expect=422, json={"code": "123456"})
    api("customer_service", "POST", f"{url}/verify", json={"in_person": True})
    done = api("officer", "POST", f"{url}/complete", json={})
    package = done["produced"]["package"]
    assert package["sent_by"] == "handover" and "/v1/packages/" in package["link"]
    token = package["link"].rsplit("/", 1)[1]
    copy = api.client.get(f"/v1/packages/{token}").json()
    assert copy["records"][0]["fields"]["name"] == ADULT["name"]
    # The relative's identity is sealed in the case: not in any file of the home.
    for path in world.inst.settings.home.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert RELATIVE["name"].encode() not in raw and b"J440100202600123" not in raw, path


@pytest.mark.req("R-RGT-6", "R-RGT-4")
def test_a_customers_no_relatives_instruction_refuses_a_relatives_request_in_writing(
    world: World, api: Api
) -> None:
    cid = world.customer()
    api("customer_service", "PUT", f"/v1/customers/{cid}/rights-instructions", json={"no_relatives": True})
    case = opened(api, cid, "deletion", channel="letter", requester_relation="relative",
                  relationship="spouse", requester=RELATIVE)  # fmt: skip
    assert (case["status"], case["outcome"]) == ("refused", "refused_in_writing")
    assert world.inst.vault.exists(cid)
    letter = api.client.get(f"/v1/requests/{case['id']}/letter", headers=_auth(world, "officer"))
    assert letter.status_code == 200 and "第四十九条" in letter.text and "人民法院" in letter.text
    [entry] = world.inst.audit.query(action="rights_instruct", limit=5)
    assert entry.detail["no_relatives"] is True


@pytest.mark.req("R-MIN-3", "R-RGT-4")
def test_a_guardian_acts_for_a_minor_and_a_refusal_is_a_written_document(world: World, api: Api) -> None:
    adult = world.customer()
    child = world.customer(CHILD)
    guardian = {"requester_relation": "guardian", "relationship": "parent",
                "requester": {"name": "王大明", "document": "居民身份证 110105198001010013"}}  # fmt: skip
    adults = {"customer_id": adult, "type": "access", "channel": "counter", **guardian}
    problem = api("customer_service", "POST", "/v1/requests", expect=422, json=adults)
    assert "under 18" in problem["detail"]
    case = opened(api, child, "deletion", channel="counter", **guardian)
    url = f"/v1/requests/{case['id']}"
    reason = "监护关系材料<不完整>，请补充户口簿"
    refused = api("officer", "POST", f"{url}/refuse", json={"reason": reason})
    assert refused["outcome"] == "refused_in_writing"
    letter = api.client.get(f"{url}/letter", headers=_auth(world, "officer"))
    assert "&lt;不完整&gt;" in letter.text and "<不完整>" not in letter.text
    assert "监护人" in letter.text and case["id"] in letter.text
    # The letter is the document issued: its hash is in the refusal's audit entry.
    [entry] = world.inst.audit.query(action="rights_refuse", limit=5)
    assert entry.detail["written"] is True
    assert entry.detail["content_hash"] == "sha256_" + hashlib.sha256(letter.text.encode()).hexdigest()[:48]
    # A minor's own request is refused in writing too; an adult's is not (no letter).
    own = opened(api, child, "access", channel="counter")
    assert api("officer", "POST", f"/v1/requests/{own['id']}/refuse", json={"reason": "重复请求"})[
        "outcome"
    ] == ("refused_in_writing")
    plain = opened(api, adult, "access", channel="counter")
    api("officer", "POST", f"/v1/requests/{plain['id']}/refuse", json={"reason": "重复请求"})
    assert (
        api.client.get(f"/v1/requests/{plain['id']}/letter", headers=_auth(world, "officer")).status_code
        == 422
    )


def _auth(world: World, role: str) -> dict[str, str]:
    staff = world.staff_of(role)
    world.step_up(staff)
    return {"Authorization": f"Bearer {staff.token}"}
