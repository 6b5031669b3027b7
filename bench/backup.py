"""Backup and restore of a home with N customers vs a plain file copy of the same databases.

``piguard backup create`` (SQLite online backup API, then sealing each artifact with streamed
AES-256-GCM and signing the manifest) and ``restore`` (opening the stream, writing the databases,
verifying the audit chain, replaying the erasure ledger, opening sample records, unsealing), both
through the gate. Baseline, in the same run: ``shutil.copyfile`` of the data database and the key
store (no consistency, no encryption, no checks: what an operator's ``cp`` would do).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import CTX, backends, finish, fresh_installation, parser, synthetic_rows

from piguard.backup import Backups, restore
from piguard.gate import RequestContext


def main() -> None:
    args = parser(__doc__ or "", customers=True).parse_args()
    n = args.customers or (2_000 if args.quick else 200_000)
    rows = synthetic_rows(n)
    admin = RequestContext(CTX.actor, "", client="bench")
    figures: dict[str, Any] = {"bench": "backup", "customers": n}
    for backend in backends(args.backend):
        if backend != "sqlite":
            # pg_dump's speed is PostgreSQL's, not ours; the restore needs a second database.
            print("postgres: not measured here (see docs/benchmarks.md)")
            continue
        with fresh_installation(backend, expected=n) as inst, tempfile.TemporaryDirectory() as tmp:
            inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows)))
            backups = inst.capability(Backups)
            data = Path(backups.data_url.removeprefix("sqlite:///"))
            keys = Path(backups.keystore_url.removeprefix("sqlite:///"))
            size = data.stat().st_size + keys.stat().st_size
            start = time.perf_counter()
            shutil.copyfile(data, Path(tmp) / "data.copy")
            shutil.copyfile(keys, Path(tmp) / "keys.copy")
            copy_s = time.perf_counter() - start
            start = time.perf_counter()
            backups.create(admin, Path(tmp) / "backup")
            create_s = time.perf_counter() - start
            start = time.perf_counter()
            report = restore(
                Path(tmp) / "backup",
                Path(tmp) / "restored",
                environ=backups.environ,
                ledger=[],
                live_trail=backups,
            )
            restore_s = time.perf_counter() - start
            assert report["ok"] and report["customers"] == n, report
        figures[backend] = {
            "database_mb": round(size / 1e6, 1),
            "copy_s": round(copy_s, 2),
            "create_s": round(create_s, 2),
            "restore_s": round(restore_s, 2),
            "create_mb_per_s": round(size / 1e6 / create_s, 1),
            "create_ratio": round(create_s / copy_s, 1),
            "restore_ratio": round(restore_s / copy_s, 1),
        }
        print(
            f"{backend}: {size / 1e6:,.1f} MB; plain copy {copy_s:.2f} s; backup {create_s:.2f} s "
            f"({create_s / copy_s:.1f}x); restore with checks {restore_s:.2f} s ({restore_s / copy_s:.1f}x)"
        )
    finish(figures)


if __name__ == "__main__":
    main()
