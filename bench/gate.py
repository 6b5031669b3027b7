"""The gate's cost: an authorised, masked single-customer read vs the raw vault read of the same fields.

Compared, interleaved in the same run on the same installation and customers:

- gated: :meth:`piguard.gate.Gate.read` through the kernel (authorise action and purpose,
  resolve the customer, guards: row scope, consent for the purpose, hourly quota; per-field
  decisions with training and minor rules, masking, the access event) for a trained,
  stepped-up customer-service user, purpose ``service``. The gate is
  ``Gate(inst.vault, recorder=<drops events>, access=<the bench's AccessControl>,
  consent=inst.consent)``: the installed consent ledger, and a recorder that drops events so
  the audit trail's cost (bench/audit.py) is not counted here;
- baseline: :meth:`piguard.vault.Vault.read` of the same five fields.

Authentication (one token look-up per request at the edge) is measured separately.
The customer set fits the role's hourly quota, so the quota path is the "already counted" one
after the first read of each customer.
"""

from __future__ import annotations

import random
import time
from typing import Any

from _common import (
    CHEAP_PASSWORDS,
    CTX,
    STEP_UP_TTL,
    backends,
    finish,
    fresh_installation,
    parser,
    staff_session,
    summary,
    synthetic_rows,
)

from piguard.access import AccessControl
from piguard.gate import Gate

FIELDS = ["name", "mobile", "email", "resident_id", "membership_level"]


class _Null:
    def record(self, event: object, conn: object = None) -> None:
        return None


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    n = 50
    ops = 3_000 if args.quick else 30_000
    rows = synthetic_rows(n)
    for row in rows:
        row["membership_level"] = "gold"
    figures: dict[str, Any] = {"bench": "gate", "customers": n, "ops": ops, "fields": FIELDS}
    rng = random.Random(5)
    for backend in backends(args.backend):
        with fresh_installation(backend, expected=10_000) as inst:
            ids = inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows))).ids
            access = AccessControl(
                inst.db,
                inst.catalog,
                passwords=CHEAP_PASSWORDS,
                recorder=_Null(),
                secret_box=inst.keyring.secret_box("totp"),
                step_up_ttl=STEP_UP_TTL,
            )
            gate = Gate(inst.vault, recorder=_Null(), access=access, consent=inst.consent)
            ctx, token = staff_session(inst, "customer_service", "service", name="bench_cs", access=access)
            picks = [ids[rng.randrange(n)] for _ in range(ops)]
            for cid in picks[:300]:  # warm-up: DEK cache, decision memo, quota memo
                gate.read(ctx, "customer", cid, FIELDS)
                inst.vault.read("customer", cid, FIELDS)
            raw_lat, gate_lat, auth_lat = [], [], []
            for cid in picks:
                t = time.perf_counter()
                inst.vault.read("customer", cid, FIELDS)
                raw_lat.append(time.perf_counter() - t)
                t = time.perf_counter()
                views = gate.read(ctx, "customer", cid, FIELDS)
                gate_lat.append(time.perf_counter() - t)
                t = time.perf_counter()
                access.authenticate(token)
                auth_lat.append(time.perf_counter() - t)
            assert views["mobile"].level == "masked" and views["membership_level"].level == "clear"
        raw, gated, auth = summary(raw_lat), summary(gate_lat), summary(auth_lat)
        figures[backend] = {
            "vault_read": raw,
            "gate_read": gated,
            "authenticate": auth,
            "gate_overhead_p50_us": round(gated["p50_us"] - raw["p50_us"], 1),
            "ratio_p50": round(gated["p50_us"] / raw["p50_us"], 2),
            "ratio_p99": round(gated["p99_us"] / raw["p99_us"], 2),
        }
        print(
            f"{backend}: vault p50 {raw['p50_us']} µs p99 {raw['p99_us']} µs; gate p50 {gated['p50_us']} µs "
            f"p99 {gated['p99_us']} µs; overhead p50 {gated['p50_us'] - raw['p50_us']:.1f} µs "
            f"(x{gated['p50_us'] / raw['p50_us']:.2f} p50, x{gated['p99_us'] / raw['p99_us']:.2f} p99); "
            f"authenticate p50 {auth['p50_us']} µs"
        )
    finish(figures)


if __name__ == "__main__":
    main()
