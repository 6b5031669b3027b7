"""Sharing: share N customers' 5 fields (pseudonymised and generalised) with a partner under an
agreement, against a gated bulk read of the same records and fields in the same run; then an
anonymised extract with k = 5 over N rows and 3 quasi-identifiers (seconds, suppression rate).

Each customer of the share is its own gate operation (guards, consent, decisions, audit entry),
then desensitised by the agreement's rules. The baseline is the gated bulk export of the same fields
of the same customers under an approved grant (``Gate.export``: one ``export_row`` operation each,
masked, no log). ``Gate.read`` per customer is measured too: it is slower than both because a read
also charges the hourly distinct-customer quota (one more transaction per new customer, which counts
the principal's window, so it grows with the customers already read), while exports and shares are
bounded by their approval instead. The extract reads
gender, birth date and membership level for ``analytics``, generalising birth date (and, if needed,
the others) until every class holds at least 5 rows.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

from _common import CTX, backends, finish, fresh_installation, parser, staff_context, synthetic_rows

from piguard.consent import shipped_notice
from piguard.consent.capability import Consent
from piguard.gate import RequestContext
from piguard.sharing import Sharing

FIELDS = ["name", "mobile", "birth_date", "address", "gender"]
RULES: dict[str, Any] = {
    "name": "mask",
    "mobile": "pseudonymise",
    "birth_date": {"rule": "generalise", "params": {"to": "age_band", "width": 10}},
    "address": {"rule": "generalise", "params": {"to": "city"}},
    "gender": "pseudonymise",
}
LEVELS = ("standard", "silver", "gold", "platinum")


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    n = 2_000 if args.quick else 100_000
    rng = random.Random(11)
    rows = [dict(r, membership_level=rng.choice(LEVELS)) for r in synthetic_rows(n)]
    for r in rows:
        r.pop("bank_card")
    figures: dict[str, Any] = {"bench": "share", "customers": n, "fields": len(FIELDS)}
    for backend in backends(args.backend):
        with fresh_installation(backend, expected=n) as inst:
            inst.gate.import_rows(CTX, "customer", ((i + 1, r) for i, r in enumerate(rows)))
            ids = list(inst.gate.customer_ids())
            setup = RequestContext(CTX.actor, "", client="bench")
            consent = inst.capability(Consent)
            _, zh, en = shipped_notice("privacy")
            consent.publish_notice(setup, zh, en, title="Privacy notice")
            for cid in ids:
                consent.grant(
                    setup,
                    cid,
                    ["partner_provision"],
                    channel="app",
                    kinds=["general", "provision"],
                    recipient="顺达物流有限公司",
                )
                consent.grant(setup, cid, ["analytics"], channel="app", kinds=["general"])
            officer = staff_context(inst, "officer", "")
            sharer = staff_context(inst, "sharing_officer", "")
            sharing = inst.capability(Sharing)
            today = inst.gate.today()
            partner = sharing.add_partner(
                officer,
                name="顺达物流有限公司",
                uscc_code="91110000600037341L",
                contact="dpo@shunda.example",
                country="CN",
                role="recipient",
                security_basis="ISO/IEC 27001",
                assessed_on=today,
                assessment_expires=today + timedelta(days=365),
                assessor="CNAS",
            )
            agreement = sharing.add_agreement(
                officer,
                partner_id=partner.id,
                type="provision",
                purpose="partner_provision",
                fields=RULES,
                method="SFTP",
                safeguards="encrypted",
                starts_on=today,
                ends_on=today + timedelta(days=365),
                document_sha256="ab" * 32,
            )
            sections = dict.fromkeys(
                (
                    "scope",
                    "data_flows",
                    "legality_necessity",
                    "impact_on_persons",
                    "security_measures",
                    "residual_risk",
                ),
                "bench",
            )
            sharing.add_assessment(
                officer,
                sections=sections,
                conclusion="acceptable",
                reviewer="DPO",
                assessed_on=today,
                valid_until=today + timedelta(days=365),
                agreement_id=agreement.id,
            )
            # A share of more than 1,000 customers needs an approved export grant (R-USE-3).
            approval = inst.access.grants.request(
                sharer.actor,
                kind="export",
                record_type="customer",
                purpose="partner_provision",
                max_rows=n,
                reason="bench share",
                fields=None,
            )
            inst.access.grants.decide(officer.actor, approval.id, approve=True)
            start = time.perf_counter()
            shared = sharing.share(sharer, agreement.id, fields=FIELDS, customers=ids, grant_id=approval.id)
            share_s = time.perf_counter() - start
            assert shared.persons == n, shared.left_out
            reader = RequestContext(sharer.actor, "partner_provision", client="bench")
            # The like-for-like baseline: a gated bulk export of the same fields of the same
            # customers under an approved export grant (each row its own ``export_row`` operation,
            # like ``share_row``; neither is charged to the hourly customer quota).
            grant = inst.access.grants.request(
                sharer.actor,
                kind="export",
                record_type="customer",
                purpose="partner_provision",
                max_rows=n,
                reason="bench baseline",
                fields=None,
            )
            inst.access.grants.decide(officer.actor, grant.id, approve=True)
            start = time.perf_counter()
            exported = inst.gate.export(reader, "customer", ids, grant_id=grant.id, fields=FIELDS)
            export_s = time.perf_counter() - start
            assert len(exported) == n
            # The single-customer path: ``Gate.read`` per customer, which also charges the hourly
            # distinct-customer quota (one more transaction per new customer, counting the window).
            start = time.perf_counter()
            for cid in ids:
                inst.gate.read(reader, "customer", cid, FIELDS)
            read_s = time.perf_counter() - start
            analyst = RequestContext(sharer.actor, "analytics", client="bench")
            start = time.perf_counter()
            extract = sharing.extract(
                analyst,
                fields=["gender", "birth_date", "membership_level"],
                quasi=["gender", "birth_date", "membership_level"],
                k=5,
                customers=ids,
            )
            extract_s = time.perf_counter() - start
        figures[backend] = {
            "share_s": round(share_s, 2),
            "share_customers_per_s": round(n / share_s),
            "gated_export_s": round(export_s, 2),
            "gated_export_per_s": round(n / export_s),
            "ratio": round(share_s / export_s, 2),
            "gated_read_s": round(read_s, 2),
            "gated_read_per_s": round(n / read_s),
            "ratio_vs_read": round(share_s / read_s, 2),
            "extract_s": round(extract_s, 2),
            "extract_k": extract.k,
            "extract_suppression_rate": round(extract.suppressed / n, 4),
        }
        print(
            f"{backend}: share {n / share_s:,.0f} customers/s ({share_s:.1f} s); gated export "
            f"{n / export_s:,.0f}/s ({export_s:.1f} s); ratio {share_s / export_s:.2f}x; per-customer "
            f"Gate.read {n / read_s:,.0f}/s ({read_s:.1f} s), ratio {share_s / read_s:.2f}x; "
            f"extract k={extract.k} in {extract_s:.1f} s, suppression {extract.suppressed / n:.2%}"
        )
    finish(figures)


if __name__ == "__main__":
    main()
