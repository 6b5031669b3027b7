"""Exports verify on their own; archive then prune keeps the chain verifiable (R-AUD-2)."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from piguard.audit import AuditLog, JsonLinesSink, SyslogSink, verify_file
from piguard.clock import FixedClock
from piguard.errors import ValidationError
from tests.audit.conftest import AuditFactory, event

pytestmark = pytest.mark.req("R-AUD-2")


@pytest.fixture
def audit(make_audit: AuditFactory, clock: FixedClock) -> AuditLog:
    log = make_audit(checkpoint_every=10)
    for i in range(25):
        log.record(event(clock, i))
        clock.advance(timedelta(days=10))
    return log


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def write(path: Path, docs: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs))


def test_export_verifies_with_only_the_public_key(audit: AuditLog, tmp_path: Path) -> None:
    out = tmp_path / "seg.jsonl"
    info = audit.export(out)
    assert (info["first_seq"], info["last_seq"], info["entries"]) == (1, 25, 25)
    report = verify_file(out, audit.public_key.hex())
    assert report.ok, report.as_dict()
    assert report.last_checkpoint_seq == 25 and report.unanchored == 0
    header = lines(out)[0]
    assert header["key_id"] == audit.key_id and header["public_key"] == audit.public_key.hex()


def test_partial_export_verifies(audit: AuditLog, tmp_path: Path) -> None:
    out = tmp_path / "part.jsonl"
    audit.export(out, first_seq=5, last_seq=17)
    report = verify_file(out, audit.public_key)
    assert report.ok and (report.first_seq, report.last_seq) == (5, 17), report.as_dict()


@pytest.mark.parametrize(
    ("edit", "kind", "seq"),
    [
        ("body", "modification", 8),
        ("readable", "modification", 8),
        ("delete", "deletion", 8),
        ("truncate", "truncation", 21),
        ("append", "unsigned", 26),
    ],
)
def test_edited_export_is_detected(audit: AuditLog, tmp_path: Path, edit: str, kind: str, seq: int) -> None:
    out = tmp_path / "seg.jsonl"
    audit.export(out)
    docs = lines(out)
    entry = docs[8]  # seq 8
    if edit == "body":
        entry["body"] = str(entry["body"]).replace("service", "servic3")
    elif edit == "readable":
        entry["entry"]["purpose"] = "marketing"
    elif edit == "delete":
        docs.remove(entry)
    elif edit == "truncate":
        docs = docs[:21]  # header + entries 1..20
    elif edit == "append":
        extra = dict(docs[25])
        extra["seq"] = 26
        extra["prev_hash"] = docs[25]["entry_hash"]
        from piguard.audit.format import chain_hash

        extra["entry_hash"] = chain_hash(bytes.fromhex(str(extra["prev_hash"])), str(extra["body"])).hex()
        extra["entry"] = {
            **extra["entry"],
            "seq": 26,
            "prev_hash": extra["prev_hash"],
            "entry_hash": extra["entry_hash"],
        }
        docs.insert(26, extra)
    write(out, docs)
    report = verify_file(out, audit.public_key)
    assert not report.ok
    finding = report.first(kind)
    assert finding is not None and finding.seq == seq, report.as_dict()


def test_export_signed_by_another_key_fails(audit: AuditLog, tmp_path: Path) -> None:
    out = tmp_path / "seg.jsonl"
    audit.export(out)
    report = verify_file(out, bytes(range(32)))
    assert report.first("checkpoint") is not None


def test_not_an_export_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "entry"}\n')
    with pytest.raises(ValidationError):
        verify_file(bad, bytes(32))


def test_r_aud_2_prune_refuses_entries_younger_than_retention(
    audit: AuditLog, clock: FixedClock, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError):
        audit.archive_and_prune(clock.now() - timedelta(days=183), tmp_path / "a.jsonl")
    assert not (tmp_path / "a.jsonl").exists()


def test_r_aud_2_archive_then_prune_keeps_the_chain_verifiable(
    audit: AuditLog, clock: FixedClock, tmp_path: Path
) -> None:
    # Entries are 10 days apart: the 250-day-old horizon keeps seq 1..? out of 25.
    before = clock.now() - timedelta(days=184)
    result = audit.archive_and_prune(before, tmp_path / "archive.jsonl")
    young = [e for e in audit.query(limit=1000) if e.action == "read"]
    assert result["pruned"] == result["through_seq"] > 0
    assert all(e.time >= before.strftime("%Y-%m-%d") for e in young)
    assert young[0].seq == result["through_seq"] + 1
    assert verify_file(tmp_path / "archive.jsonl", audit.public_key).ok
    report = audit.verify()
    assert report.ok and report.first_seq == result["through_seq"] + 1, report.as_dict()
    audit.record(event(clock, 99))
    assert audit.verify().ok
    # Deleting the first remaining entry is still caught after the prune.
    with audit.db.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("DELETE FROM audit_entries WHERE seq = :s"), {"s": result["through_seq"] + 1})
    assert audit.verify().first("deletion") is not None


def test_retention_configured_upward_is_respected(
    make_audit: AuditFactory, clock: FixedClock, tmp_path: Path
) -> None:
    log = make_audit(retention_days=365)
    log.record(event(clock))
    clock.advance(timedelta(days=300))
    with pytest.raises(ValidationError):
        log.archive_and_prune(clock.now() - timedelta(days=200), tmp_path / "a.jsonl")


def test_syslog_sink_speaks_rfc_5424(tmp_path: Path, make_audit: AuditFactory, clock: FixedClock) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(2)
    try:
        log = make_audit(
            sinks=[
                SyslogSink("127.0.0.1", receiver.getsockname()[1], hostname="vault1"),
                JsonLinesSink(tmp_path / "a.jsonl"),
            ]
        )
        log.record(event(clock, 3))
        first = receiver.recv(65536)
        second = receiver.recv(65536)
    finally:
        receiver.close()
    msg = first.decode("utf-8")
    # <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD SP MSG
    head, _, body = msg.partition("\ufeff")
    parts = head.split(" ", 6)
    assert parts[0] == "<110>1"  # facility 13 (log audit) * 8 + severity 6
    assert parts[1].endswith("Z") and parts[2] == "vault1" and parts[3] == "piguard" and parts[5] == "entry"
    assert parts[6].startswith('[piguard@32473 seq="1" action="read" rule="role customer_service: mask"]')
    doc = json.loads(body)
    assert doc["type"] == "entry" and doc["customer_ref"] == log.customer_ref("C3")
    assert second.decode().split(" ")[5] == "checkpoint"
    assert [d["type"] for d in lines(tmp_path / "a.jsonl")] == ["entry", "checkpoint"]
