"""A customer's consent state: replayed from the ledger, cached, and what the gate checks against.

:func:`fold` replays a customer's records into the consents in force; :class:`ConsentStates`
serves that state through the coherent cache and answers the gate's read and write checks,
the re-ask limit after a refusal (R-COL-7) and the deletion hand-off the retention job reads.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from piguard.calendar import local_date
from piguard.consent import rules
from piguard.consent import store as sql
from piguard.consent.age import AgeBand, AgeInfo, age_from_values
from piguard.consent.context import LedgerContext
from piguard.consent.model import (
    ActiveConsent,
    ConsentAction,
    ConsentKind,
    ConsentRecord,
    ConsentState,
    DeletionMark,
    Marketing,
)
from piguard.consent.notices import NoticeBoard


class ConsentStates:
    """The consent states of one tenant's customers and the checks made against them."""

    def __init__(self, context: LedgerContext, notices: NoticeBoard) -> None:
        self.context = context
        # Material notice changes are part of every check's moment (R-COL-5).
        self.notices = notices

    # ------------------------------------------------------------------ reading

    def state(self, customer_id: str) -> ConsentState:
        """The customer's consents, refusals, marketing preferences and age band.

        :raises StorageError: the database failed (callers must then refuse, not allow).
        """
        cache = self.context.cache
        cache.sync()
        cached = cache.get(customer_id)
        if cached is not None:
            return cached
        generation = cache.generation
        state = self.load_state(customer_id)
        cache.put(customer_id, state, generation)
        return state

    def load_state(self, customer_id: str) -> ConsentState:
        """:meth:`state` straight from the database, bypassing the cache."""
        ctx = self.context
        with ctx.db.read() as conn:
            records = sql.customer_records(conn, ctx.tenant, customer_id)
            pref = sql.latest_marketing(conn, ctx.tenant, customer_id)
            age = sql.age_of(conn, ctx.tenant, customer_id, ctx.review_key)
        return fold(customer_id, records, pref, age)

    def history(self, customer_id: str) -> list[ConsentRecord]:
        """Every ledger record of the customer, oldest first."""
        with self.context.db.read() as conn:
            return sql.customer_records(conn, self.context.tenant, customer_id)

    def deletion_queue(
        self, customer_id: str | None = None, status: str | None = "marked"
    ) -> list[DeletionMark]:
        """Fields marked for deletion (the retention job's input), oldest first."""
        with self.context.db.read() as conn:
            return sql.deletions(conn, self.context.tenant, customer_id, status)

    # ------------------------------------------------------------------ refusals (R-COL-7)

    def may_ask(self, customer_id: str, purpose: str) -> bool:
        """Whether the customer may be asked for consent to ``purpose`` now (R-COL-7)."""
        return self.next_ask(customer_id, purpose) is None

    def next_ask(self, customer_id: str, purpose: str) -> datetime | None:
        """When the customer may next be asked, or ``None`` if now."""
        refused = self.state(customer_id).refused.get(purpose)
        if refused is None:
            return None
        allowed = refused + self.context.reask_after
        return allowed if self.context.now() < allowed else None

    # ------------------------------------------------------------------ the gate

    def moment(self) -> rules.Moment:
        """Now, today in China and the material changes: what every rule is judged at."""
        now = self.context.now()
        return rules.Moment(now, local_date(now), self.notices.material())

    def check_read(
        self,
        customer_id: str,
        purpose: str,
        *,
        record_type: str = "customer",
        fields: Collection[str] | None = None,
    ) -> None:
        """Refuse a read for ``purpose`` that has no live basis for this customer.

        Pass ``fields`` to also check sensitive fields and the non-personalised option.

        :raises ConsentRequired: naming the purpose (and field) and the missing basis.
        :raises ValidationError: unknown purpose, record type or field.
        """
        rules.check_read(
            self.context.catalog,
            self.state(customer_id),
            purpose,
            self.moment(),
            record_type=record_type,
            fields=fields,
        )

    def check_write(
        self,
        customer_id: str | None,
        purpose: str,
        fields: Collection[str],
        values: Mapping[str, str],
        *,
        record_type: str = "customer",
    ) -> None:
        """Refuse a write the purpose and the customer's consents do not cover.

        :param customer_id: ``None`` for a customer being created.
        :param values: the (normalised) values; only the birth-date and guardian fields
            are looked at, to tell a child's record (R-MIN-1). Nothing is stored here: pass
            :meth:`piguard.consent.minors.Minors.age_hook` to the vault write to record the age band.
        :raises ValidationError: a field the purpose does not need (R-COL-3), naming it.
        :raises ConsentRequired: a missing basis, naming the purpose, the field and the requirement.
        """
        ctx = self.context
        moment = self.moment()
        state = self.state(customer_id) if customer_id else ConsentState("")
        derived = age_from_values(ctx.age_sources, values, moment.today, record_type)
        band: AgeBand | None = derived.band if derived else rules.band_of(state, moment.today)
        record_fields = self._record_fields(record_type)
        guardian_fields = ctx.age_sources.guardian_fields
        rules.check_write(
            ctx.catalog,
            state,
            purpose,
            record_type,
            fields,
            moment,
            band=band,
            guardian_in_values=rules.guardian_given(values, guardian_fields, record_fields),
            new_customer=customer_id is None,
            guardian_recorded_here=any(f in record_fields for f in guardian_fields),
        )

    def _record_fields(self, record_type: str) -> Collection[str]:
        record = self.context.catalog.record_types.get(record_type)
        return record.fields.keys() if record is not None else ()


def fold(
    customer_id: str, records: Iterable[ConsentRecord], pref: Marketing, age: AgeInfo | None
) -> ConsentState:
    """Replay a customer's ledger into the consents in force: a later record for the same
    ``(kind, purpose)`` replaces an earlier one; a withdrawal removes it."""
    active: dict[tuple[ConsentKind, str], ActiveConsent] = {}
    refused: dict[str, datetime] = {}
    has_guardian = False
    for record in records:
        action: ConsentAction = record.action
        for purpose in record.purposes:
            key = (record.kind, purpose)
            if action == "grant":
                active[key] = ActiveConsent(
                    record.id,
                    record.notice_version,
                    record.given_at,
                    record.guardian is not None,
                    record.recipient,
                )
                refused.pop(purpose, None)
                has_guardian = has_guardian or record.guardian is not None
            elif action == "withdraw":
                active.pop(key, None)
            else:
                refused[purpose] = record.recorded_at
    return ConsentState(customer_id, active, refused, pref, age, has_guardian)
