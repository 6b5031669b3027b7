"""Protected bulk ingest vs a plain insert of the same plaintext rows, in the same run.

Protected = validate + normalise + one DEK per customer (wrapped by the KEK) + seal every field +
blind indexes + insert into the data database and the key store, through the gate.
Baseline = the same rows as plaintext columns, executemany into one table of the same backend.
"""

from __future__ import annotations

import time
from typing import Any

from _common import CTX, backends, finish, fresh_installation, parser, synthetic_rows
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


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    n = 20_000 if args.quick else 200_000
    rows = synthetic_rows(n)
    figures: dict[str, Any] = {"bench": "ingest", "rows": n}
    for backend in backends(args.backend):
        with fresh_installation(backend, expected=n) as inst:
            start = time.perf_counter()
            report = inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows)))
            protected = time.perf_counter() - start
            assert report.accepted == n, report.rejected[:3]
            base = baseline(inst.db.engine.url.render_as_string(hide_password=False), rows, 2000)
        figures[backend] = {
            "protected_records_per_s": round(n / protected),
            "plain_records_per_s": round(n / base),
            "ratio_plain_over_protected": round(protected / base, 2),
        }
        print(
            f"{backend}: protected {n / protected:,.0f} rec/s, plain {n / base:,.0f} rec/s, "
            f"protected is {protected / base:.1f}x slower"
        )
    finish(figures)


if __name__ == "__main__":
    main()
