"""The rights capability's rule over every access: a restriction holds (PIPL 44).

A customer who restricted or objected to processing for a purpose is refused for that purpose
on every later operation that looks at or changes their data, whoever asks and whichever
capability runs it. Read from the database on every check (one indexed lookup), so every
process and node enforces a restriction the moment it is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from piguard.errors import AccessDenied
from piguard.gate.sdk import Operation, RecordRef, RequestContext, Storage
from piguard.rights.tables import restrictions

__all__ = ["Restriction"]


class Restriction:
    """Refuses an operation for a purpose the customer restricted."""

    name = "restriction"

    def __init__(self, db: Storage, tenant: str) -> None:
        self._db, self._tenant = db, tenant

    def applies(self, op: Operation) -> bool:
        return op.purpose and op.subject != "none"

    def check(self, ctx: RequestContext, op: Operation, ref: RecordRef, fields: Sequence[str]) -> None:
        if not ctx.purpose:
            return
        t = restrictions.c
        with self._db.read() as conn:
            case = conn.execute(
                select(t.case_id).where(
                    t.tenant == self._tenant, t.customer_id == ref.customer_id, t.purpose == ctx.purpose
                )
            ).scalar_one_or_none()
        if case is not None:
            raise AccessDenied(
                f"the customer restricted processing for purpose '{ctx.purpose}' (PIPL 44, request {case})",
                "rights.restriction",
            )
