"""Purpose, legal basis and consent: collection that refuses what it may not take.

- :class:`ConsentLedger` records consents (immutable, R-COL-2), separate consents as
  distinct records (R-COL-4), withdrawals in one call with a deletion hand-off
  (R-COL-6), refusals with a re-ask limit (R-COL-7), marketing preferences (R-COL-9),
  privacy notices with material changes (R-COL-5, R-COL-8) and minors' age bands with
  the birthday job (R-MIN-1, R-MIN-4).
- :meth:`ConsentLedger.check_read` / :meth:`ConsentLedger.check_write` are what the gate's
  guards and write path call; the rules themselves live in :mod:`piguard.consent.rules`.
- :mod:`piguard.consent.capability` mounts consent on the gate: every consent operation is
  declared, authorised, scoped and recorded, its ledger write committing with its entry.
- :mod:`piguard.consent.importing` reads consent evidence from import rows.

**Invariant:** nothing here stores customer PI in clear: customers are ids, guardians
keyed digests, ages a band and a review date.

**Boundary:** a capability package: imports only :mod:`piguard.gate.sdk` of the core, and
leaves (catalog, errors, clock, calendar, validate); never the vault, the store, the audit
log or any crypto (``tests/test_architecture.py``).
"""

from __future__ import annotations

from piguard.consent.age import AgeBand, AgeInfo, minor_status
from piguard.consent.identity import identity_key_from
from piguard.consent.importing import check_import_row, evidence_from_row, filter_import_rows
from piguard.consent.ledger import AgeSources, ConsentLedger
from piguard.consent.model import (
    CONSENT_KINDS,
    ConsentEvidence,
    ConsentKind,
    ConsentRecord,
    ConsentState,
    DeletionMark,
    Guardian,
    Marketing,
    Notice,
    Reevaluation,
    WithdrawResult,
)
from piguard.consent.notices import shipped_notice

__all__ = [
    "CONSENT_KINDS",
    "AgeBand",
    "AgeInfo",
    "AgeSources",
    "ConsentEvidence",
    "ConsentKind",
    "ConsentLedger",
    "ConsentRecord",
    "ConsentState",
    "DeletionMark",
    "Guardian",
    "Marketing",
    "Notice",
    "Reevaluation",
    "WithdrawResult",
    "check_import_row",
    "evidence_from_row",
    "filter_import_rows",
    "identity_key_from",
    "minor_status",
    "shipped_notice",
]
