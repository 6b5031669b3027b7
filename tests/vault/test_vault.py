"""The vault end to end through the gate, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from tests.vault.conftest import ctx

from piguard.errors import InvalidCiphertext, NotFound, ValidationError
from piguard.installation import Installation
from piguard.service import MemoryRecorder

ALICE = {
    "name": "欧阳娜娜",
    "gender": "F",
    "birth_date": "1990-03-07",
    "resident_id": "110105199003070180",
    "mobile": "+86 138-0013-8000",
    "email": "Nana.OuYang@Example.com",
    "address": "北京市朝阳区建国路88号",
    "bank_card": "6222 0212 3456 7890 128",
}


def test_create_read_round_trip_normalises(inst: Installation) -> None:
    ref = inst.service.create(ctx(), "customer", ALICE)
    values = inst.vault.read(
        "customer", ref.customer_id, ["name", "mobile", "bank_card", "resident_id"]
    ).values
    assert values["name"] == "欧阳娜娜"
    assert values["mobile"] == "13800138000"
    assert values["bank_card"] == "6222021234567890128"
    assert values["resident_id"] == "110105199003070180"


def test_read_decrypts_only_requested_fields(inst: Installation) -> None:
    ref = inst.service.create(ctx(), "customer", ALICE)
    rec = inst.vault.read("customer", ref.record_id, ["mobile"])
    assert rec.values == {"mobile": "13800138000"}


def test_search_exact_and_normalised(inst: Installation) -> None:
    ref = inst.service.create(ctx(), "customer", ALICE)
    inst.service.create(
        ctx(), "customer", {**ALICE, "mobile": "13900139000", "resident_id": "513101198201130014"}
    )
    found = inst.vault.search("customer", "mobile", "0086 13800138000")
    assert [r.customer_id for r in found] == [ref.customer_id]
    assert inst.vault.search("customer", "mobile", "13700137000") == []


def test_gate_records_an_event_per_call_without_values(inst: Installation) -> None:
    """The bootstrap credential sets up and writes but reads nothing; every call is recorded."""
    from piguard.errors import AccessDenied

    recorder = inst.recorder
    assert isinstance(recorder, MemoryRecorder)
    ref = inst.service.create(ctx(), "customer", ALICE)
    with pytest.raises(AccessDenied):
        inst.service.read(ctx(), "customer", ref.customer_id, ["mobile"])
    with pytest.raises(AccessDenied):
        inst.service.search(ctx(), "customer", "mobile", "13800138000")
    events = [(e.action, e.decision) for e in recorder.events]
    assert events == [("create", "allow"), ("read", "deny"), ("search", "deny")]
    blob = repr(recorder.events)
    assert "13800138000" not in blob and "欧阳娜娜" not in blob


def test_owned_records_use_owner_key(inst: Installation) -> None:
    ref = inst.service.create(ctx(), "customer", ALICE)
    purpose = next(p for p in inst.catalog.purposes if inst.catalog.fields_for(p, "order"))
    fields = sorted(inst.catalog.fields_for(purpose, "order"))
    field_name = next(
        f for f in fields if inst.catalog.record_types["order"].fields[f].type in ("text", "money")
    )
    value = "12.50" if inst.catalog.record_types["order"].fields[field_name].type == "money" else "两本书"
    required = {n: f for n, f in inst.catalog.record_types["order"].fields.items() if f.required}
    values: dict[str, object] = {field_name: value}
    from piguard.demo import DemoPeople

    people = DemoPeople(1)
    person = people.person()
    for n, f in required.items():
        values.setdefault(n, people.value(f, person))
    order = inst.service.create(ctx(purpose), "order", values, customer_id=ref.customer_id)
    assert order.customer_id == ref.customer_id
    assert inst.vault.read("order", order.record_id, [field_name]).values[field_name] == value
    with pytest.raises(NotFound):
        inst.service.create(ctx(purpose), "order", values, customer_id="Cnosuchcustomer0")


def test_hostile_but_valid_text_is_stored_verbatim(inst: Installation) -> None:
    hostile = "Robert'); DROP TABLE records;-- <script>alert(1)</script>"
    ref = inst.service.create(ctx(), "customer", {**ALICE, "address": hostile})
    assert inst.vault.read("customer", ref.record_id, ["address"]).values["address"] == hostile


@pytest.mark.req("R-VAL-1")
def test_unknown_field_and_bad_values_are_refused_naming_the_field(inst: Installation) -> None:
    """R-VAL-1: invalid values are refused with the field named and the value not echoed."""
    for bad, field in [
        ({**ALICE, "resident_id": "110105194912310021"}, "resident_id"),
        ({**ALICE, "mobile": "12012345678"}, "mobile"),
        ({**ALICE, "bank_card": "6222021234567890123"}, "bank_card"),
        ({**ALICE, "favourite_colour": "red"}, "favourite_colour"),
        ({**ALICE, "name": "x" * 5000}, "name"),
        ({**ALICE, "name": "张\x00三"}, "name"),
    ]:
        with pytest.raises(ValidationError) as err:
            inst.service.create(ctx(), "customer", bad)
        assert err.value.field == field
        if field in ("resident_id", "mobile", "bank_card"):
            assert str(bad[field]) not in str(err.value)
    with inst.db.transaction() as conn:
        assert conn.execute(text("select count(*) from records")).scalar_one() == 0


@pytest.mark.req("R-COL-3")
def test_minimisation_refuses_fields_the_purpose_does_not_need(inst: Installation) -> None:
    """R-COL-3: a field outside the purpose's declared fields is refused."""
    narrow = next(
        p
        for p in inst.catalog.purposes
        if "name" in inst.catalog.fields_for(p, "customer")
        and "resident_id" not in inst.catalog.fields_for(p, "customer")
    )
    with pytest.raises(ValidationError) as err:
        inst.service.create(ctx(narrow), "customer", {"resident_id": ALICE["resident_id"], "name": "张三"})
    assert err.value.field == "resident_id"
    assert narrow in err.value.reason


def _payload(inst: Installation, record_id: str) -> bytes:
    with inst.db.transaction() as conn:
        return bytes(
            conn.execute(
                text("select payload from records where record_id = :r"), {"r": record_id}
            ).scalar_one()
        )


def _set_payload(inst: Installation, record_id: str, blob: bytes) -> None:
    with inst.db.transaction() as conn:
        conn.execute(
            text("update records set payload = :p where record_id = :r"), {"p": blob, "r": record_id}
        )


def test_tamper_ciphertext_moved_to_another_customer_fails(inst: Installation) -> None:
    a = inst.service.create(ctx(), "customer", ALICE)
    b = inst.service.create(ctx(), "customer", {**ALICE, "mobile": "13900139000"})
    _set_payload(inst, b.record_id, _payload(inst, a.record_id))
    with pytest.raises(InvalidCiphertext) as err:
        inst.vault.read("customer", b.record_id, ["mobile"])
    assert str(err.value) == "invalid ciphertext"


def test_tamper_ciphertext_moved_to_another_field_fails(inst: Installation) -> None:
    from piguard.vault import payload

    a = inst.service.create(ctx(), "customer", ALICE)
    parts = payload.unpack(_payload(inst, a.record_id))
    parts["email"] = parts["mobile"]
    _set_payload(inst, a.record_id, payload.pack(parts))
    with pytest.raises(InvalidCiphertext):
        inst.vault.read("customer", a.record_id, ["email"])
    assert inst.vault.read("customer", a.record_id, ["mobile"]).values["mobile"] == "13800138000"


def test_tamper_flipped_byte_and_unknown_version_fail(inst: Installation) -> None:
    from piguard.vault import payload

    a = inst.service.create(ctx(), "customer", ALICE)
    original = payload.unpack(_payload(inst, a.record_id))
    ct = original["mobile"]
    for pos in (0, 1, 5, 12, len(ct) // 2, len(ct) - 1):
        flipped = bytearray(ct)
        flipped[pos] ^= 0x01
        _set_payload(inst, a.record_id, payload.pack({**original, "mobile": bytes(flipped)}))
        with pytest.raises(InvalidCiphertext):
            inst.vault.read("customer", a.record_id, ["mobile"])
    future = bytes([0x7F]) + ct[1:]
    _set_payload(inst, a.record_id, payload.pack({**original, "mobile": future}))
    with pytest.raises(InvalidCiphertext):
        inst.vault.read("customer", a.record_id, ["mobile"])


def test_erase_then_restore_old_data_copy_cannot_revive(
    inst: Installation, home: Path, environ: dict[str, str]
) -> None:
    """Crypto-shredding: an old copy of the data database, restored beside today's key store,
    is unreadable."""
    a = inst.service.create(ctx(), "customer", ALICE)
    b = inst.service.create(ctx(), "customer", {**ALICE, "mobile": "13900139000"})
    with inst.db.transaction() as conn:
        snapshot = [dict(r._mapping) for r in conn.execute(text("select * from records"))]
        index_snapshot = [dict(r._mapping) for r in conn.execute(text("select * from blind_index"))]
    assert inst.vault.erase(a.customer_id) == 1
    with pytest.raises(NotFound):
        inst.vault.read("customer", a.record_id, ["mobile"])
    # "Restore" the backup of the data database: every row as it was before the erase.
    with inst.db.transaction() as conn:
        conn.execute(text("delete from blind_index"))
        conn.execute(text("delete from records"))
        for row in snapshot:
            cols = ", ".join(row)
            conn.execute(
                text(f"insert into records ({cols}) values ({', '.join(':' + c for c in row)})"), row
            )
        for row in index_snapshot:
            cols = ", ".join(row)
            conn.execute(
                text(f"insert into blind_index ({cols}) values ({', '.join(':' + c for c in row)})"), row
            )
    inst.vault._data_keys.forget(inst.vault.tenant, a.customer_id)
    with pytest.raises(NotFound):
        inst.vault.read("customer", a.record_id, ["mobile"])
    assert inst.vault.search("customer", "mobile", "13800138000") == []
    assert inst.vault.read("customer", b.record_id, ["mobile"]).values["mobile"] == "13900139000"
    # Even a fresh process that opens the restored home cannot read it.
    fresh = Installation(home, environ=environ)
    try:
        with pytest.raises(NotFound):
            fresh.vault.read("customer", a.record_id, ["mobile"])
    finally:
        fresh.close()


def test_rotation_rewraps_and_old_kek_retires(inst: Installation) -> None:
    refs = [inst.service.create(ctx(), "customer", {**ALICE, "mobile": f"1380013{i:04d}"}) for i in range(25)]
    before = inst.vault.key_status()["data_keys_by_kek_version"]
    assert before == {"1": 25}
    result = inst.service.rotate_keys(ctx(""))
    assert result == {"kek_version": 2, "rewrapped": 25}
    assert inst.vault.key_status()["data_keys_by_kek_version"] == {"2": 25}
    inst.service.retire_key(ctx(""), 1)
    for i, ref in enumerate(refs):
        inst.vault._data_keys.forget(inst.vault.tenant, ref.customer_id)
        assert inst.vault.read("customer", ref.record_id, ["mobile"]).values["mobile"] == f"1380013{i:04d}"


def test_retire_refused_while_keys_use_the_version(inst: Installation) -> None:
    from piguard.errors import Conflict

    inst.service.create(ctx(), "customer", ALICE)
    with pytest.raises(Conflict):
        inst.service.retire_key(ctx(""), 1)


def test_sm4_installation_round_trip_search_and_tamper(tmp_path: Path) -> None:
    """The Chinese national algorithms (SM4-GCM, HMAC-SM3) serve the same vault end to end."""
    from piguard.crypto.aead import Suite, parse_header
    from piguard.crypto.keyring import generate_master_secret
    from piguard.installation import init_home
    from piguard.vault import payload

    env = {"PIGUARD_MASTER_KEY": generate_master_secret()}
    init_home(tmp_path / "h", environ=env, suite="sm4-gcm", expected_customers=1000)
    with Installation(tmp_path / "h", environ=env) as sm:
        ref = sm.gate.create(ctx(), "customer", ALICE)
        assert sm.vault.read("customer", ref.record_id, ["mobile"]).values["mobile"] == "13800138000"
        assert [r.customer_id for r in sm.vault.search("customer", "mobile", "13800138000")] == [
            ref.customer_id
        ]
        blob = _payload(sm, ref.record_id)
        parts = payload.unpack(blob)
        assert parse_header(parts["mobile"]).suite is Suite.SM4_GCM
        parts["email"] = parts["mobile"]
        _set_payload(sm, ref.record_id, payload.pack(parts))
        with pytest.raises(InvalidCiphertext):
            sm.vault.read("customer", ref.record_id, ["email"])
