"""Protected bulk ingest vs a plain insert of the same plaintext rows, in the same run.

Protected = validate + normalise + one DEK per customer (wrapped by the KEK) + seal every field +
blind indexes + insert into the data database and the key store, through the gate. Measured twice:
sealed by worker processes (the default, ``piguard.vault.bulk``) and in-process (one worker).
Baseline = the same rows as plaintext columns, executemany into one table of the same backend.
Floor = the primitives alone for one record (8 AEAD seals, 5 HMACs, a random data key wrapped,
the audit entry's hash and MAC), one core, plus the plain insert: what no design gets under.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from typing import Any

from _common import CTX, backends, finish, fresh_installation, parser, synthetic_rows
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, MetaData, String, Table, create_engine, event, insert

COLUMNS = ["name", "gender", "birth_date", "resident_id", "mobile", "email", "address", "bank_card"]


def baseline(url: str, rows: list[dict[str, str]], batch: int) -> float:
    engine = create_engine(url)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    meta = MetaData()
    table = Table(
        "plain_customers", meta, Column("id", String, primary_key=True), *[Column(c, String) for c in COLUMNS]
    )
    meta.drop_all(engine)
    meta.create_all(engine)
    start = time.perf_counter()
    for i in range(0, len(rows), batch):
        chunk = [{"id": f"C{j:016x}", **r} for j, r in enumerate(rows[i : i + batch], start=i)]
        with engine.begin() as conn:
            conn.execute(insert(table), chunk)
    elapsed = time.perf_counter() - start
    meta.drop_all(engine)
    engine.dispose()
    return elapsed


def crypto_floor(rows: list[dict[str, str]]) -> float:
    """Seconds per record of the crypto primitives alone (one core)."""
    kek = AESGCM(AESGCM.generate_key(256))
    mac_key = os.urandom(32)
    sample = rows[: min(len(rows), 5000)]
    start = time.perf_counter()
    for row in sample:
        dek = os.urandom(32)
        kek.encrypt(os.urandom(12), dek, b"dek")
        aead = AESGCM(dek)
        for name, value in row.items():
            aead.encrypt(os.urandom(12), value.encode(), name.encode())
        for name in ("name", "resident_id", "mobile", "email", "bank_card"):
            hmac.digest(mac_key, row[name].encode(), "sha256")
        body = repr(row).encode()
        hmac.digest(mac_key, hashlib.sha256(body).digest(), "sha256")
    return (time.perf_counter() - start) / len(sample)


def protected(inst: Any, rows: list[dict[str, str]], workers: str) -> float:
    old = os.environ.get("PIGUARD_BULK_WORKERS")
    os.environ["PIGUARD_BULK_WORKERS"] = workers
    try:
        start = time.perf_counter()
        report = inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows)))
        elapsed = time.perf_counter() - start
    finally:
        if old is None:
            os.environ.pop("PIGUARD_BULK_WORKERS", None)
        else:
            os.environ["PIGUARD_BULK_WORKERS"] = old
    assert report.accepted == len(rows), report.rejected[:3]
    return elapsed


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    n = 20_000 if args.quick else 200_000
    rows = synthetic_rows(n)
    figures: dict[str, Any] = {"bench": "ingest", "rows": n}
    workers = str(os.cpu_count() or 1)
    floor_crypto = crypto_floor(rows)
    for backend in backends(args.backend):
        with fresh_installation(backend, expected=n) as inst:
            parallel = protected(inst, rows, workers)
        with fresh_installation(backend, expected=n) as inst:
            serial = protected(inst, rows, "1")
            base = baseline(inst.db.engine.url.render_as_string(hide_password=False), rows, 2000)
        floor = floor_crypto + base / n
        figures[backend] = {
            "protected_records_per_s": round(n / parallel),
            "protected_workers": int(workers),
            "protected_in_process_records_per_s": round(n / serial),
            "plain_records_per_s": round(n / base),
            "floor_records_per_s": round(1 / floor),
            "floor_crypto_us_per_record": round(floor_crypto * 1e6, 1),
            "ratio_plain_over_protected": round(parallel / base, 2),
            "ratio_in_process_over_parallel": round(serial / parallel, 2),
        }
        print(
            f"{backend}: protected {n / parallel:,.0f} rec/s ({workers} workers), in-process "
            f"{n / serial:,.0f} rec/s, plain {n / base:,.0f} rec/s, floor {1 / floor:,.0f} rec/s "
            f"(crypto {floor_crypto * 1e6:.0f} µs + insert {base / n * 1e6:.0f} µs); "
            f"protected is {parallel / base:.1f}x slower than plain"
        )
    finish(figures)


if __name__ == "__main__":
    main()
