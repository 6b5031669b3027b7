"""The gate's cost: an authorised, masked single-customer read vs the raw vault read of the same fields.

Both run in the same process on the same installation and the same customers. The gated
read is :meth:`piguard.service.Service.read` for a trained, stepped-up customer-service
user (action and purpose check, per-field decisions, training, minors, quota, masking,
access event); the baseline is :meth:`piguard.vault.Vault.read` of the same fields.
Authentication (one token look-up per request at the edge) is measured separately.
The customer set fits the role's hourly quota, so the quota path is the "already counted" one
after the first read of each customer.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

from _common import backends, finish, fresh_installation, parser, summary, synthetic_rows
from argon2 import PasswordHasher

from piguard.access import AccessControl
from piguard.access.credentials import Passwords, totp_now
from piguard.access.decision import BOOTSTRAP_ROLE
from piguard.service import RequestContext, Service
from piguard.vault.model import Actor

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
            setup = RequestContext(Actor("bench", BOOTSTRAP_ROLE), "service", client="bench")
            ids = inst.service.import_rows(setup, "customer", ((i + 1, r) for i, r in enumerate(rows))).ids
            access = AccessControl(
                inst.db,
                inst.catalog,
                passwords=Passwords(PasswordHasher(1, 8, 1)),
                recorder=_Null(),
                secret_box=inst.keyring.secret_box("totp"),
                step_up_ttl=timedelta(days=1),
            )
            gate = Service(inst.vault, recorder=_Null(), access=access)
            boot = Actor("bench", BOOTSTRAP_ROLE)
            user = access.add_user(boot, "bench_cs", "customer_service")
            today = access.training.today()
            access.record_training(boot, "bench_cs", kind="agreement", course="NDA", completed_on=today)
            access.record_training(boot, "bench_cs", kind="course", course="PIPL", completed_on=today)
            login = access.login(
                "bench_cs", user["password"], totp_now(user["totp_secret"], access.clock.now())
            )
            actor = access.authenticate(login.token)
            ctx = RequestContext(actor, "service", client="bench")
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
                access.authenticate(login.token)
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
            f"p99 {gated['p99_us']} µs; overhead p50 {gated['p50_us'] - raw['p50_us']:.1f} µs; "
            f"authenticate p50 {auth['p50_us']} µs"
        )
    finish(figures)


if __name__ == "__main__":
    main()
