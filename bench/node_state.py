"""What the database-backed rate limit costs a request (issue 12, item 1).

Charges one token-bucket row (:class:`piguard.nodestate.limits.TokenBuckets`: one atomic upsert
in a write transaction) per call, on a SQLite file and, with ``--pg URL``, on PostgreSQL, and
prints p50/p99 per charge beside the baseline measured in the same run: the in-memory bucket
this replaced (a dict lookup under a lock). An API request charges twice (credential, principal).

    .venv/bin/python bench/node_state.py [--n 2000] [--pg postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from piguard.nodestate.limits import TokenBuckets
from piguard.store import Database


def _memory_charge(n: int) -> list[float]:
    buckets: dict[str, tuple[float, float]] = {}
    lock = threading.Lock()
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        now = time.time()
        with lock:
            tokens, last = buckets.get(f"p:{i % 50}", (1e9, now))
            buckets[f"p:{i % 50}"] = (min(1e9, tokens + (now - last)) - 1, now)
        out.append(time.perf_counter() - t0)
    return out


def _db_charge(url: str, n: int) -> list[float]:
    db = Database(url)
    db.migrate()
    buckets = TokenBuckets(db, 1e6, 1_000_000_000)
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        buckets.charge(f"p:{i % 50}")
        out.append(time.perf_counter() - t0)
    db.dispose()
    return out


def _ms(samples: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(samples, n=100)
    return q[49] * 1000, q[98] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="charges per backend")
    parser.add_argument("--pg", default="", help="a PostgreSQL URL (empty: SQLite only)")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {platform.python_version()}")
    base50, base99 = _ms(_memory_charge(args.n))
    print(f"baseline in-memory bucket   p50 {base50:.4f} ms  p99 {base99:.4f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        runs = [("sqlite", f"sqlite:///{Path(tmp) / 'data.db'}")]
        if args.pg:
            runs.append(("postgresql", args.pg))
        for name, url in runs:
            p50, p99 = _ms(_db_charge(url, args.n))
            print(
                f"{name:<11} database bucket p50 {p50:.3f} ms  p99 {p99:.3f} ms"
                f"  (x{p50 / base50:.0f} the baseline's p50; +{2 * p50:.2f} ms per API request at p50)"
            )


if __name__ == "__main__":
    main()
