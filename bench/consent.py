"""Consent checks: the gated read with and without the consent check, and consent lookups
per second against a ledger of 1,000,000 consent records.

Gated read: :meth:`piguard.gate.Gate.read` of ``mobile`` and ``email`` for purpose
``marketing`` by trained marketing users, every read customer having granted marketing
consent (loaded in bulk into the installation's ledger, ``inst.consent``). Compared,
interleaved in the same run, two kernels that differ only in their consent layer:
``Gate(inst.vault, recorder=inst.audit, access=inst.access, consent=inst.consent)`` (the
consent guard checks the purpose, strict mode) vs the same gate whose consent layer passes
every ``check_read`` (same ledger for the minor rule); the two alternate which reads first, after
every picked customer has been read once through both. The reads are spread over users of
:data:`PER_AGENT` customers each, within the marketing role's hourly quota (500).

Lookups are measured twice: from the database (cache bypassed: ``load_state``) and through
``check_read`` (cached, warmed, with the per-call watermark query that keeps other processes'
withdrawals visible), plus ``check_read`` with ``revalidate_interval=1.0`` (watermark read at
most once a second). ``--quick`` uses 100,000 consent records instead of 1,000,000.
"""

from __future__ import annotations

import random
import time
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from _common import (
    CTX,
    backends,
    finish,
    fresh_installation,
    parser,
    staff_context,
    summary,
    synthetic_rows,
)
from sqlalchemy import insert

from piguard.consent import ConsentLedger, shipped_notice
from piguard.consent import tables as t
from piguard.gate import Gate, RequestContext

FIELDS = ["mobile", "email"]
#: Customers each marketing user reads (the role's quota is 500 an hour).
PER_AGENT = 400


class _PassConsent:
    """A consent layer that passes every purpose check; the minor rule is the ledger's."""

    def __init__(self, ledger: ConsentLedger) -> None:
        self.ledger = ledger

    def check_read(
        self,
        customer_id: str,
        purpose: str,
        *,
        record_type: str = "customer",
        fields: Collection[str] | None = None,
    ) -> None:
        return None

    def is_under_14(self, customer_id: str) -> bool:
        return self.ledger.is_under_14(customer_id)


def _fill(ledger: ConsentLedger, customer_ids: list[str], total: int, rng: random.Random) -> None:
    """Bulk-load ``total`` grant records: the real customers get marketing consent, the rest
    spread over synthetic ids (several records each, as in a ledger with history)."""
    notice = ledger.notice(kind="privacy")
    now = datetime.now(UTC)
    base = {
        "tenant": ledger.tenant,
        "action": "grant",
        "kind": "general",
        "categories": '["contact"]',
        "retention": "[]",
        "notice_version": notice.version,
        "notice_hash": notice.content_hash,
        "channel": "bench",
        "operator": "bench",
        "given_at": now,
        "recorded_at": now,
    }
    rows: list[dict[str, Any]] = [
        {**base, "customer_id": c, "purposes": '["marketing"]'} for c in customer_ids
    ]
    purposes = ['["analytics"]', '["marketing"]', '["analytics", "marketing"]']
    synthetic = max(1, (total - len(rows)) // 3)
    while len(rows) < total:
        rows.append(
            {**base, "customer_id": f"S{rng.randrange(synthetic):09d}", "purposes": rng.choice(purposes)}
        )
    for start in range(0, len(rows), 20_000):
        with ledger.db.transaction() as conn:
            conn.execute(insert(t.records), rows[start : start + 20_000])
    ledger.publish_notice(*shipped_notice()[1:], title="bump", operator="bench")  # moves the watermark


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    customers = 2_000 if args.quick else 20_000
    records = 100_000 if args.quick else 1_000_000
    ops = 2_000 if args.quick else 20_000
    rng = random.Random(5)
    figures: dict[str, Any] = {
        "bench": "consent",
        "customers": customers,
        "consent_records": records,
        "ops": ops,
        "quick": args.quick,
    }
    for backend in backends(args.backend):
        with fresh_installation(backend, expected=customers) as inst:
            rows = synthetic_rows(customers)
            report = inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows)))
            ids = report.ids
            ledger = inst.consent
            title, zh, en = shipped_notice()
            ledger.publish_notice(zh, en, title=title, operator="bench")
            t0 = time.perf_counter()
            _fill(ledger, ids, records, rng)
            fill_s = time.perf_counter() - t0
            checked = Gate(inst.vault, recorder=inst.audit, access=inst.access, consent=ledger)
            unchecked = Gate(
                inst.vault, recorder=inst.audit, access=inst.access, consent=_PassConsent(ledger)
            )
            agents = [
                staff_context(inst, "marketing", "marketing", name=f"bench_mk{a}")
                for a in range(-(-customers // PER_AGENT))
            ]
            picks: list[tuple[RequestContext, str]] = []
            for _ in range(ops):  # a random customer, read by the user whose share it is in
                i = rng.randrange(len(ids))
                picks.append((agents[i // PER_AGENT], ids[i]))
            # Warm up: every customer's consent state cached (steady state of a server; the
            # cold path is db_lookup below), DEK LRU and statement caches filled.
            for cid in ids:
                ledger.check_read(cid, "marketing")
            # Every picked (user, customer) read once through both gates: the first read of a
            # customer counts it in the user's quota and fetches its data key, whichever gate runs it.
            for ctx, cid in dict.fromkeys(picks):
                checked.read(ctx, "customer", cid, FIELDS)
                unchecked.read(ctx, "customer", cid, FIELDS)
            plain: list[float] = []
            gated: list[float] = []
            check: list[float] = []
            for k, (ctx, cid) in enumerate(picks):  # interleaved, order alternating
                first, second = (unchecked, checked) if k % 2 else (checked, unchecked)
                t0 = time.perf_counter()
                first.read(ctx, "customer", cid, FIELDS)
                t1 = time.perf_counter()
                second.read(ctx, "customer", cid, FIELDS)
                t2 = time.perf_counter()
                ledger.check_read(cid, "marketing")
                t3 = time.perf_counter()
                (plain if first is unchecked else gated).append(t1 - t0)
                (plain if second is unchecked else gated).append(t2 - t1)
                check.append(t3 - t2)
            db_lookup = []
            for _, cid in picks:
                a = time.perf_counter()
                ledger.load_state(cid)
                db_lookup.append(time.perf_counter() - a)
            relaxed = ConsentLedger(
                inst.db, inst.catalog, tenant=inst.settings.tenant, revalidate_interval=1.0
            )
            for cid in ids:
                relaxed.check_read(cid, "marketing")
            relaxed_lat = []
            for _, cid in picks:
                a = time.perf_counter()
                relaxed.check_read(cid, "marketing")
                relaxed_lat.append(time.perf_counter() - a)
            relaxed.close()
        p, g, c, dbl, rl = (summary(x) for x in (plain, gated, check, db_lookup, relaxed_lat))
        figures[backend] = {
            "fill_s": round(fill_s, 1),
            "read_without_check": p,
            "read_with_check": g,
            "added_p50_us": round(g["p50_us"] - p["p50_us"], 1),
            "ratio_p50": round(g["p50_us"] / p["p50_us"], 2),
            "ratio_p99": round(g["p99_us"] / p["p99_us"], 2),
            "check_read_strict": c,
            "check_read_relaxed_1s": rl,
            "db_lookup": dbl,
            "db_lookups_per_s": round(1e6 / dbl["mean_us"]),
            "check_read_strict_per_s": round(1e6 / c["mean_us"]),
            "check_read_relaxed_per_s": round(1e6 / rl["mean_us"]),
        }
        print(
            f"{backend}: read p50 {p['p50_us']} µs, with consent check {g['p50_us']} µs "
            f"(added {g['p50_us'] - p['p50_us']:.1f} µs, x{g['p50_us'] / p['p50_us']:.2f}; p99 "
            f"{p['p99_us']} vs {g['p99_us']} µs, x{g['p99_us'] / p['p99_us']:.2f}); "
            f"check_read strict p50 {c['p50_us']} µs, "
            f"relaxed p50 {rl['p50_us']} µs; DB lookup p50 {dbl['p50_us']} µs "
            f"({1e6 / dbl['mean_us']:,.0f}/s) at {records:,} records"
        )
    finish(figures)


if __name__ == "__main__":
    main()
