"""The sharing capability's rule over every access: sensitive PI is processed for a purpose only
with a current impact assessment (PIPIA) of that purpose on file (PIPL 55(1), R-AUD-3).

Opt-in (``sensitive_needs_pipia`` in ``piguard.json``): an installation records the PIPIA of each
purpose that reaches sensitive fields (``piguard assessments add --purpose P``, the console's
sharing page), then turns it on; from then on an operation that names a sensitive field under a
purpose without one is refused with that reason, whoever asks and whichever capability runs it.
The built-in purposes that answer the customer (their own access copy, a rights request) are
not processing of their own and are never refused. The assessment is read from the database on
every check (one query over a table of tens of rows), so every process and node enforces it the moment it is
recorded or expires.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import select

from piguard.catalog import Catalog
from piguard.catalog.vocabulary import BUILTIN_PURPOSES
from piguard.errors import AccessDenied
from piguard.gate.sdk import Operation, RecordRef, RequestContext, Storage
from piguard.sharing.tables import assessments

__all__ = ["SensitiveAssessment"]


class SensitiveAssessment:
    """Refuses an operation on sensitive fields for a purpose without a current PIPIA."""

    name = "sensitive_pipia"

    def __init__(self, db: Storage, catalog: Catalog, tenant: str, today: Callable[[], date]) -> None:
        self._db, self._catalog, self._tenant, self._today = db, catalog, tenant, today
        self._sensitive = {
            rt: frozenset(name for name, f in record.fields.items() if f.sensitive)
            for rt, record in catalog.record_types.items()
        }

    def applies(self, op: Operation) -> bool:
        return op.purpose and op.subject != "none"

    def check(self, ctx: RequestContext, op: Operation, ref: RecordRef, fields: Sequence[str]) -> None:
        purpose = ctx.purpose
        if not purpose or purpose in BUILTIN_PURPOSES:
            return
        touched = sorted(self._sensitive.get(ref.record_type, frozenset()).intersection(fields))
        if not touched:
            return
        today = self._today()
        a = assessments.c
        with self._db.read() as conn:
            current = conn.execute(
                select(a.id)
                .where(
                    a.tenant == self._tenant,
                    a.purpose == purpose,
                    a.conclusion != "not_acceptable",
                    a.assessed_on <= today,
                    a.valid_until >= today,
                )
                .limit(1)
            ).first()
        if current is None:
            raise AccessDenied(
                f"no current impact assessment (PIPIA) on file for purpose '{purpose}', which processes "
                f"sensitive personal information ({', '.join(f'{ref.record_type}.{f}' for f in touched)}): "
                "record one before processing it (PIPL 55(1), R-AUD-3)",
                "R-AUD-3",
            )
