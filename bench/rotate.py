"""KEK rotation: re-wrap every customer's data key, vs a plain rewrite of the same key rows.

Baseline: UPDATE of the same number of key-store rows with unchanged bytes (no crypto), same backend.
"""

from __future__ import annotations

import time
from typing import Any

from _common import CTX, backends, finish, fresh_installation, parser, synthetic_rows
from sqlalchemy import text


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    n = 20_000 if args.quick else 200_000
    rows = synthetic_rows(n)
    figures: dict[str, Any] = {"bench": "rotate", "customers": n}
    for backend in backends(args.backend):
        with fresh_installation(backend, expected=n) as inst:
            inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows)))
            start = time.perf_counter()
            result = inst.gate.rotate_keys(CTX)
            rotate_s = time.perf_counter() - start
            assert result["rewrapped"] == n
            engine = inst.keys.engine
            schema = getattr(inst.keys, "schema", None)
            table = f"{schema}.data_keys" if schema else "data_keys"
            start = time.perf_counter()
            with engine.begin() as conn:
                keys = conn.execute(text(f"select tenant, customer_id, wrapped from {table}")).all()
            for i in range(0, len(keys), 5000):
                with engine.begin() as conn:
                    conn.execute(
                        text(f"update {table} set wrapped = :w where tenant = :t and customer_id = :c"),
                        [{"w": k.wrapped, "t": k.tenant, "c": k.customer_id} for k in keys[i : i + 5000]],
                    )
            base_s = time.perf_counter() - start
        figures[backend] = {
            "rewrap_per_s": round(n / rotate_s),
            "plain_rewrite_per_s": round(n / base_s),
            "ratio": round(rotate_s / base_s, 2),
        }
        print(
            f"{backend}: rotation {n / rotate_s:,.0f} customers/s; plain rewrite {n / base_s:,.0f} rows/s; "
            f"ratio {rotate_s / base_s:.2f}x"
        )
    finish(figures)


if __name__ == "__main__":
    main()
