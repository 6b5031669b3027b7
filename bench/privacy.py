"""Privacy-centre sign-in: is a known identifier's answer in the same timing class as an unknown one's?

Each sample is one :meth:`piguard.privacy.Privacy.start` through the gate (the lookup by blind index
as the sign-in principal, the rate-limit counters, the challenge row, and for a known identifier the
sealed message queued in the outbox). The baseline is the same call for identifiers on no record,
interleaved in the same run (known, unknown, known, ...), each identifier used once so no rate limit
applies. The ratio known/unknown is what an attacker timing the sign-in could exploit; the outbox's
message is the only extra work a known identifier costs. Then the same through the web edge
(``POST /privacy/sign-in``, in process), whose answer floor (``ANSWER_FLOOR_MS``) hides that
difference: there the ratio should be 1.0. ``--quick``: 2,000 customers, 200 samples each (50 at the edge).
"""

from __future__ import annotations

import re
import time
import warnings

from _common import CTX, backends, finish, fresh_installation, parser, summary, synthetic_rows

from piguard.catalog.vocabulary import SIGN_IN_ROLE
from piguard.gate.principals import system_context
from piguard.privacy import Privacy
from piguard.server import create_server

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    customers, samples = (2_000, 200) if args.quick else (20_000, 1_000)
    figures: dict[str, object] = {"customers": customers, "samples": samples}
    for backend in backends(args.backend):
        with fresh_installation(backend, expected=customers) as inst:
            rows = synthetic_rows(customers)
            inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows)))
            privacy = inst.capability(Privacy)
            ctx = system_context("privacy", SIGN_IN_ROLE)
            known, unknown = [], []
            for i in range(samples):
                for identifier, out in ((rows[i]["mobile"], known), (f"159{i:08d}", unknown)):
                    began = time.perf_counter()
                    privacy.start(ctx, identifier)
                    out.append(time.perf_counter() - began)
            k, u = summary(known), summary(unknown)
            edge_known, edge_unknown = [], []
            client = TestClient(create_server(inst))
            page = client.get("/privacy/").text
            token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for i in range(samples // 4):
                for identifier, out in (
                    (rows[samples + i]["mobile"], edge_known),
                    (f"158{i:08d}", edge_unknown),
                ):
                    began = time.perf_counter()
                    client.post(
                        "/privacy/sign-in",
                        data={"csrf": token, "identifier": identifier},
                        follow_redirects=False,
                    )
                    out.append(time.perf_counter() - began)
            ek, eu = summary(edge_known), summary(edge_unknown)
            figures[backend] = {
                "known": k,
                "unknown (baseline)": u,
                "ratio_p50": round(k["p50_us"] / u["p50_us"], 2),
                "edge_known": ek,
                "edge_unknown (baseline)": eu,
                "edge_ratio_p50": round(ek["p50_us"] / eu["p50_us"], 2),
                "edge_ratio_p99": round(ek["p99_us"] / eu["p99_us"], 2),
            }
            print(backend, figures[backend])
    finish(figures)


if __name__ == "__main__":
    main()
