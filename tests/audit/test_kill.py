"""SIGKILL during a burst of audited writes: after a restart the chain verifies and no
data change exists without its entry (R-AUD-1, R-AUD-2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from piguard.audit import AuditLog
from piguard.crypto.aead import Suite
from piguard.crypto.keyring import Keyring
from piguard.store import Database

pytestmark = pytest.mark.req("R-AUD-1", "R-AUD-2")

WRITER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime
    from sqlalchemy import text
    from piguard.audit import AuditLog
    from piguard.crypto.keyring import Keyring
    from piguard.service import AccessEvent
    from piguard.store import Database

    db = Database(sys.argv[1])
    db.migrate()
    audit = AuditLog(db, Keyring.open(sys.argv[2], master_secret=bytes(32)), rules=(), checkpoint_every=25)
    i = 0
    while True:
        i += 1
        with db.transaction() as conn:
            conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, 'x')"), {"k": f"k{i}"})
            audit.record(AccessEvent(
                time=datetime.now(UTC), actor_id="writer", role="system", action="update", purpose="test",
                record_type="meta", customer_id=None, record_id=f"k{i}", fields=("value",), decision="allow",
                rule="", result="ok", detail={"records": i}), conn)
        print(i, flush=True)
""")


def test_sigkill_mid_burst_leaves_a_verifiable_trail(db_url: str, tmp_path: Path) -> None:
    keyring_path = tmp_path / "keyring.json"
    Keyring.create(keyring_path, suite=Suite.AES256_GCM, kind="file", master_secret=bytes(32))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path.cwd() / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, db_url, str(keyring_path)], stdout=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if int(line) >= 300:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    db = Database(db_url)
    audit = AuditLog(db, Keyring.open(keyring_path, master_secret=bytes(32)), rules=())
    try:
        report = audit.verify()
        assert report.ok, report.as_dict()
        with db.engine.connect() as conn:
            keys = {r[0] for r in conn.execute(text("SELECT key FROM meta WHERE key LIKE 'k%'"))}
        entries = {
            audit.record_ref("meta", "k" + str(e.detail["records"]))
            for e in audit.query(limit=100_000)
            if e.action == "update"
        }
        refs = {e.record_ref for e in audit.query(limit=100_000) if e.action == "update"}
        assert len(keys) >= 300
        assert refs == entries == {audit.record_ref("meta", k) for k in keys}
    finally:
        audit.close()
        db.dispose()
