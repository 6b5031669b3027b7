"""Destruction records (R-DST-3): every erasure, whichever path, leaves one record, written with
the erasure, verified once it committed and signed with the audit key; it holds no value of the
customer, verifies offline, and any change to it is detected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from piguard.consent.store import deletions_query
from piguard.gate import RequestContext
from piguard.gate.principals import system_context
from piguard.installation import Installation
from piguard.lifecycle import Lifecycle
from piguard.lifecycle.destruction import verify
from tests.access.conftest import ADULT, SETUP, World
from tests.cli.test_cli import home, login_as, run
from tests.rights.test_cases import Api
from tests.rights.test_fulfilments import ACCOUNT, verified

__all__ = ["home"]

pytestmark = pytest.mark.req("R-DST-3")


def _records(api: Api) -> list[dict[str, Any]]:
    return api("auditor", "GET", "/v1/destructions")["records"]  # type: ignore[no-any-return]


def _key(api: Api) -> bytes:
    return bytes.fromhex(api("auditor", "GET", "/v1/audit/public-key")["public_key"])


def test_a_staff_erasure_leaves_a_signed_verified_record_without_values(world: World, api: Api) -> None:
    cid = world.customer()
    world.service.create(RequestContext(SETUP, "aml_kyc"), "bank_account", ACCOUNT, customer_id=cid)
    other = world.customer(dict(ADULT, mobile="13700137000"))
    api("officer", "POST", f"/v1/customers/{cid}/erase", json={"reason": "request"})
    [record] = _records(api)
    assert (record["method"], record["customer_id"], record["operation"]) == ("crypto_shred", cid, "erase")
    assert record["deleted"] == {"bank_account": 1, "customer": 1} and record["records"] == 2
    assert record["operator"] == world.staff_of("officer").actor.id
    assert record["verification"]["unreadable"] is True and record["verification"]["remaining"] == {}
    assert verify(record, _key(api)) == []
    text = json.dumps(record, ensure_ascii=False)
    for value in (*ADULT.values(), ACCOUNT["account_no"]):
        assert value not in text
    # Only the erased customer is named; the other is untouched and has no record.
    assert other not in text and world.inst.vault.exists(other)
    assert api("auditor", "GET", f"/v1/destructions/{record['id']}") == record


def test_any_change_to_a_record_or_another_key_is_detected(world: World, api: Api) -> None:
    cid = world.customer()
    api("officer", "POST", f"/v1/customers/{cid}/erase", json={"reason": "request"})
    [record] = _records(api)
    key = _key(api)
    assert verify({**record, "records": 0}, key) != []
    assert verify({**record, "verification": {**record["verification"], "unreadable": False}}, key) != []
    assert verify({k: v for k, v in record.items() if k != "signature"}, key) == ["no signature"]
    assert verify(record, bytes(32 * [7])) != []
    assert verify(record, key, key_id="0" * 16) == ["signed with another key than the one trusted"]


def test_a_partial_erasure_under_a_floor_records_what_went_and_what_stayed(world: World, api: Api) -> None:
    cid = world.customer()
    world.service.create(RequestContext(SETUP, "aml_kyc"), "bank_account", ACCOUNT, customer_id=cid)
    world.service.create(
        RequestContext(SETUP, "service"), "order", {"order_no": "E20261202-004817", "amount": "¥1,299.00"},
        customer_id=cid,
    )  # fmt: skip
    api("officer", "POST", f"{verified(api, cid, 'deletion')}/complete", json={})
    [record] = _records(api)
    assert (record["method"], record["operation"]) == ("partial", "rights_complete")
    assert record["deleted"] == {"order": 1}
    assert record["stripped"] == {"customer": 1} and "email" in record["fields"]["customer"]
    assert record["verification"] == {**record["verification"], "unreadable": True, "remaining": {}}
    assert verify(record, _key(api)) == []


def test_a_refused_erasure_leaves_no_record(world: World, api: Api) -> None:
    cid = world.customer()
    api("officer", "POST", "/v1/holds", expect=201, json={"customer_id": cid, "reason": "litigation"})
    api("officer", "POST", f"/v1/customers/{cid}/erase", expect=403, json={"reason": "request"})
    assert _records(api) == []


def test_a_record_left_unsigned_by_a_crash_is_signed_by_the_job(
    world: World, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The erasure commits with its unsigned record; if signing fails (the process dies, say) the
    caller still hears the erasure happened, and the destruction_check job signs it later."""
    lifecycle = world.inst.capability(Lifecycle)
    cid = world.customer()

    def crash(record_id: str) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(lifecycle, "_verify_and_sign", crash)
    api("officer", "POST", f"/v1/customers/{cid}/erase", json={"reason": "request"})
    [record] = _records(api)
    assert record["signature"] is None and "verification" not in record
    monkeypatch.undo()
    assert lifecycle.check(system_context("destruction_check", purpose="")) == 1
    [record] = _records(api)
    assert record["verification"]["unreadable"] is True and verify(record, _key(api)) == []
    assert lifecycle.check(system_context("destruction_check", purpose="")) == 0


def test_retention_cli_exports_and_verifies_offline(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with Installation(home) as inst:
        cid = inst.gate.create(RequestContext(SETUP, "service"), "customer", dict(ADULT)).customer_id
        public_key = inst.capability(Lifecycle).public_key.hex()
    login_as(home, "officer", monkeypatch)
    assert run("erase", cid, "--reason", "request", "--json")[0] == 0
    code, listed, err = run("retention", "records", "--json")
    assert code == 0, err
    assert isinstance(listed, dict)
    [doc] = listed["records"]
    out = tmp_path / "record.json"
    assert run("retention", "record", doc["id"], "--out", str(out), "--json")[0] == 0
    code, checked, _ = run("retention", "verify-record", str(out), "--public-key", public_key, "--json")
    assert code == 0 and isinstance(checked, dict) and checked["valid"] and checked["unreadable"]
    tampered = json.loads(out.read_text("utf-8"))
    tampered["deleted"]["customer"] = 0
    out.write_text(json.dumps(tampered), "utf-8")
    code, checked, _ = run("retention", "verify-record", str(out), "--public-key", public_key, "--json")
    assert code == 1 and isinstance(checked, dict) and not checked["valid"]
    assert run("retention", "verify-record", str(tmp_path / "nope.json"), "--public-key", public_key)[0] != 0


def test_an_erasure_finds_its_unsigned_records_on_an_index_not_a_scan(world: World) -> None:
    """A scan of every destruction record so far made each erasure of a retention run cost more
    than the one before (20 destroyed/s at 200,000 customers, 98/s at 2,000): the per-erasure
    lookups must stay on an index (SQLite's query plan says SEARCH ... USING INDEX, not SCAN)."""
    lifecycle = world.inst.capability(Lifecycle)
    queries = {
        "unsigned destruction records": lifecycle.unsigned("cus_x"),
        "consent deletion marks": deletions_query(world.inst.settings.tenant, "cus_x", "marked"),
    }
    with world.inst.db.read() as conn:
        assert conn.dialect.name == "sqlite"
        for what, query in queries.items():
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            plan = " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
            assert "USING INDEX" in plan and not plan.startswith("SCAN"), (what, plan)
