"""What the hourly distinct-customer quota (R-USE-3) costs a read of a new customer as the hour's
window fills (issue 12, item 5: one of a read's write transactions).

For each window size W, W customers are first counted for one principal, then ``--n`` reads of
customers not yet counted each call :meth:`QuotaMeter.note_customers` (one write transaction: the
request's customers looked up by the primary key, the window counted on its index, the new row
inserted). The baseline, measured in the same run on the same file, is the least a persisted count
can cost: the insert of the same one row in a transaction of its own. The in-process memo is kept
out of the way (every customer is new), so the database path is what is measured.

    .venv/bin/python bench/quota.py [--quick] [--n 300] [--pg postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import insert

from piguard.access.quotas import QuotaMeter
from piguard.access.tables import quota_reads
from piguard.catalog import load_catalog
from piguard.clock import FixedClock
from piguard.principal import Actor
from piguard.store import Database

CATALOG = Path(__file__).resolve().parents[1] / "catalogs" / "default.yaml"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class _Unlimited(QuotaMeter):
    """The meter with a limit no window reaches (the catalog's roles have small ones)."""

    def customers_per_hour(self, actor: Actor) -> int | None:
        return 1_000_000_000


def _measure(url: str, window: int, n: int) -> dict[str, float]:
    db = Database(url)
    db.migrate()
    clock = FixedClock(T0)
    meter = _Unlimited(db, load_catalog(CATALOG), clock)
    actor = Actor(f"u_w{window}", "customer_service")  # one principal per window (a shared PG)
    filler = [f"c_{i:08d}" for i in range(window)]
    for i in range(0, window, 5_000):
        meter.note_customers(actor, filler[i : i + 5_000])
    metered, plain = [], []
    for i in range(n):
        t0 = time.perf_counter()
        meter.note_customers(actor, [f"n_{i:08d}"])
        metered.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with db.transaction() as conn:
            row = {"principal_id": f"p_w{window}", "customer_id": f"p_{i:08d}", "read_at": T0, "role": "x"}
            conn.execute(insert(quota_reads), [row])
        plain.append(time.perf_counter() - t0)
    db.dispose()
    q, b = statistics.quantiles(metered, n=100), statistics.quantiles(plain, n=100)
    return {
        "window": window,
        "quota_p50_ms": round(q[49] * 1000, 3),
        "quota_p99_ms": round(q[98] * 1000, 3),
        "plain_insert_p50_ms": round(b[49] * 1000, 3),
        "plain_insert_p99_ms": round(b[98] * 1000, 3),
        "ratio_p50": round(q[49] / b[49], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="windows of 1,000 and 5,000 customers")
    parser.add_argument("--n", type=int, default=300, help="reads measured per window")
    parser.add_argument("--pg", help="also on this PostgreSQL URL (an empty database)")
    args = parser.parse_args()
    windows = (1_000, 5_000) if args.quick else (1_000, 20_000, 100_000)
    figures: dict[str, object] = {"bench": "quota", "n": args.n}
    backends = {"sqlite": None, **({"postgres": args.pg} if args.pg else {})}
    for backend, pg in backends.items():
        rows = []
        for window in windows:
            with tempfile.TemporaryDirectory() as tmp:
                url = pg or f"sqlite:///{tmp}/quota.db"
                found = _measure(url, window, args.n)
            rows.append(found)
            print(
                f"{backend}: window {window:>7,}: quota p50 {found['quota_p50_ms']:.2f} ms "
                f"p99 {found['quota_p99_ms']:.2f} ms; plain insert p50 "
                f"{found['plain_insert_p50_ms']:.2f} ms; "
                f"ratio {found['ratio_p50']:.2f}x"
            )
        figures[backend] = rows
    figures["machine"] = f"{platform.machine()} {platform.processor() or ''}".strip()
    figures["date"] = datetime.now(UTC).date().isoformat()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
