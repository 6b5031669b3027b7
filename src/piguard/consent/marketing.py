"""Marketing preferences (R-COL-9): opting out, or keeping marketing but not personalised.

:class:`MarketingPreferences` records a preference and, when the customer asks, hands
the profile tags (``preference`` fields of marketing purposes) to deletion in the same
transaction. The preference in force is part of the customer's consent state
(:class:`~piguard.consent.model.ConsentState`).
"""

from __future__ import annotations

from sqlalchemy import Connection

from piguard.consent import store as sql
from piguard.consent.context import LedgerContext, checked_text
from piguard.consent.model import Marketing
from piguard.gate.sdk import check_id


class MarketingPreferences:
    """The marketing preferences of one tenant's customers."""

    def __init__(self, context: LedgerContext) -> None:
        self.context = context

    def set(
        self,
        customer_id: str,
        opt_out: bool,
        personalised: bool,
        *,
        channel: str = "api",
        operator: str = "customer",
        delete_tags: bool = False,
        conn: Connection | None = None,
    ) -> Marketing:
        """Record marketing preferences (R-COL-9): opt out, or keep marketing but not personalised.

        :param delete_tags: also hand the customer's profile tags (``preference`` fields of
            marketing purposes) to deletion.
        """
        ctx = self.context
        check_id(customer_id, "customer_id")
        now = ctx.now()
        pref = Marketing(bool(opt_out), bool(personalised), now)
        with ctx.writing(conn) as tx:
            sql.insert_marketing(
                tx,
                ctx.tenant,
                customer_id,
                pref,
                checked_text(channel, "channel"),
                checked_text(operator, "operator", 128),
            )
            if delete_tags:
                for rt, fields in sorted(self.tag_fields().items()):
                    sql.insert_deletion(
                        tx,
                        ctx.tenant,
                        customer_id,
                        rt,
                        fields,
                        "customer deleted profile tags (R-COL-9)",
                        None,
                        now,
                    )
            value = sql.bump_watermark(tx, ctx.tenant)
        ctx.cache.changed([customer_id], value)
        return pref

    def tag_fields(self) -> dict[str, tuple[str, ...]]:
        """Per record type, the profile-tag fields: ``preference`` fields some marketing purpose uses."""
        catalog = self.context.catalog
        marketing = {n for n, p in catalog.purposes.items() if p.marketing}
        out: dict[str, tuple[str, ...]] = {}
        for rt, record in catalog.record_types.items():
            tags = tuple(
                n for n, f in record.fields.items() if f.category == "preference" and f.purposes & marketing
            )
            if tags:
                out[rt] = tags
        return out
