"""Single-customer read (decrypt five fields) and exact search, vs the same row read in plaintext.

Measured: :meth:`piguard.vault.Vault.read` (decrypt five fields) and :meth:`~piguard.vault.Vault.search`
(blind-index exact match), below the gate; the gate's own per-read cost is bench/gate.py's. The
customers are imported through the installed gate (``inst.gate.import_rows``) with the bootstrap
credential, which may write.
Baseline: a plain SELECT of the same five plaintext columns by primary key from the same backend.
"""

from __future__ import annotations

import random
import time
from typing import Any

from _common import CTX, backends, finish, fresh_installation, parser, summary, synthetic_rows
from sqlalchemy import Column, MetaData, String, Table, bindparam, create_engine, insert, select

FIELDS = ["name", "mobile", "resident_id", "email", "address"]


def main() -> None:
    args = parser(__doc__ or "", customers=True).parse_args()
    n = args.customers or (20_000 if args.quick else 200_000)
    ops = 2_000 if args.quick else 20_000
    rows = synthetic_rows(n)
    figures: dict[str, Any] = {"bench": "read", "customers": n, "ops": ops}
    rng = random.Random(3)
    for backend in backends(args.backend):
        with fresh_installation(backend, expected=n) as inst:
            report = inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows)))
            ids = report.ids
            picks = [rng.randrange(n) for _ in range(ops)]
            # Warm up, then measure the vault read (decrypt five fields) and the vault search.
            for i in picks[:200]:
                inst.vault.read("customer", ids[i], FIELDS)
            vault_lat = []
            for i in picks:
                t = time.perf_counter()
                inst.vault.read("customer", ids[i], FIELDS)
                vault_lat.append(time.perf_counter() - t)
            search_lat = []
            for i in picks:
                t = time.perf_counter()
                found = inst.vault.search("customer", "mobile", rows[i]["mobile"])
                search_lat.append(time.perf_counter() - t)
                assert found and found[0].record_id == ids[i]
            # Baseline: plaintext table in the same backend, primary-key select of the same five columns.
            url = inst.db.engine.url
            engine = create_engine(url)
            meta = MetaData()
            plain = Table(
                "plain_read",
                meta,
                Column("id", String, primary_key=True),
                *[Column(c, String) for c in FIELDS],
            )
            meta.create_all(engine)
            with engine.begin() as conn:
                conn.execute(
                    insert(plain), [{"id": ids[i], **{c: rows[i][c] for c in FIELDS}} for i in range(n)]
                )
            base_lat = []
            stmt = select(*[plain.c[c] for c in FIELDS]).where(plain.c.id == bindparam("id"))
            with engine.connect() as conn:
                for i in picks:
                    t = time.perf_counter()
                    conn.execute(stmt, {"id": ids[i]}).one()
                    base_lat.append(time.perf_counter() - t)
            meta.drop_all(engine)
            engine.dispose()
        v, s, b = summary(vault_lat), summary(search_lat), summary(base_lat)
        figures[backend] = {
            "read5_ops_per_s": round(1e6 / v["mean_us"]),
            "read5": v,
            "search": s,
            "plain_read": b,
            "ratio_read_p50": round(v["p50_us"] / b["p50_us"], 2),
        }
        print(
            f"{backend}: read5 p50 {v['p50_us']} µs p99 {v['p99_us']} µs ({1e6 / v['mean_us']:,.0f} ops/s); "
            f"search p50 {s['p50_us']} µs p99 {s['p99_us']} µs; plain read p50 {b['p50_us']} µs; "
            f"ratio {v['p50_us'] / b['p50_us']:.1f}x"
        )
    finish(figures)


if __name__ == "__main__":
    main()
