"""Exports under a single-use export grant (R-USE-3), masked (R-USE-4), one operation per row.

Part of the records capability (:mod:`piguard.gate.records`); each row is its own
``export_row`` operation, so a row the caller may not process is refused and recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from piguard.catalog import Field
from piguard.errors import AccessDenied, NotFound, QuotaExceeded
from piguard.gate.context import FieldView, RequestContext
from piguard.gate.decide import masked, show
from piguard.gate.record_operations import EXPORT, EXPORT_ROW
from piguard.vault.model import RecordRef

if TYPE_CHECKING:
    from piguard.gate.call import Call
    from piguard.gate.records import Records


class Exports:
    """The export operations of one :class:`Records`."""

    def __init__(self, records: Records) -> None:
        self.records = records

    def export(
        self,
        ctx: RequestContext,
        record_type: str,
        record_ids: Sequence[str],
        *,
        grant_id: str,
        fields: Sequence[str] | None = None,
    ) -> list[dict[str, FieldView]]:
        """:meth:`export_pairs` without the record ids."""
        return [
            row
            for _, row in self.export_pairs(ctx, record_type, record_ids, grant_id=grant_id, fields=fields)
        ]

    def export_pairs(
        self,
        ctx: RequestContext,
        record_type: str,
        record_ids: Sequence[str],
        *,
        grant_id: str,
        fields: Sequence[str] | None = None,
    ) -> list[tuple[str, dict[str, FieldView]]]:
        """Export records under an approved, unused export grant (R-USE-3); values masked (R-USE-4).

        The grant names the record type, purpose, fields and most rows; it is used up by this call.
        Fields of classes that do not allow export are left out. Each row is its own ``export_row``
        operation: a row outside the caller's scope or without consent is refused and recorded,
        never skipped silently.

        :raises AccessDenied: no export permission, the grant is not the actor's, not approved, expired,
            or for another record type or purpose.
        :raises QuotaExceeded: more rows than the grant or the role allows.
        """
        fdefs = self.records.fields_of(record_type, fields)
        grants = self.records.gate.access.grants

        def handler(call: Call) -> list[tuple[str, dict[str, FieldView]]]:
            actor = ctx.actor
            try:
                grant = grants.get(grant_id)
            except NotFound:
                raise AccessDenied("no such export grant", "export") from None
            now = self.records.gate.clock.now()
            if grant.kind != "export" or grant.requester_id != actor.id:
                raise AccessDenied("this grant is not an export grant of yours", "export")
            if grant.record_type != record_type or grant.purpose != ctx.purpose:
                raise AccessDenied("the grant is for another record type or purpose", "export")
            if grant.state(now) != "approved":
                raise AccessDenied(f"the export grant is {grant.state(now)}", "export")
            limit = min(
                x
                for x in (
                    grant.max_rows,
                    self.records.gate.access.quotas.max_export_rows(actor),
                    len(record_ids),
                )
                if x is not None
            )
            if len(record_ids) > limit:
                raise QuotaExceeded(
                    f"export of {len(record_ids)} rows exceeds the limit of {limit} (R-USE-3)",
                    f"roles.{actor.role}.quotas.max_export_rows",
                )
            allowed = {
                n: f
                for n, f in fdefs.items()
                if self.records.catalog.classes[f.cls].export_allowed and grant.covers(record_type, n)
            }
            with self.records.gate.db.transaction() as conn:
                if not grants.mark_used(grant.id, conn):
                    raise AccessDenied("the export grant was already used", "export")
            out: list[tuple[str, dict[str, FieldView]]] = []
            for rid in record_ids:
                try:
                    out.append((rid, self._export_row(ctx, record_type, rid, allowed, grant.id)))
                except (AccessDenied, NotFound):
                    continue  # recorded by the row's own operation
            # ``records``: rows exported; ``rows``: rows asked for (the export-spike rule counts these).
            call.note(grant=grant.id, rows=len(record_ids), records=len(out))
            return out

        return self.records.gate.run(ctx, EXPORT, handler, record_type=record_type, fields=list(fdefs))

    def _export_row(
        self, ctx: RequestContext, record_type: str, record_id: str, allowed: Mapping[str, Field], grant: str
    ) -> dict[str, FieldView]:
        def handler(call: Call) -> dict[str, FieldView]:
            ref = call.ref or RecordRef("", record_type, record_id)
            decisions = {
                n: (
                    masked(allowed[n], d.rule + "; exports are masked (R-USE-4)") if d.level == "clear" else d
                )
                for n, d in self.records.gate.decider.decide(ctx, ref, allowed).items()
            }
            readable = [n for n, d in decisions.items() if d.level != "deny"]
            values = self.records.vault.read(record_type, record_id, readable).values if readable else {}
            call.touch(readable, record_type)
            call.note(grant=grant)
            return {n: FieldView(show(d, values.get(n)), d.level, d.rule) for n, d in decisions.items()}

        # The guards check the customer's consent to the purpose itself; fields a class keeps from
        # export were already left out.
        return self.records.gate.run(ctx, EXPORT_ROW, handler, subject=RecordRef("", record_type, record_id))
