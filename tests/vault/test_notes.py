"""Free-text notes are scanned on write: PI in them is masked in the stored note (issue 7, R-USE-4)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from tests.vault.conftest import ctx

from piguard.installation import Installation
from piguard.vault.vault import ORIGINAL_SUFFIX, PI_TYPES_SUFFIX

pytestmark = pytest.mark.req("R-USE-4")

NOTE = "客户来电，手机13812345678，身份证11010519491231002X，要求改地址。"


def test_note_is_masked_on_write_and_original_kept_sealed(inst: Installation) -> None:
    customer = inst.service.create(ctx(), "customer", {"name": "张伟", "mobile": "13800138000"})
    note = inst.service.create(
        ctx("customer_support"), "service_note", {"text": NOTE}, customer_id=customer.customer_id
    )
    stored = inst.vault.read("service_note", note.record_id, ["text"]).values["text"]
    assert "13812345678" not in stored and "11010519491231002X" not in stored
    assert stored.startswith("客户来电，手机138") and "要求改地址" in stored
    full = inst.vault.read("service_note", note.record_id, ["text"], originals=True).values
    assert full["text" + ORIGINAL_SUFFIX] == NOTE
    assert set(full["text" + PI_TYPES_SUFFIX].split(",")) >= {"mobile", "resident_id"}
    # Who may see the original through the gate: tests/access/test_notes_gate.py.


def test_note_original_is_sealed_not_in_the_database_file(inst: Installation) -> None:
    customer = inst.service.create(ctx(), "customer", {"name": "张伟", "mobile": "13800138000"})
    note_text = "客户张伟来电，手机13812345678，咨询积分。"
    inst.service.create(
        ctx("customer_support"), "service_note", {"text": note_text}, customer_id=customer.customer_id
    )
    with inst.db.transaction() as conn:
        raw = b"".join(bytes(r[0]) for r in conn.execute(text("select payload from records")))
    assert b"13812345678" not in raw and "要求改地址".encode() not in raw


def test_note_without_pi_is_stored_as_written(inst: Installation) -> None:
    customer = inst.service.create(ctx(), "customer", {"name": "张伟"})
    note = inst.service.create(
        ctx("customer_support"),
        "service_note",
        {"text": "客户咨询会员积分规则。"},
        customer_id=customer.customer_id,
    )
    values = inst.vault.read("service_note", note.record_id, ["text"], originals=True).values
    assert values == {"text": "客户咨询会员积分规则。"}


def test_updating_a_note_replaces_its_companions(inst: Installation) -> None:
    customer = inst.service.create(ctx(), "customer", {"name": "张伟"})
    note = inst.service.create(
        ctx("customer_support"), "service_note", {"text": NOTE}, customer_id=customer.customer_id
    )
    inst.service.update(ctx("customer_support"), "service_note", note.record_id, {"text": "已回访，无异常。"})
    values = inst.vault.read("service_note", note.record_id, ["text"], originals=True).values
    assert values == {"text": "已回访，无异常。"}
