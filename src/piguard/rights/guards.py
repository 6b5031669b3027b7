"""The rights capability's rules over every access: a restriction holds (PIPL 44), and so does the
storage-only state (PIPL 47(2), R-DST-2).

A customer who restricted or objected to processing for a purpose is refused for that purpose
on every later operation that looks at or changes their data, whoever asks and whichever
capability runs it. A customer whose deletion a legal floor stopped is refused for every purpose
but the floors' own (and the built-in ancillary ones that answer the customer). Both are read from
the database on every check (two primary-key lookups on one connection), so every process and node
enforces them the moment they are recorded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import select

from piguard.catalog.vocabulary import BUILTIN_PURPOSES
from piguard.errors import AccessDenied
from piguard.gate.sdk import Operation, RecordRef, RequestContext, Storage
from piguard.rights.tables import restrictions, storage_only

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
        t, h = restrictions.c, storage_only.c
        restricted = (t.tenant == self._tenant, t.customer_id == ref.customer_id, t.purpose == ctx.purpose)
        kept = (h.tenant == self._tenant, h.customer_id == ref.customer_id)
        with self._db.read() as conn:
            # One statement for both (every gated read runs it; a round trip each on PostgreSQL).
            case, held_purposes, held_case = conn.execute(
                select(
                    select(t.case_id).where(*restricted).limit(1).scalar_subquery(),
                    select(h.purposes).where(*kept).limit(1).scalar_subquery(),
                    select(h.case_id).where(*kept).limit(1).scalar_subquery(),
                )
            ).one()
        if (
            held_purposes is not None
            and ctx.purpose not in BUILTIN_PURPOSES
            and ctx.purpose not in json.loads(held_purposes)
        ):
            raise AccessDenied(
                f"the customer's data is kept for storage and protection only (PIPL 47(2), request "
                f"{held_case}): purpose '{ctx.purpose}' is not one the law keeps it for",
                "rights.storage_only",
            )
        if case is not None:
            raise AccessDenied(
                f"the customer restricted processing for purpose '{ctx.purpose}' (PIPL 44, request {case})",
                "rights.restriction",
            )
