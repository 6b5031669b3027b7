"""Anchors outside the data database (issue 11, item 8): rolling the trail back to a checkpoint
is detected, and a clean shutdown leaves nothing unsigned.

The attack is the one found from outside: delete every entry and checkpoint after entry 118
directly in the SQLite file and point the chain head back at 118. The database alone is then
consistent; only the checkpoints published elsewhere (key store, witness file, JSON Lines sink)
show that 311 entries are gone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from piguard.audit import AuditLog
from piguard.audit.anchors import FileWitness, KeyStoreAnchor
from piguard.cli.audit import EXIT_TAMPERED
from piguard.cli.main import app as cli_app
from piguard.clock import FixedClock
from piguard.crypto.keyring import Keyring
from piguard.installation import Installation, init_home
from piguard.store import Database, KeyStore
from tests.audit.conftest import START, event
from tests.live import LiveServers, free_port, http_ok

pytestmark = pytest.mark.req("R-AUD-2")

KEPT = 118
TOTAL = 429  # 311 entries after entry 118


def roll_back(db_file: Path, to_seq: int) -> None:
    """The attack: delete the tail and its checkpoints, point the head at ``to_seq``."""
    engine = create_engine(f"sqlite:///{db_file}")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq > :s"), {"s": to_seq})
        conn.execute(text("DELETE FROM audit_checkpoints WHERE seq > :s"), {"s": to_seq})
        last = conn.execute(
            text("SELECT entry_hash FROM audit_entries WHERE seq = :s"), {"s": to_seq}
        ).scalar_one()
        cp = conn.execute(text("SELECT seq, time FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")).one()
        conn.execute(
            text(
                "UPDATE audit_head SET seq = :s, entry_hash = :h, checkpoint_seq = :c, checkpoint_time = :t"
            ),
            {"s": to_seq, "h": last, "c": cp[0], "t": cp[1]},
        )
    engine.dispose()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {"data": tmp_path / "data.db", "keys": tmp_path / "keys.db", "witness": tmp_path / "witness.jsonl"}


def open_log(
    files: dict[str, Path], keyring: Keyring, clock: FixedClock, **kw: Any
) -> tuple[AuditLog, Database, KeyStore]:
    db = Database(f"sqlite:///{files['data']}")
    db.migrate()
    keys = KeyStore(f"sqlite:///{files['keys']}")
    keys.migrate()
    kw.setdefault("anchors", [KeyStoreAnchor(keys), FileWitness(files["witness"])])
    return AuditLog(db, keyring, clock=clock, rules=(), checkpoint_every=50, **kw), db, keys


def test_rollback_to_a_checkpoint_is_detected_by_the_anchors_r_aud_2(
    files: dict[str, Path], keyring: Keyring, clock: FixedClock
) -> None:
    log, db, keys = open_log(files, keyring, clock)
    for i in range(TOTAL):
        log.record(event(clock, i))
    assert log.verify().ok
    log.writer.close()  # a crash, not a clean stop: the newest anchor is the last periodic one
    db.dispose()
    # The first entry is signed at once (no checkpoint yet), then every 50: 1, 51, ..., 401.
    newest = json.loads(files["witness"].read_text().splitlines()[-1])["seq"]
    assert newest == 401

    roll_back(files["data"], KEPT)

    # The database alone cannot tell (what `audit verify` reported before anchors existed).
    bare, db2, keys2 = open_log(files, keyring, clock, anchors=[])
    assert bare.verify().ok
    bare.writer.close()
    db2.dispose()
    keys2.dispose()

    log, db, keys = open_log(files, keyring, clock)
    report = log.verify()
    assert not report.ok
    rollback = report.first("rollback")
    assert rollback is not None and rollback.seq == KEPT + 1
    assert f"checkpoint at seq {newest} (periodic" in rollback.message
    assert f"at least {newest - KEPT} entries after seq {KEPT} are gone" in rollback.message
    assert report.counts["rollback"] == 2  # the key store and the witness both hold it
    assert {a["source"]: a["seq"] for a in report.anchors} == {
        "key store": newest,
        f"witness {files['witness']}": newest,
    }
    log.writer.close()
    db.dispose()
    keys.dispose()


def test_witness_still_detects_a_rollback_when_the_key_store_anchor_is_rolled_back_too(
    files: dict[str, Path], keyring: Keyring, clock: FixedClock
) -> None:
    log, db, keys = open_log(files, keyring, clock)
    for i in range(TOTAL):
        log.record(event(clock, i))
    log.close()  # a clean stop: the shutdown checkpoint at 429 is anchored
    db.dispose()
    roll_back(files["data"], KEPT)
    # The attacker also edits the key store: an old, genuinely signed checkpoint replaces the anchor.
    old = json.loads(files["witness"].read_text().splitlines()[1])  # seq 51, still in the database
    engine = create_engine(f"sqlite:///{files['keys']}")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_anchors SET seq = :s, kind = :k, time = :t, entry_hash = :h, signature = :g"),
            {
                "s": old["seq"],
                "k": old["kind"],
                "t": old["time"],
                "h": bytes.fromhex(old["entry_hash"]),
                "g": bytes.fromhex(old["signature"]),
            },
        )
    engine.dispose()
    keys.dispose()

    log, db, keys = open_log(files, keyring, clock)
    report = log.verify()
    rollback = report.first("rollback")
    assert rollback is not None
    assert f"checkpoint at seq {TOTAL} (shutdown" in rollback.message
    assert f"anchored in the witness {files['witness']}" in rollback.message
    assert f"at least {TOTAL - KEPT} entries" in rollback.message
    log.writer.close()
    db.dispose()
    keys.dispose()


def test_forged_witness_lines_do_not_count_as_anchors(
    files: dict[str, Path], keyring: Keyring, clock: FixedClock
) -> None:
    log, db, keys = open_log(files, keyring, clock)
    for i in range(60):
        log.record(event(clock, i))
    doc = json.loads(files["witness"].read_text().splitlines()[-1])
    with files["witness"].open("a") as fh:
        fh.write(json.dumps({**doc, "seq": 5000}) + "\n")  # signature no longer matches
        fh.write("{torn line\n")
    report = log.verify()
    assert report.ok, report.findings
    assert {a["source"]: a["seq"] for a in report.anchors}[f"witness {files['witness']}"] == 51
    log.close()
    db.dispose()
    keys.dispose()


def test_audit_verify_reports_a_rollback_of_the_home_r_aud_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    for name in ("PIGUARD_DATABASE_URL", "PIGUARD_MASTER_KEY", "PIGUARD_MASTER_KEY_FILE", "PIGUARD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIGUARD_HOME", str(home))
    monkeypatch.setenv("PIGUARD_AUDIT_WITNESS", str(tmp_path / "witness.jsonl"))
    monkeypatch.setenv("PIGUARD_AUDIT_JSONL", str(tmp_path / "sink.jsonl"))
    init = init_home(home, expected_customers=10_000)
    clock = FixedClock(START)
    with Installation(home) as inst:
        for i in range(TOTAL):
            inst.audit.record(event(clock, i))
    monkeypatch.setenv("PIGUARD_TOKEN", init.bootstrap_token)
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["audit", "verify", "--json"])
    assert ok.exit_code == 0, ok.output
    # Every command closes its installation, which signs and anchors a shutdown checkpoint.
    newest = json.loads((tmp_path / "witness.jsonl").read_text().splitlines()[-1])
    assert newest["kind"] == "shutdown" and newest["seq"] > TOTAL

    roll_back(home / "data.db", KEPT)

    result = runner.invoke(cli_app, ["audit", "verify", "--json"])
    assert result.exit_code == EXIT_TAMPERED, result.output
    report = json.loads(result.output)
    kinds = {f["kind"]: f for f in report["findings"]}
    assert set(kinds) == {"rollback"}
    message = kinds["rollback"]["message"]
    assert f"the checkpoint at seq {newest['seq']} (shutdown" in message
    assert f"at least {newest['seq'] - KEPT} entries after seq {KEPT} are gone" in message
    sources = {a["source"] for a in report["anchors"]}
    assert sources == {
        "key store",
        f"witness {tmp_path / 'witness.jsonl'}",
        f"JSON Lines sink {tmp_path / 'sink.jsonl'}",
    }
    assert report["counts"]["rollback"] == 3


def test_sigterm_of_serve_leaves_no_entry_unsigned(tmp_path: Path, live_server: LiveServers) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIGUARD_")}
    env.update({"PIGUARD_HOME": str(home), "PIGUARD_LOG_LEVEL": "warning"})
    piguard = [sys.executable, "-m", "piguard.cli.main"]
    init = subprocess.run([*piguard, "init", "--json"], env=env, capture_output=True, text=True, check=True)
    token = json.loads(init.stdout)["bootstrap_token"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = live_server.process(
        [*piguard, "serve", "--port", str(port)],
        env=env,
        log=tmp_path / "server.log",
        ready=http_ok(f"{base}/healthz"),
    )
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for i in range(12):
            r = client.post(
                "/v1/records/customer",
                json={"purpose": "service", "values": {"name": f"张{chr(0x4E00 + i)}"}},
            )
            assert r.status_code == 201, r.text
    proc.send_signal(signal.SIGTERM)
    # uvicorn stops gracefully, then re-raises SIGTERM to end with the conventional status.
    assert proc.wait(timeout=20) in (0, -signal.SIGTERM), (tmp_path / "server.log").read_text()

    engine = create_engine(f"sqlite:///{home / 'data.db'}")
    with engine.connect() as conn:
        head_seq, cp_seq = conn.execute(text("SELECT seq, checkpoint_seq FROM audit_head")).one()
        kind = conn.execute(
            text("SELECT kind FROM audit_checkpoints WHERE seq = :s"), {"s": head_seq}
        ).scalar()
    engine.dispose()
    assert head_seq >= 12
    assert cp_seq == head_seq and kind == "shutdown"
    keys = KeyStore(f"sqlite:///{home / 'keys.db'}")
    anchored = keys.audit_anchor("default")
    keys.dispose()
    assert anchored is not None and anchored["seq"] == head_seq and anchored["kind"] == "shutdown"
