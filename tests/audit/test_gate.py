"""The audit trail behind the real gate (R-AUD-1): fail closed, no plaintext anywhere.

Built like tests/vault: an installation on SQLite and on PostgreSQL, with an
:class:`AuditLog` as the gate's recorder.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from piguard.access.credentials import totp_now
from piguard.access.events import MemoryRecorder
from piguard.audit import AuditLog, JsonLinesSink, SyslogSink, verify_file
from piguard.errors import AuditFailure
from piguard.gate import RequestContext
from piguard.installation import Installation, init_home
from piguard.vault.model import Actor
from tests.pg import fresh_database

pytestmark = pytest.mark.req("R-AUD-1")

CANARY = {
    "name": "欧阳金丝雀",
    "gender": "F",
    "birth_date": "1990-03-07",
    "resident_id": "110105199003070180",
    "mobile": "13912345678",
    "email": "canary.bird@example.com",
    "address": "北京市朝阳区金丝雀路88号",
    "bank_card": "6222021234567890128",
}
SETUP = Actor("tester", "bootstrap-admin")
CTX = RequestContext(SETUP, "service", client="test", session="sess-canary-1")
AUDIT_TABLES = ("audit_entries", "audit_checkpoints", "audit_head", "audit_alerts", "audit_archives")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def inst(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Installation]:
    from piguard.crypto.keyring import generate_master_secret

    (tmp_path / "master.key").write_text(generate_master_secret())
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}

    def build() -> Iterator[Installation]:
        init_home(tmp_path / "home", environ=env, expected_customers=10_000)
        installation = Installation(tmp_path / "home", environ=env, recorder=MemoryRecorder())
        yield installation
        installation.close()

    if request.param == "sqlite":
        yield from build()
    else:
        with fresh_database() as url:
            env["PIGUARD_DATABASE_URL"] = url
            yield from build()


def audited(inst: Installation, **kw: object) -> AuditLog:
    """The production gate, recording into an audit log with these settings (sinks, checkpoints)."""
    kw.setdefault("rules", ())  # the wall clock would make the off-hours rule flaky here
    audit = AuditLog(inst.db, inst.keyring, tenant=inst.settings.tenant, **kw)  # type: ignore[arg-type]
    inst.gate.recorder = audit
    return audit


def reader(inst: Installation) -> RequestContext:
    """A trained, logged-in officer (masked reads): the bootstrap credential reads nothing."""
    name = "officer_reader"
    created = inst.access.add_user(SETUP, name, "officer")
    today = datetime.now(UTC).date()
    inst.access.record_training(SETUP, name, kind="agreement", course="NDA", completed_on=today)
    inst.access.record_training(
        SETUP, name, kind="course", course="PIPL basics", completed_on=today - timedelta(days=30), score=90
    )
    login = inst.access.login(name, created["password"], totp_now(created["totp_secret"], datetime.now(UTC)))
    return RequestContext(
        inst.access.authenticate(login.token), "service", client="test", session=CTX.session
    )


def disable_audit_table(inst: Installation) -> None:
    with inst.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_entries RENAME TO audit_entries_off"))


def enable_audit_table(inst: Installation) -> None:
    with inst.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_entries_off RENAME TO audit_entries"))


def count_records(inst: Installation) -> int:
    with inst.db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM records")).scalar_one())


def test_every_gate_call_is_recorded_with_the_data(inst: Installation) -> None:
    officer = reader(inst)
    audit = audited(inst)
    ref = inst.service.create(CTX, "customer", CANARY)
    inst.service.read(officer, "customer", ref.record_id, ["name", "mobile"])
    inst.service.search(officer, "customer", "mobile", CANARY["mobile"])
    actions = [e.action for e in audit.query()]
    assert actions == ["create", "read", "search"]
    assert [e.action for e in audit.query(customer_id=ref.customer_id)] == ["create", "read"]
    assert audit.verify().ok
    audit.close()


def test_fail_closed_create_commits_nothing(inst: Installation) -> None:
    audited(inst)
    disable_audit_table(inst)
    with pytest.raises(AuditFailure):
        inst.service.create(CTX, "customer", CANARY)
    enable_audit_table(inst)
    assert count_records(inst) == 0


def test_fail_closed_read_returns_nothing(inst: Installation) -> None:
    officer = reader(inst)
    audited(inst)
    ref = inst.service.create(CTX, "customer", CANARY)
    disable_audit_table(inst)
    with pytest.raises(AuditFailure):
        inst.service.read(officer, "customer", ref.record_id, ["name"])
    enable_audit_table(inst)


def test_fail_closed_update_rolls_back(inst: Installation) -> None:
    audit = audited(inst)
    ref = inst.service.create(CTX, "customer", CANARY)
    disable_audit_table(inst)
    with pytest.raises(AuditFailure):
        inst.service.update(CTX, "customer", ref.record_id, {"mobile": "13700000000"})
    enable_audit_table(inst)
    assert inst.vault.read("customer", ref.record_id, ["mobile"]).values["mobile"] == CANARY["mobile"]
    assert [e.action for e in audit.query()] == ["create"]
    assert audit.verify().ok


def test_fail_closed_erase_leaves_the_customer(inst: Installation) -> None:
    # Needs Vault.erase to write the audit entry before destroying the key.
    officer = reader(inst)
    audited(inst)
    ref = inst.service.create(CTX, "customer", CANARY)
    disable_audit_table(inst)
    with pytest.raises(AuditFailure):
        inst.service.erase(officer, ref.customer_id, reason="request")
    enable_audit_table(inst)
    assert inst.vault.read("customer", ref.record_id, ["mobile"]).values["mobile"] == CANARY["mobile"]


def _forms(values: dict[str, str]) -> list[bytes]:
    out: list[bytes] = []
    for key, value in values.items():
        if key == "gender":
            continue
        out.append(value.encode("utf-8"))
        digits = "".join(ch for ch in value if ch.isdigit())
        if len(digits) >= 6:
            out.append(digits.encode())
    return out


def test_canary_values_never_reach_table_exports_or_syslog(inst: Installation, tmp_path: Path) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(2)
    jsonl = tmp_path / "sink.jsonl"
    officer = reader(inst)
    audit = audited(
        inst,
        sinks=[JsonLinesSink(jsonl), SyslogSink("127.0.0.1", receiver.getsockname()[1])],
        checkpoint_every=3,
    )
    ref = inst.service.create(CTX, "customer", CANARY)
    inst.service.read(officer, "customer", ref.record_id)
    inst.service.search(officer, "customer", "mobile", CANARY["mobile"])
    inst.service.search(officer, "customer", "email", CANARY["email"])
    inst.service.update(CTX, "customer", ref.record_id, {"address": "上海市浦东新区金丝雀大道1号"})
    inst.service.customer_records(officer, ref.customer_id)
    inst.service.erase(officer, ref.customer_id, reason="customer request")
    export = tmp_path / "export.jsonl"
    audit.export(export)
    assert verify_file(export, audit.public_key).ok
    audit.close()

    datagrams = []
    try:
        while True:
            datagrams.append(receiver.recv(65536))
    except TimeoutError:
        pass
    finally:
        receiver.close()
    assert len(datagrams) >= 7
    with inst.db.engine.connect() as conn:
        dumped = "\n".join(repr(conn.execute(text(f"SELECT * FROM {t}")).all()) for t in AUDIT_TABLES)
    blobs = {
        "table": dumped.encode("utf-8"),
        "sink": jsonl.read_bytes(),
        "export": export.read_bytes(),
        "syslog": b"\n".join(datagrams),
    }
    canaries = [
        *_forms(CANARY),
        "上海市浦东新区金丝雀大道1号".encode(),
        ref.customer_id.encode(),
        ref.record_id.encode(),
        str(CTX.session).encode(),
    ]
    for where, blob in blobs.items():
        for canary in canaries:
            assert canary not in blob, f"{canary!r} found in {where}"
    # The sinks did receive the trail (by reference).
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert {d["type"] for d in lines} >= {"entry", "checkpoint"}
    assert audit.customer_ref(ref.customer_id) in jsonl.read_text()


def test_fail_closed_import_stores_no_row_without_its_entry(inst: Installation) -> None:
    """R-AUD-1: an import's rows and their audit entries commit together, batch by batch."""
    audit = audited(inst)
    rows = [(1, CANARY), (2, {**CANARY, "mobile": "13912345679", "resident_id": "11010519491231002X"})]
    disable_audit_table(inst)
    with pytest.raises(AuditFailure):
        inst.service.import_rows(CTX, "customer", iter(rows))
    enable_audit_table(inst)
    assert count_records(inst) == 0
    report = inst.service.import_rows(CTX, "customer", iter(rows))
    assert report.accepted == 2
    entries = [e for e in audit.query() if e.action == "import"]
    assert sorted(e.customer_ref for e in entries) == sorted(audit.customer_ref(i) for i in report.ids)
    assert [e.action for e in audit.query()][-1] == "import_summary"
    assert audit.verify().ok
