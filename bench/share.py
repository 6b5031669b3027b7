"""Sharing: share N customers' 5 fields (pseudonymised and generalised) with a partner under an
agreement, against a gated bulk read of the same records and fields in the same run; then an
anonymised extract with k = 5 over N rows and 3 quasi-identifiers (seconds, suppression rate).

Each customer of the share is its own gate operation (guards, consent, decisions, audit entry),
then desensitised by the agreement's rules (the entries appended in batches, the last with the
transfer log; the same share with one entry transaction per row is measured too, as the batching's
baseline); the baseline reads the same fields of the same customers
through ``Gate.read`` (one gated operation each, no desensitisation, no log). A read is also charged
to the hourly distinct-customer quota (one more transaction per new customer: the request's customers
looked up, the window counted on its index); a share row is not (shares, like exports, are bounded
by their agreement and approval).
The extract reads gender, birth date and membership level for ``analytics``, generalising birth date
(and, if needed, the others) until every class holds at least 5 rows.
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
    args = parser(__doc__ or "", customers=True).parse_args()
    n = args.customers or (2_000 if args.quick else 100_000)
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
            # The approval a large share needs (R-USE-3) is not what is measured: one share of n.
            sharing.large_share = n
            start = time.perf_counter()
            shared = sharing.share(sharer, agreement.id, fields=FIELDS, customers=ids)
            share_s = time.perf_counter() - start
            assert shared.persons == n, shared.left_out
            # The same share with each row's entry in a write transaction of its own (what the
            # share did before ``Gate.deferring`` batched them): the batching's own baseline.
            batch, inst.gate.deferred_batch = inst.gate.deferred_batch, 1
            start = time.perf_counter()
            sharing.share(sharer, agreement.id, fields=FIELDS, customers=ids)
            unbatched_s = time.perf_counter() - start
            inst.gate.deferred_batch = batch
            reader = RequestContext(sharer.actor, "partner_provision", client="bench")
            # The baseline: ``Gate.read`` per customer. Unlike ``share_row`` it is charged to the
            # hourly distinct-customer quota: one more transaction per new customer.
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
            "gated_read_s": round(read_s, 2),
            "gated_read_per_s": round(n / read_s),
            "ratio": round(share_s / read_s, 2),
            "share_entry_per_row_s": round(unbatched_s, 2),
            "batching_speedup": round(unbatched_s / share_s, 2),
            "extract_s": round(extract_s, 2),
            "extract_k": extract.k,
            "extract_suppression_rate": round(extract.suppressed / n, 4),
        }
        print(
            f"{backend}: share {n / share_s:,.0f} customers/s ({share_s:.1f} s); gated read "
            f"{n / read_s:,.0f}/s ({read_s:.1f} s); ratio {share_s / read_s:.2f}x; one entry "
            f"transaction a row {n / unbatched_s:,.0f}/s ({unbatched_s:.1f} s, batching "
            f"{unbatched_s / share_s:.2f}x); extract k={extract.k} "
            f"in {extract_s:.1f} s, suppression {extract.suppressed / n:.2%}"
        )
    finish(figures)


if __name__ == "__main__":
    main()
