"""``piguard audit ...`` and ``piguard alerts ...``: one JSON document with --json; tamper
makes ``audit verify`` exit non-zero."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from piguard.access import BOOTSTRAP_ROLE
from piguard.audit import AuditLog, DisabledPrincipal
from piguard.cli.audit import EXIT_TAMPERED, register
from piguard.gate import RequestContext
from piguard.installation import Installation, init_home
from piguard.vault.model import Actor
from tests.audit.conftest import event

runner = CliRunner()


@pytest.fixture
def app() -> typer.Typer:
    cli = typer.Typer()
    register(cli)
    return cli


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    for name in ("PIGUARD_DATABASE_URL", "PIGUARD_MASTER_KEY", "PIGUARD_MASTER_KEY_FILE", "PIGUARD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIGUARD_HOME", str(h))
    init_home(h, expected_customers=10_000)
    with Installation(h) as inst:
        admin = Actor("bootstrap", BOOTSTRAP_ROLE, "staff")
        client = inst.access.add_client(admin, "siem", "auditor")
        # The trail's operations are about customers that exist: C3 is looked up below.
        inst.gate.create(RequestContext(admin, "service"), "customer", {"name": "张三"}, customer_id="C3")
        audit = AuditLog(inst.db, inst.keyring, rules=[DisabledPrincipal()])
        from piguard.clock import FixedClock
        from tests.audit.conftest import START

        clock = FixedClock(START)
        for i in range(5):
            audit.record(event(clock, i))
        audit.record(event(clock, 9, actor_id="gone", result="denied", rule="account disabled"))
        audit.close()
    monkeypatch.setenv("PIGUARD_TOKEN", client["api_key"])
    return h


def run(app: typer.Typer, *args: str, code: int = 0) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    doc: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return doc


def test_verify_query_ref_history(app: typer.Typer, home: Path) -> None:
    report = run(app, "audit", "verify")
    # The API client created through the installation (recorded), the customer created through the
    # gate, 6 events and the alert on the last.
    assert report["ok"] is True and report["entries"] == 9
    ref = run(app, "audit", "ref", "C3")["customer_ref"]
    entries = run(app, "audit", "query", "--customer", "C3")["entries"]
    # The officer's own lookup is recorded against the customer too.
    assert isinstance(entries, list) and [(e["action"], e["customer_ref"]) for e in entries] == [
        ("create", ref),
        ("read", ref),
        ("audit_ref", ref),
    ]
    assert [e["seq"] for e in run(app, "audit", "query", "--ref", str(ref))["entries"]][:3] == [
        e["seq"] for e in entries
    ]
    assert len(run(app, "audit", "query", "--actor", "alice", "--since", "2025-03-03")["entries"]) == 5
    history = run(app, "audit", "history", "C3")["history"]
    assert isinstance(history, list)
    assert (history[0]["action"], history[0]["by_role"]) == ("create", BOOTSTRAP_ROLE)
    assert history[1] == {
        "time": "2025-03-03T02:00:00.000000Z",
        "action": "read",
        "by_role": "customer_service",
        "purpose": "service",
        "record_type": "customer",
        "fields": ["name", "mobile"],
        "decision": "allow",
        "result": "ok",
    }
    # The trail's look-ups of this customer (audit_ref names one customer; audit_query does not).
    assert {(h["action"], h["by_role"], h["purpose"]) for h in history[2:]} == {("audit_ref", "auditor", "")}
    assert "cli_" not in json.dumps(history)  # staff by role, never by id
    # The audit commands themselves are in the trail.
    actions = [e["action"] for e in run(app, "audit", "query", "--limit", "1000")["entries"]]
    assert {"audit_verify", "audit_ref", "audit_query", "audit_history"} <= set(actions)


def test_export_and_verify_file_without_a_home(
    app: typer.Typer, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "seg.jsonl"
    info = run(app, "audit", "export", "--out", str(out))
    key = run(app, "audit", "public-key")["public_key"]
    monkeypatch.setenv("PIGUARD_HOME", str(tmp_path / "nowhere"))
    assert (
        run(app, "audit", "verify", "--file", str(out), "--public-key", str(key))["entries"]
        == info["entries"]
    )
    lines = out.read_text().splitlines()
    del lines[3]
    out.write_text("\n".join(lines) + "\n")
    bad = run(app, "audit", "verify", "--file", str(out), "--public-key", str(key), code=EXIT_TAMPERED)
    assert bad["ok"] is False and bad["findings"][0]["kind"] == "deletion"


def test_verify_exits_non_zero_on_tamper(app: typer.Typer, home: Path) -> None:
    with Installation(home) as inst, inst.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_entries SET body = replace(body, 'service', 'servic3') WHERE seq = 2")
        )
    report = run(app, "audit", "verify", code=EXIT_TAMPERED)
    assert report["findings"] == [
        {"kind": "modification", "seq": 2, "message": "entry at seq 2 does not match its hash"}
    ]


def test_alerts_list_and_ack(app: typer.Typer, home: Path) -> None:
    alerts = run(app, "alerts", "list", "--status", "open")["alerts"]
    assert isinstance(alerts, list) and [a["rule"] for a in alerts] == ["disabled_principal"]
    acked = run(app, "alerts", "ack", alerts[0]["id"], "--comment", "left the company; account closed")
    assert acked["status"] == "acknowledged"
    assert run(app, "alerts", "list", "--status", "open")["alerts"] == []
    error = run(app, "alerts", "ack", alerts[0]["id"], "--comment", "again", code=1)
    assert error["error"] == "conflict"


def test_archive_refuses_inside_retention(app: typer.Typer, home: Path, tmp_path: Path) -> None:
    error = run(app, "audit", "archive", "--before", "2999-01-01", "--out", str(tmp_path / "a.jsonl"), code=4)
    assert error["error"] == "forbidden"  # an auditor may not prune; only administrators


def test_bootstrap_operator_cannot_read_the_trail(
    app: typer.Typer, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIGUARD_TOKEN")
    assert run(app, "audit", "query", code=4)["error"] == "forbidden"
    assert run(app, "audit", "verify")["ok"] is True  # administer suffices to check integrity
