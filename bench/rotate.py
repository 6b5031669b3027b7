"""KEK rotation: re-wrap every customer's data key, vs a plain rewrite of the same key rows.

Rotation is measured with the re-wrap in worker processes (the default, ``piguard.vault.bulk``) and
in-process (one worker), each on the same keys, in the same run.
Baseline: UPDATE of the same number of key-store rows with unchanged bytes (no crypto), same backend.
Floor: the primitives alone per key (unwrap under the old KEK, wrap under the new), one core, plus
the plain rewrite.
"""

from __future__ import annotations

import os
import time
from typing import Any

from _common import CTX, backends, finish, fresh_installation, parser, synthetic_rows
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import text


def crypto_floor(n: int) -> float:
    """Seconds per key of the unwrap and wrap alone."""
    old, new = AESGCM(AESGCM.generate_key(256)), AESGCM(AESGCM.generate_key(256))
    blobs = [
        (nonce := os.urandom(12), old.encrypt(nonce, os.urandom(32), b"dek")) for _ in range(min(n, 20_000))
    ]
    start = time.perf_counter()
    for nonce, blob in blobs:
        new.encrypt(os.urandom(12), old.decrypt(nonce, blob, b"dek"), b"dek")
    return (time.perf_counter() - start) / len(blobs)


def rotate(inst: Any, workers: str) -> tuple[float, int]:
    old = os.environ.get("PIGUARD_BULK_WORKERS")
    os.environ["PIGUARD_BULK_WORKERS"] = workers
    try:
        start = time.perf_counter()
        result = inst.gate.rotate_keys(CTX)
        elapsed = time.perf_counter() - start
    finally:
        if old is None:
            os.environ.pop("PIGUARD_BULK_WORKERS", None)
        else:
            os.environ["PIGUARD_BULK_WORKERS"] = old
    return elapsed, result["rewrapped"]


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    n = 20_000 if args.quick else 200_000
    rows = synthetic_rows(n)
    figures: dict[str, Any] = {"bench": "rotate", "customers": n}
    workers = str(os.cpu_count() or 1)
    floor_crypto = crypto_floor(n)
    for backend in backends(args.backend):
        with fresh_installation(backend, expected=n) as inst:
            inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows)))
            parallel_s, done = rotate(inst, workers)
            assert done == n
            serial_s, done = rotate(inst, "1")
            assert done == n
            engine = inst.keys.engine
            schema = getattr(inst.keys, "schema", None)
            table = f"{schema}.data_keys" if schema else "data_keys"
            start = time.perf_counter()
            with engine.begin() as conn:
                keys = conn.execute(text(f"select tenant, customer_id, wrapped from {table}")).all()
            for i in range(0, len(keys), 5000):
                with engine.begin() as conn:
                    conn.execute(
                        text(f"update {table} set wrapped = :w where tenant = :t and customer_id = :c"),
                        [{"w": k.wrapped, "t": k.tenant, "c": k.customer_id} for k in keys[i : i + 5000]],
                    )
            base_s = time.perf_counter() - start
        floor = floor_crypto + base_s / n
        figures[backend] = {
            "rewrap_per_s": round(n / parallel_s),
            "rewrap_workers": int(workers),
            "rewrap_in_process_per_s": round(n / serial_s),
            "plain_rewrite_per_s": round(n / base_s),
            "floor_per_s": round(1 / floor),
            "floor_crypto_us_per_key": round(floor_crypto * 1e6, 1),
            "ratio": round(parallel_s / base_s, 2),
        }
        print(
            f"{backend}: rotation {n / parallel_s:,.0f} keys/s ({workers} workers), in-process "
            f"{n / serial_s:,.0f} keys/s; plain rewrite {n / base_s:,.0f} rows/s; "
            f"floor {1 / floor:,.0f} keys/s (crypto {floor_crypto * 1e6:.1f} µs); "
            f"ratio {parallel_s / base_s:.2f}x"
        )
    finish(figures)


if __name__ == "__main__":
    main()
