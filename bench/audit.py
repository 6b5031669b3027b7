"""Audit trail: append throughput, verification speed, and the cost of auditing a gated read.

- append: entries/s at the data's durability (the data database's own SQLite settings, WAL +
  synchronous=NORMAL), one transaction per entry and group commit (``record_many``, 1000 per
  transaction), with the default monitoring rules on and off. Goal >= 20,000 entries/s.
- verify: a full ``AuditLog.verify()`` (chain, MACs, signed checkpoints) over 1,000,000
  entries (``--quick``: 100,000, extrapolated linearly and marked so). Goal < 5 s.
- gated read: :meth:`piguard.gate.Gate.read` of five fields by trained, stepped-up
  customer-service users (purpose ``service``) through two kernels that differ only in their
  recorder: ``Gate(inst.vault, recorder=AuditLog(rules=()), access=inst.access,
  consent=inst.consent)`` (the read and its audit entry) vs the same gate with a recorder that
  drops events; interleaved (alternating which reads first, after every picked customer was
  read once through both), same run, p50/p99 and ratio. The customers (2,000; full run
  20,000) are split among users of :data:`PER_AGENT` customers each (50; full run 500 users),
  so every user stays within the role's hourly quota (60 customers) and every customer can be read.
"""

from __future__ import annotations

import random
import time
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

from piguard.access.events import AccessEvent
from piguard.audit import AuditLog
from piguard.gate import Gate, RequestContext
from piguard.installation import Installation

FIELDS = ["name", "mobile", "resident_id", "email", "address"]
#: Customers each customer-service user reads (the role's quota is 60 an hour).
PER_AGENT = 40


class _Drop:
    def record(self, event: object, conn: object = None) -> None:
        return None


def _events(n: int) -> list[AccessEvent]:
    now = datetime.now(UTC)
    return [
        AccessEvent(time=now, actor_id=f"staff{i % 50}", role="customer_service", action="read",
                    purpose="service", record_type="customer", customer_id=f"C{i % 100_000:08d}",
                    record_id=f"R{i:09d}", fields=("name", "mobile"), decision="allow",
                    rule="name: clear; mobile: masked", result="ok", client="api", address="10.0.0.7",
                    session="sess-1", detail={"levels": {"name": "clear", "mobile": "masked"}})
        for i in range(n)
    ]


def _append(inst: Installation, quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, rules in (("rules_on", None), ("rules_off", ())):
        audit = AuditLog(inst.db, inst.keyring, rules=rules)
        single = _events(2_000 if quick else 10_000)
        t = time.perf_counter()
        for e in single:
            audit.record(e)
        out[f"single_tx_per_s_{label}"] = round(len(single) / (time.perf_counter() - t))
        grouped = _events(50_000 if quick else 200_000)
        t = time.perf_counter()
        for i in range(0, len(grouped), 1000):
            audit.record_many(grouped[i:i + 1000])
        out[f"group_commit_per_s_{label}"] = round(len(grouped) / (time.perf_counter() - t))
        audit.close()
    return out


def _verify(inst: Installation, quick: bool) -> dict[str, Any]:
    target = 100_000 if quick else 1_000_000
    audit = AuditLog(inst.db, inst.keyring, rules=())
    have = audit.verify().entries
    batch = _events(1000)
    while have < target:
        audit.record_many(batch[: min(1000, target - have)])
        have += min(1000, target - have)
    t = time.perf_counter()
    report = audit.verify()
    full = time.perf_counter() - t
    assert report.ok, report.as_dict()
    t = time.perf_counter()
    audit.verify(check_macs=False)
    public = time.perf_counter() - t
    audit.close()
    scale = 1_000_000 / report.entries
    return {
        "entries": report.entries,
        "seconds": round(full, 2),
        "seconds_without_macs": round(public, 2),
        "seconds_per_1m": round(full * scale, 2),
        "extrapolated": report.entries < 1_000_000,
        "entries_per_s": round(report.entries / full),
    }


def _gated_read(inst: Installation, quick: bool) -> dict[str, Any]:
    n = 2_000 if quick else 20_000
    ops = 2_000 if quick else 20_000
    report = inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(synthetic_rows(n))))
    ids = report.ids
    audit = AuditLog(inst.db, inst.keyring, rules=())
    audited = Gate(inst.vault, recorder=audit, access=inst.access, consent=inst.consent)
    bare = Gate(inst.vault, recorder=_Drop(), access=inst.access, consent=inst.consent)
    agents = [
        staff_context(inst, "customer_service", "service", name=f"bench_cs{a}")
        for a in range(n // PER_AGENT)
    ]
    rng = random.Random(5)
    picks: list[tuple[RequestContext, str]] = []
    for _ in range(ops):  # a random customer, read by the user whose share it is in
        i = rng.randrange(n)
        picks.append((agents[i // PER_AGENT], ids[i]))
    # Every picked (user, customer) read once through both gates: the first read of a customer
    # counts it in the user's quota and fetches its data key, whichever gate runs it.
    for ctx, rid in dict.fromkeys(picks):
        audited.read(ctx, "customer", rid, FIELDS)
        bare.read(ctx, "customer", rid, FIELDS)
    with_audit: list[float] = []
    without: list[float] = []
    for k, (ctx, rid) in enumerate(picks):  # interleaved, order alternating, so drift hits both alike
        for gate in (bare, audited) if k % 2 else (audited, bare):
            t = time.perf_counter()
            gate.read(ctx, "customer", rid, FIELDS)
            (with_audit if gate is audited else without).append(time.perf_counter() - t)
    audit.close()
    a, b = summary(with_audit), summary(without)
    return {
        "ops": ops, "with_audit": a, "without_audit": b,
        "ratio_p50": round(a["p50_us"] / b["p50_us"], 2), "ratio_p99": round(a["p99_us"] / b["p99_us"], 2),
    }


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    figures: dict[str, Any] = {"bench": "audit", "quick": args.quick}
    for backend in backends(args.backend):
        result: dict[str, Any] = {}
        with fresh_installation(backend, expected=20_000) as inst:
            result["append"] = _append(inst, args.quick)
        with fresh_installation(backend, expected=20_000) as inst:
            result["verify"] = _verify(inst, args.quick)
        with fresh_installation(backend, expected=20_000) as inst:
            result["gated_read"] = _gated_read(inst, args.quick)
        figures[backend] = result
        ap, ve, gr = result["append"], result["verify"], result["gated_read"]
        print(
            f"{backend}: append {ap['group_commit_per_s_rules_on']:,}/s grouped (rules on), "
            f"{ap['group_commit_per_s_rules_off']:,}/s (rules off), "
            f"{ap['single_tx_per_s_rules_on']:,}/s one per tx; "
            f"verify {ve['entries']:,} in {ve['seconds']} s -> {ve['seconds_per_1m']} s per 1M"
            f"{' (extrapolated)' if ve['extrapolated'] else ''}; gated read p50 "
            f"{gr['with_audit']['p50_us']} vs {gr['without_audit']['p50_us']} µs (x{gr['ratio_p50']}), p99 "
            f"{gr['with_audit']['p99_us']} vs {gr['without_audit']['p99_us']} µs (x{gr['ratio_p99']})"
        )
    finish(figures)


if __name__ == "__main__":
    main()
