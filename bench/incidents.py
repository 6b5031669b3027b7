"""Incidents: ``scope`` (the affected customers of one actor, from the audit trail) against a plain
scan of the same audit table, in the same run.

The trail holds ``--entries`` entries (default 1,000,000; ``--quick``: 100,000) of reads by 50
customer-service principals; one of them (the insider) touched 10,000 real customers (imported
through the gate first; ``--quick``: 2,000), the others random customer ids. Entries are appended
through the audit log itself (hash chain, MAC, checkpoints; group commit of 1000, rules off).

- **scope**: :meth:`piguard.incidents.Incidents.scope` by the PI officer through the gate over
  the insider and the whole window: it verifies the chain over the window (every entry: hash,
  MAC, link, checkpoints), reads the insider's entries through the actor index, decodes them,
  resolves the references to customers (minors) and stores the set.
- **plain scan** (baseline): one pass over every row of ``audit_entries`` (seq, body) straight from
  the driver, splitting each body and keeping the insider's allowed reads' customer references:
  what one would write without piguard; it verifies nothing.

Both must find the same number of customers; the ratio is scope time / scan time.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _common import CTX, backends, finish, fresh_installation, parser, staff_context, synthetic_rows

from piguard.access.events import AccessEvent
from piguard.audit import AuditLog
from piguard.audit.format import CONTENT, SEP
from piguard.incidents import Incidents
from piguard.installation import Installation

ACTORS = 50
INSIDER = "usr_insider"


def _fill(inst: Installation, entries: int, touched: list[str]) -> int:
    """Append ``entries`` read entries: the insider's over ``touched``, the others' over random ids."""
    audit = AuditLog(inst.db, inst.keyring, rules=())
    rng = random.Random(11)
    now = datetime.now(UTC) - timedelta(hours=1)
    batch: list[AccessEvent] = []
    written = 0
    for i in range(entries):
        actor = INSIDER if i % ACTORS == 0 else f"usr_staff{i % ACTORS:02d}"
        customer = (
            touched[(i // ACTORS) % len(touched)] if actor == INSIDER else f"C{rng.randrange(10**8):08d}"
        )
        batch.append(
            AccessEvent(
                time=now,
                actor_id=actor,
                role="customer_service",
                action="read",
                purpose="service",
                record_type="customer",
                customer_id=customer,
                record_id=customer,
                fields=("name", "mobile"),
                decision="allow",
                rule="name: masked; mobile: masked",
                result="ok",
                client="api",
                address="10.0.0.7",
                session="sess-1",
                detail={"levels": {"name": "masked", "mobile": "masked"}},
            )
        )
        if len(batch) == 1000:
            audit.record_many(batch)
            written += len(batch)
            batch = []
    if batch:
        audit.record_many(batch)
        written += len(batch)
    audit.close()
    return written


def _plain_scan(inst: Installation) -> tuple[float, int]:
    """Every row once, straight from the driver; the insider's allowed reads' customers."""
    i_actor, i_action, i_ref = (
        CONTENT.index("actor_id"),
        CONTENT.index("action"),
        CONTENT.index("customer_ref"),
    )
    i_decision = CONTENT.index("decision")
    t = time.perf_counter()
    found: set[str] = set()
    with inst.db.engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        cursor = raw.cursor()
        cursor.execute("SELECT seq, body FROM audit_entries ORDER BY seq")
        while rows := cursor.fetchmany(20_000):
            for _, body in rows:
                values = body.split(SEP)
                if (
                    values[i_actor] == INSIDER
                    and values[i_action] == "read"
                    and values[i_decision] == "allow"
                    and values[i_ref]
                ):
                    found.add(values[i_ref])
        cursor.close()
    return time.perf_counter() - t, len(found)


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument(
        "--entries", type=int, default=None, help="audit entries (default 1,000,000; quick 100,000)"
    )
    args = p.parse_args()
    entries = args.entries or (100_000 if args.quick else 1_000_000)
    customers = 2_000 if args.quick else 10_000
    figures: dict[str, Any] = {"bench": "incidents", "quick": args.quick, "entries": entries}
    for backend in backends(args.backend):
        with fresh_installation(backend, expected=max(customers, 20_000)) as inst:
            t = time.perf_counter()
            report = inst.gate.import_rows(
                CTX, "customer", ((i + 1, r) for i, r in enumerate(synthetic_rows(customers)))
            )
            touched = list(report.ids)
            written = _fill(inst, entries, touched)
            fill_s = time.perf_counter() - t
            officer = staff_context(inst, "officer", "", name="bench_officer")
            incidents = inst.capability(Incidents)
            opened = incidents.open(officer, title="bench", discovered=datetime.now(UTC))
            t = time.perf_counter()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile
                import pstats

                prof = cProfile.Profile()
                scope = prof.runcall(
                    incidents.scope, officer, opened["id"], actors=[INSIDER], actions=["read"]
                )
                pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            else:
                scope = incidents.scope(officer, opened["id"], actors=[INSIDER], actions=["read"])
            scope_s = time.perf_counter() - t
            scan_s, scan_found = _plain_scan(inst)
            assert scope["chain_verified"], scope["findings"]
            expected = min(len(touched), -(-entries // ACTORS))
            assert scope["persons"] == scan_found == expected, (
                scope["persons"],
                scan_found,
                expected,
            )
            figures[backend] = {
                "entries_in_trail": scope["window"]["entries"],
                "entries_written": written,
                "customers_touched": scope["persons"],
                "insider_entries": scope["entries"],
                "fill_seconds": round(fill_s, 1),
                "scope_seconds": round(scope_s, 3),
                "plain_scan_seconds": round(scan_s, 3),
                "ratio": round(scope_s / scan_s, 2),
            }
            f = figures[backend]
            print(
                f"{backend}: scope over {f['entries_in_trail']:,} entries "
                f"({f['customers_touched']:,} customers, chain verified) {f['scope_seconds']} s "
                f"vs plain scan {f['plain_scan_seconds']} s (x{f['ratio']}); filled in {f['fill_seconds']} s"
            )
    finish(figures)


if __name__ == "__main__":
    main()
