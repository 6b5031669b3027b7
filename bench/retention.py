"""Retention: plan and run over N customers, half of them past every keep period, vs the vault's
own erase loop over the same customers in the same run.

Half the customers are closed with a relationship end of 2012-01-01 (every rule of the default
catalog, AML's ten years included, has run out by now), so the run crypto-shreds them through the
gate (one operation, audit entry and signed destruction record each). Baseline: ``Vault.erase`` of
the same number of customers in a second home (no gate, no plan, no audit, no record).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from _common import CTX, backends, finish, fresh_installation, parser, staff_context, synthetic_rows

from piguard.gate import RequestContext
from piguard.lifecycle import Lifecycle


def main() -> None:
    args = parser(__doc__ or "", customers=True).parse_args()
    n = args.customers or (2_000 if args.quick else 200_000)
    rows = synthetic_rows(n)
    admin = RequestContext(CTX.actor, "", client="bench")
    figures: dict[str, Any] = {"bench": "retention", "customers": n, "expired": n // 2}
    for backend in backends(args.backend):
        with fresh_installation(backend, expected=n) as inst:
            inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows)))
            ids = list(inst.gate.customer_ids())
            lifecycle = inst.capability(Lifecycle)
            officer = staff_context(inst, "officer", "")  # a back-dated end is the officer's to record
            for cid in ids[: n // 2]:
                lifecycle.close_account(officer, cid, reason="bench", on_date=date(2012, 1, 1))
            start = time.perf_counter()
            plan = lifecycle.plan(admin)
            plan_s = time.perf_counter() - start
            start = time.perf_counter()
            done = lifecycle.run(admin)
            run_s = time.perf_counter() - start
            assert done["destroyed"] == n // 2 and done["failed"] == 0, done
        with fresh_installation(backend, expected=n) as base:
            base.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows)))
            doomed = list(base.gate.customer_ids())[: n // 2]
            start = time.perf_counter()
            for cid in doomed:
                base.vault.erase(cid)
            base_s = time.perf_counter() - start
        half = n // 2
        figures[backend] = {
            "plan_s": round(plan_s, 2),
            "plan_customers_per_s": round(n / plan_s),
            "run_s": round(run_s, 2),
            "destroyed_per_s": round(half / run_s),
            "vault_erase_per_s": round(half / base_s),
            "ratio": round(run_s / base_s, 2),
            "plan_actions": len(plan["actions"]),
        }
        print(
            f"{backend}: plan {n / plan_s:,.0f} customers/s; run {half / run_s:,.0f} destroyed/s "
            f"(gate, audit, signed record each); vault erase loop {half / base_s:,.0f}/s; "
            f"ratio {run_s / base_s:.2f}x"
        )
    finish(figures)


if __name__ == "__main__":
    main()
