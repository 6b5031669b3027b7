"""Compliance report over N customers vs the readings it is made of, in the same run.

The report runs every live check (audit verification, retention plan, rights, notices, training,
the consent ledger's age bands and per-purpose counts...), assembles all 66 requirements, renders
zh/en HTML, signs a manifest and keeps the files. Baseline: the two readings that grow with the
data, run directly (``Trail.verify`` and ``Lifecycle.plan``), once each. The PDFs (WeasyPrint) are
timed on their own.
"""

from __future__ import annotations

import time
from typing import Any

from _common import CTX, backends, finish, fresh_installation, parser, staff_context, synthetic_rows

from piguard.compliance import Compliance
from piguard.gate.trail import Trail
from piguard.lifecycle import Lifecycle


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    n = 2_000 if args.quick else 20_000
    rows = synthetic_rows(n)
    figures: dict[str, Any] = {"bench": "compliance", "customers": n}
    for backend in backends(args.backend):
        with fresh_installation(backend, expected=n) as inst:
            inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows)))
            auditor = staff_context(inst, "auditor", "")
            start = time.perf_counter()
            inst.capability(Trail).verify(auditor)
            inst.capability(Lifecycle).plan(auditor)
            base_s = time.perf_counter() - start
            compliance = inst.capability(Compliance)
            start = time.perf_counter()
            done = compliance.report(auditor, formats=("json", "html"))
            report_s = time.perf_counter() - start
            start = time.perf_counter()
            compliance.report(auditor, formats=("pdf",))
            pdf_s = time.perf_counter() - start
            assert len(done["requirements"]) == 66
        figures[backend] = {
            "report_s": round(report_s, 2),
            "readings_s": round(base_s, 2),
            "ratio": round(report_s / base_s, 2),
            "report_with_pdfs_s": round(pdf_s, 2),
        }
        print(
            f"{backend}: report (json+html, 66 requirements) {report_s:.2f} s; verify+plan alone "
            f"{base_s:.2f} s; ratio {report_s / base_s:.2f}x; report with zh/en PDFs {pdf_s:.2f} s"
        )
    finish(figures)


if __name__ == "__main__":
    main()
