"""Minors' age bands: recorded on the vault's write, read by the gate, moved by the birthday job.

The band comes from :mod:`piguard.consent.age` (the one age rule); :class:`Minors` stores it
inside the caller's transaction when a birth date or resident ID is written (R-MIN-1),
answers "under 14" from what was stored, and runs the daily job that moves customers whose
14th or 18th birthday has come (R-MIN-4). Only the band and its review month are stored in clear
(the day is a keyed tag: the 14th birthday would give the birth date).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from piguard.consent import rules, tables
from piguard.consent import store as sql
from piguard.consent.age import AgeBand, age_from_values
from piguard.consent.context import LedgerContext
from piguard.consent.model import Marketing, Reevaluation
from piguard.consent.states import ConsentStates, fold

#: A vault transaction hook: called with the write's connection and the refs it wrote.
TxHook = Callable[[Connection, Sequence[Any]], None]


class Minors:
    """The recorded age bands of one tenant's customers and the birthday job over them."""

    def __init__(self, context: LedgerContext, states: ConsentStates) -> None:
        self.context = context
        self.states = states

    def is_under_14(self, customer_id: str) -> bool:
        """The one "under 14" rule of the installation (R-MIN-1): the age band the ledger recorded
        when the customer's birth date or resident ID was written, on today's date in China.
        Every process reads the same recorded band (the cache is coherent across processes), so
        the gate, the audit flags and the consent checks cannot disagree."""
        return rules.band_of(self.states.state(customer_id), self.context.today()) == "under14"

    def under_14_among(self, customer_ids: Iterable[str]) -> set[str]:
        """Which of ``customer_ids`` are under 14: those whose recorded band is ``under14`` (one
        query per 500 ids), each then decided by :meth:`is_under_14` (a band only moves up with
        time, so a customer recorded older is never under 14). For sweeps over many customers."""
        ids = list(dict.fromkeys(customer_ids))
        m = tables.minors.c
        candidates: set[str] = set()
        with self.context.db.read() as conn:
            for i in range(0, len(ids), 500):
                query = select(m.customer_id).where(
                    m.tenant == self.context.tenant, m.customer_id.in_(ids[i : i + 500]), m.band == "under14"
                )
                candidates.update(conn.execute(query).scalars())
        return {cid for cid in candidates if self.is_under_14(cid)}

    def band(self, customer_id: str) -> AgeBand | None:
        """The customer's recorded age band today (``under14``, ``minor``, ``adult``), ``None`` if
        no birth date was ever written (PIPL 31, Minors Regs 33: who may act for whom)."""
        return rules.band_of(self.states.state(customer_id), self.context.today())

    def note_age(
        self, conn: Connection, customer_id: str, values: Mapping[str, object], record_type: str = "customer"
    ) -> None:
        """Store the age band derived from ``values`` inside the caller's transaction (no birth date)."""
        ctx = self.context
        info = age_from_values(ctx.age_sources, values, ctx.today(), record_type)
        if info is None:
            return
        sql.put_age(conn, ctx.tenant, customer_id, info, ctx.now(), ctx.review_key)
        value = sql.bump_watermark(conn, ctx.tenant)
        # The commit is the caller's; dropping the entry now (and again is harmless) keeps
        # this process from serving the previous band once it has committed.
        ctx.cache.changed([customer_id], value)

    def age_hook(self, values: Mapping[str, object], record_type: str = "customer") -> TxHook:
        """A vault transaction hook that records the age band of the customers written.

        Compose it with the audit hook: ``vault.create(..., hook=both(audit, ledger.age_hook(values)))``.
        """

        def hook(conn: Connection, refs: Sequence[Any]) -> None:
            for ref in refs:
                self.note_age(conn, ref.customer_id, values, record_type)

        return hook

    def reevaluate_birthdays(self, today: date | None = None, *, batch: int = 1000) -> list[Reevaluation]:
        """The daily job (R-MIN-4): move customers whose 14th or 18th birthday has come.

        At 14 a guardian's consents stop counting for consent-based purposes (the
        result lists them: ask the customer); at 18 the rules for minors stop applying.
        Idempotent: running it twice on the same day finds nothing the second time.
        """
        ctx = self.context
        day = today or ctx.today()
        results: list[Reevaluation] = []
        after = None
        while True:
            with ctx.db.transaction() as conn:
                due, after = sql.due_reviews(conn, ctx.tenant, day, batch, ctx.review_key, after)
                for customer_id, info in due:
                    new = info.advanced(day)
                    sql.put_age(conn, ctx.tenant, customer_id, new, ctx.now(), ctx.review_key)
                    orphaned = (
                        self._orphaned(conn, customer_id)
                        if info.band == "under14" and new.band != "under14"
                        else ()
                    )
                    results.append(
                        Reevaluation(
                            customer_id,
                            info.band,
                            new.band,
                            info.next_review or day,
                            new.next_review,
                            orphaned,
                        )
                    )
                if due:
                    value = sql.bump_watermark(conn, ctx.tenant)
            if due:
                ctx.cache.changed(None, value)
            if after is None:
                return results

    def _orphaned(self, conn: Connection, customer_id: str) -> tuple[str, ...]:
        """The consent-based purposes a guardian consented to for a child who has just turned 14:
        the guardian's consent no longer counts for them (PIPL 31), so the customer must be asked."""
        records = sql.customer_records(conn, self.context.tenant, customer_id)
        if not records:
            return ()
        state = fold(customer_id, records, Marketing(), None)
        purposes = self.context.catalog.purposes
        return tuple(
            sorted(
                p
                for (k, p), g in state.active.items()
                if k == "general" and g.by_guardian and rules.rests_on_consent(purposes[p])
            )
        )
