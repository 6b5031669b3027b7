"""Bulk import in worker processes (issue 20): all-or-nothing per row, provable in the trail.

R-AUD-1: every imported record's creation is in the chain (verify, the customer's history, the
incident scope over the importing actor). R-SEC-1 (no plaintext PI at rest): the canary's values
appear in no database file byte. Built on the real installation (its own audit trail) on SQLite
and PostgreSQL; the pool is started for a few dozen rows by lowering its threshold.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from piguard.demo import bank_card, resident_id
from piguard.gate import RequestContext
from piguard.gate.trail import TrailScope
from piguard.installation import Installation
from piguard.vault import bulk
from piguard.vault.model import Actor

pytestmark = pytest.mark.req("R-AUD-1")

ADMIN = Actor("bulk-importer", "bootstrap-admin")
CTX = RequestContext(ADMIN, "service", client="test")


@pytest.fixture
def inst(home: Path, environ: dict[str, str]) -> Iterator[Installation]:
    if environ.get("PIGUARD_TEST_KEYRING") == "pkcs11":
        pytest.skip("an HSM-held KEK is never forked: imports seal in-process there")
    installation = Installation(home, environ=environ)
    yield installation
    installation.close()


@pytest.fixture(autouse=True)
def small_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "MIN_PARALLEL_ROWS", 8)
    monkeypatch.setattr(bulk, "BATCH_ROWS", 10)
    monkeypatch.setenv("PIGUARD_BULK_WORKERS", "2")


def rows(n: int, seed: int = 3) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 30 * 365))
        out.append(
            {
                "name": "欧阳金丝雀" if i == 0 else f"张{'伟芳娜敏静'[i % 5]}",
                "gender": "F" if i % 2 else "M",
                "birth_date": birth.isoformat(),
                "resident_id": resident_id(rng, birth, i % 2 == 1),
                "mobile": f"139{i:08d}",
                "email": f"bulk{i}@example.com",
                "address": "北京市朝阳区金丝雀路88号" if i == 0 else f"上海市{i}号",
                "bank_card": bank_card(rng),
            }
        )
    return out


def count(inst: Installation, table: str, keys: bool = False) -> int:
    engine = inst.keys.engine if keys else inst.db.engine
    schema = getattr(inst.keys, "schema", None) if keys else None
    name = f"{schema}.{table}" if schema else table
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())


def provable(inst: Installation, ids: list[str]) -> None:
    """Every id's creation is in the trail: the chain verifies, the history and scope find it."""
    assert inst.audit.verify().ok
    for cid in ids:
        history = inst.audit.customer_history(cid)
        assert [h for h in history if h.get("action") == "import"], cid
    touches, window = TrailScope(inst.audit).touches(actors=[ADMIN.id], actions=["import"])
    assert window.verified
    assert {t.customer_ref for t in touches} == {inst.audit.customer_ref(c) for c in ids}


def test_parallel_import_is_all_or_nothing_per_row(
    inst: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-AUD-1: rows sealed by workers; bad rows rejected with number, field and reason; no other
    row half-written; each stored record's creation provable."""
    submitted: list[int] = []
    seal = bulk.Pool.seal

    def counting(self: bulk.Pool, purpose: str, chunk: list[bulk.RawRow], now: Any) -> Any:
        submitted.append(len(chunk))
        return seal(self, purpose, chunk, now)

    monkeypatch.setattr(bulk.Pool, "seal", counting)
    data: list[tuple[int, dict[str, Any]]] = [(i + 1, r) for i, r in enumerate(rows(35))]
    data[4] = (5, {**data[4][1], "mobile": "12345"})  # a bad value
    data[11] = (12, {**data[11][1], "customer_id": "C-dup"})
    data[23] = (24, {**data[23][1], "customer_id": "C-dup"})  # an id repeated in the file
    report = inst.gate.import_rows(CTX, "customer", iter(data))
    assert report.accepted == 33
    assert submitted == [10, 10, 10, 5]  # every row went through the workers, batch by batch
    assert [(r.row, r.field) for r in report.rejected] == [(5, "mobile"), (24, "customer_id")]
    assert report.rejected[1].reason == "id already exists"
    assert len(set(report.ids)) == 33
    assert count(inst, "records") == 33
    assert count(inst, "data_keys", keys=True) == 33  # no orphan key of a rejected row
    provable(inst, report.ids)
    # R-SEC-1: the canary's values appear in no database file (SQLite only: files on disk).
    if inst.db.engine.dialect.name == "sqlite":
        for f in Path(str(inst.db.engine.url.database)).parent.glob("*.db*"):
            raw = f.read_bytes()
            for value in ("欧阳金丝雀", "金丝雀路", "13900000000"):
                assert value.encode() not in raw, f


def _dying_seal(purpose: str, chunk: list[bulk.RawRow], now: Any) -> list[bulk.Outcome]:
    marker = Path(os.environ["BULK_TEST_MARKER"])
    if not marker.exists() and any(n == 15 for n, *_ in chunk):
        marker.write_text("died")
        os._exit(9)  # the worker dies mid-batch, as under the OOM killer
    return _ORIGINAL(purpose, chunk, now)


_ORIGINAL = bulk._seal_chunk


def test_worker_dying_mid_batch_loses_and_doubles_nothing(
    inst: Installation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-AUD-1: a worker killed while sealing a batch: the batch is sealed again, every row is
    stored once, and the chain verifies."""
    marker = tmp_path / "died"
    monkeypatch.setenv("BULK_TEST_MARKER", str(marker))
    monkeypatch.setattr(bulk, "_seal_chunk", _dying_seal)
    report = inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows(40))))
    assert marker.exists()  # the worker did die
    assert report.accepted == 40 and not report.rejected
    assert count(inst, "records") == 40
    assert count(inst, "data_keys", keys=True) == 40
    assert len(set(report.ids)) == 40
    provable(inst, report.ids)


def key_versions(inst: Installation) -> dict[str, int]:
    return dict(inst.vault.key_status()["data_keys_by_kek_version"])


def readable(inst: Installation, ids: list[str]) -> None:
    for cid in ids:
        inst.vault._data_keys.forget(inst.vault.tenant, cid)  # through the wrapped key, not the cache
        assert inst.vault.read("customer", cid, ["email"]).values["email"].startswith("bulk")


def test_rotation_rewraps_in_workers(inst: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    """Key rotation with the re-wrap done by forked workers: every key under the new version once,
    every record still opens, the old version retires."""
    report = inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows(30))))
    submitted: list[int] = []
    rewrap = bulk.Pool.rewrap

    def counting(self: bulk.Pool, todo: list[tuple[str, str, int, bytes]], version: int) -> Any:
        submitted.append(len(todo))
        return rewrap(self, todo, version)

    monkeypatch.setattr(bulk.Pool, "rewrap", counting)
    assert inst.gate.rotate_keys(CTX) == {"kek_version": 2, "rewrapped": 30}
    assert submitted == [30]
    assert key_versions(inst) == {"2": 30}
    inst.gate.retire_key(CTX, 1)
    readable(inst, report.ids)
    assert inst.audit.verify().ok


_KILLED_ROTATION = """
import os, signal, sys
from pathlib import Path
from piguard.installation import Installation
from piguard.gate import RequestContext
from piguard.vault.vault import Vault
from piguard.vault.model import Actor

Vault.rotate_kek.__kwdefaults__["batch_size"] = 7
inst = Installation(Path(sys.argv[1]), environ=dict(os.environ))
batches = []

def progress(n):
    batches.append(n)
    if len(batches) == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # after two committed batches, mid-rotation

inst.gate.rotate_keys(RequestContext(Actor("bulk-importer", "bootstrap-admin"), "service"), progress=progress)
"""


def test_rotation_killed_then_resumed_rewraps_each_key_once(
    inst: Installation, home: Path, environ: dict[str, str]
) -> None:
    """SIGKILL during a rotation: ``resume`` re-wraps only what is left (none twice), under the
    same KEK version; every record opens and the chain verifies."""
    report = inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows(30))))
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, **environ, "PYTHONPATH": str(root / "src")}
    done = subprocess.run([sys.executable, "-c", _KILLED_ROTATION, str(home)], env=env, timeout=120)
    assert done.returncode == -9  # killed, not finished
    no_orphans(home)
    inst.close()
    again = Installation(home, environ=environ)
    try:
        half = key_versions(again)
        assert half == {"1": 16, "2": 14}  # two batches of 7 committed before the kill
        assert again.gate.rotate_keys(CTX, resume=True) == {"kek_version": 2, "rewrapped": 16}
        assert key_versions(again) == {"2": 30}
        readable(again, report.ids)
        assert again.audit.verify().ok
        resumed = [e for e in again.audit.query() if e.action == "key_rotate"]
        assert resumed and resumed[-1].detail.get("resumed") is True
    finally:
        again.close()


_KILLED_IMPORT = """
import os, signal, sys
from pathlib import Path
from piguard.installation import Installation
from piguard.vault import bulk
from tests.vault.test_bulk import CTX, SOURCE, rows

bulk.MIN_PARALLEL_ROWS, bulk.BATCH_ROWS = 8, 10
inst = Installation(Path(sys.argv[1]), environ=dict(os.environ))
key, _ = inst.gate.import_checkpoint(SOURCE, "customer", "service")
batches = []

def progress(n):
    batches.append(n)
    if len(batches) == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # two batches committed, the third being sealed

inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows(40))), progress=progress,
                      checkpoint=key)
"""
#: The bytes of the import's source (a file's, in the CLI): what names its checkpoint.
SOURCE = b"name,mobile\\n...the file the operator imports...\\n"


def customer_ids(inst: Installation) -> list[str]:
    return [k.customer_id for batch in inst.keys.iter_batches(1000) for k in batch]


def no_orphans(home: Path) -> None:
    """The killed process's forked workers (same command line) exit with it instead of keeping the
    keyring in memory and the test's pipes open."""
    deadline = time.monotonic() + 10
    while _processes_naming(home) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_naming(home) == []


def _processes_naming(home: Path) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(home).encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def test_import_killed_then_resumed_stores_each_row_once(
    inst: Installation, home: Path, environ: dict[str, str]
) -> None:
    """R-AUD-1: SIGKILL during an import: ``resume`` continues after the last committed batch;
    every row is stored once, each creation is provable and the chain verifies."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, **environ, "PYTHONPATH": f"{root}:{root / 'src'}"}
    env.pop("PIGUARD_BULK_WORKERS", None)
    done = subprocess.run([sys.executable, "-c", _KILLED_IMPORT, str(home)], env=env, timeout=120)
    assert done.returncode == -9  # killed, not finished
    no_orphans(home)
    inst.close()
    again = Installation(home, environ=environ)
    try:
        key, stored = again.gate.import_checkpoint(SOURCE, "customer", "service")
        assert stored == 20 and count(again, "records") == 20
        report = again.gate.import_rows(
            CTX, "customer", ((i + 1, r) for i, r in enumerate(rows(40))), checkpoint=key, resume=True
        )
        assert report.accepted == 20 and not report.rejected
        assert count(again, "records") == 40
        ids = customer_ids(again)
        assert len(ids) == 40 == len(set(ids))
        assert set(report.ids) < set(ids)
        emails = {again.vault.read("customer", c, ["email"]).values["email"] for c in ids}
        assert emails == {f"bulk{i}@example.com" for i in range(40)}  # each row once, none lost
        assert again.gate.import_checkpoint(SOURCE, "customer", "service")[1] == 40
        provable(again, ids)
        summary = [e for e in again.audit.query() if e.action == "import_summary"]
        assert summary[-1].detail.get("resumed_after_row") == 20
    finally:
        again.close()
