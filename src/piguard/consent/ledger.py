"""The consent ledger: records consents, answers the gate, runs the birthday job.

One :class:`ConsentLedger` per installation (``inst.consent``). The gate calls
:meth:`ConsentLedger.check_read` before every read and :meth:`ConsentLedger.check_write`
before every write; the edges call :meth:`~ConsentLedger.grant`,
:meth:`~ConsentLedger.withdraw`, :meth:`~ConsentLedger.publish_notice` and
:meth:`~ConsentLedger.set_marketing`; a scheduler calls
:meth:`~ConsentLedger.reevaluate_birthdays` daily.

It is a facade: the work is done by its parts, which share one
:class:`~piguard.consent.context.LedgerContext` (settings, the coherent cache, time):

- :attr:`ConsentLedger.notice_board` – privacy and children's notices (:mod:`~piguard.consent.notices`);
- :attr:`ConsentLedger.states` – consent states, the gate's checks, refusals' re-ask limit and
  the deletion hand-off (:mod:`~piguard.consent.states`);
- :attr:`ConsentLedger.records` – grants, refusals, withdrawals (:mod:`~piguard.consent.records`);
- :attr:`ConsentLedger.minors` – recorded age bands and the birthday job (:mod:`~piguard.consent.minors`);
- :attr:`ConsentLedger.marketing` – marketing preferences (:mod:`~piguard.consent.marketing`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from piguard.catalog import Catalog
from piguard.clock import Clock, SystemClock
from piguard.consent import identity, rules
from piguard.consent.age import AgeBand, AgeInfo, AgeSources, age_from_values
from piguard.consent.age import minor_status as _minor_status
from piguard.consent.cache import CoherentCache
from piguard.consent.context import DEFAULT_REASK_AFTER, LedgerContext
from piguard.consent.importing import filter_import_rows
from piguard.consent.marketing import MarketingPreferences
from piguard.consent.minors import Minors, TxHook
from piguard.consent.model import (
    ConsentKind,
    ConsentRecord,
    ConsentState,
    DeletionMark,
    Guardian,
    GuardianRelation,
    Marketing,
    Notice,
    NoticeKind,
    Reevaluation,
    WithdrawResult,
)
from piguard.consent.notices import NoticeBoard
from piguard.consent.records import ConsentRecords
from piguard.consent.states import ConsentStates, fold
from piguard.consent.store import review_key_from
from piguard.errors import ValidationError
from piguard.facade import Forward
from piguard.gate.sdk import Storage as Database


class ConsentLedger:
    """Consents, notices, marketing preferences and minors' state of one tenant.

    :param db: the data database (migrated: the tables come from ``data_0004``).
    :param catalog: purposes, legal bases, fields.
    :param clock: injectable time; material changes and birthdays follow it.
    :param identity_key: key of guardian identity references
        (:func:`piguard.consent.identity.identity_key_from`); without it guardians can be
        given only as ready-made references.
    :param reask_after: how long after a refusal the customer may not be asked again.
    :param revalidate_interval: see :mod:`piguard.consent.cache`; 0 = exact across processes.
    """

    # Settings live on the shared context; reading or assigning them here reaches every part.
    db = Forward[Database]("context")
    catalog = Forward[Catalog]("context")
    clock = Forward[Clock]("context")
    tenant = Forward[str]("context")
    reask_after = Forward[timedelta]("context")
    age_sources = Forward[AgeSources]("context")

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        *,
        clock: Clock | None = None,
        tenant: str = "default",
        identity_key: bytes | None = None,
        reask_after: timedelta = DEFAULT_REASK_AFTER,
        revalidate_interval: float = 0.0,
        age_sources: AgeSources | None = None,
    ) -> None:
        self.context = LedgerContext(
            db,
            catalog,
            clock=clock or SystemClock(),
            tenant=tenant,
            reask_after=reask_after,
            revalidate_interval=revalidate_interval,
            age_sources=age_sources or AgeSources(),
            # The 14th birthday gives the birth date: with a key only its month is stored in clear.
            review_key=review_key_from(identity_key) if identity_key else None,
        )
        self._identity_key = identity_key
        self._cache: CoherentCache[ConsentState] = self.context.cache
        self.notice_board = NoticeBoard(self.context)
        self.states = ConsentStates(self.context, self.notice_board)
        self.records = ConsentRecords(self.context, self.notice_board, self.states)
        self.minors = Minors(self.context, self.states)
        self.marketing = MarketingPreferences(self.context)

    def close(self) -> None:
        """Release the held watermark connection (call before disposing the database)."""
        self._cache.close()

    def today(self) -> date:
        """Today in mainland China, by the ledger's clock."""
        return self.context.today()

    def _moment(self) -> rules.Moment:
        # The import filter judges rows at the same moment as the gate's checks.
        return self.states.moment()

    def state(self, customer_id: str) -> ConsentState:
        """The customer's consents, refusals, marketing preferences and age band."""
        return self.states.state(customer_id)

    def load_state(self, customer_id: str) -> ConsentState:
        """:meth:`state` straight from the database, bypassing the cache."""
        return self.states.load_state(customer_id)

    def history(self, customer_id: str) -> list[ConsentRecord]:
        """Every ledger record of the customer, oldest first."""
        return self.states.history(customer_id)

    def check_read(
        self,
        customer_id: str,
        purpose: str,
        *,
        record_type: str = "customer",
        fields: Collection[str] | None = None,
    ) -> None:
        """Refuse a read for ``purpose`` that has no live basis for this customer."""
        self.states.check_read(customer_id, purpose, record_type=record_type, fields=fields)

    def check_write(
        self,
        customer_id: str | None,
        purpose: str,
        fields: Collection[str],
        values: Mapping[str, str],
        *,
        record_type: str = "customer",
    ) -> None:
        """Refuse a write the purpose and the customer's consents do not cover."""
        self.states.check_write(customer_id, purpose, fields, values, record_type=record_type)

    def operation(self) -> AbstractContextManager[None]:
        """See :meth:`piguard.consent.cache.CoherentCache.operation`: one snapshot per gate operation."""
        return self.context.cache.operation()

    def is_under_14(self, customer_id: str) -> bool:
        """The one "under 14" rule of the installation (R-MIN-1): the recorded age band, today in China."""
        return self.minors.is_under_14(customer_id)

    def under_14_among(self, customer_ids: Iterable[str]) -> set[str]:
        """Which of ``customer_ids`` are under 14 (:meth:`Minors.under_14_among`: the same rule, in bulk)."""
        return self.minors.under_14_among(customer_ids)

    def age_band(self, customer_id: str) -> AgeBand | None:
        """The recorded age band today, ``None`` when unknown (:meth:`Minors.band`)."""
        return self.minors.band(customer_id)

    @staticmethod
    def minor_status(birth_date: date, today: date) -> AgeBand:
        """``under14``, ``minor`` or ``adult`` (R-MIN-1)."""
        return _minor_status(birth_date, today)

    def age_from_values(
        self, values: Mapping[str, object], today: date, record_type: str = "customer"
    ) -> AgeInfo | None:
        """Derive the age state from a write's values: the resident ID's birth digits, else
        the declared birth date. When both are given and disagree, the later date wins:
        treating someone as younger only adds protection.
        """
        # Reads nothing but ``self.age_sources``: tests call it on a stand-in without a database.
        return age_from_values(self.age_sources, values, today, record_type)

    def note_age(
        self, conn: Connection, customer_id: str, values: Mapping[str, object], record_type: str = "customer"
    ) -> None:
        """Store the age band derived from ``values`` inside the caller's transaction (no birth date)."""
        self.minors.note_age(conn, customer_id, values, record_type)

    def age_hook(self, values: Mapping[str, object], record_type: str = "customer") -> TxHook:
        """A vault transaction hook that records the age band of the customers written."""
        return self.minors.age_hook(values, record_type)

    def filter_import(
        self,
        rows: Iterable[tuple[int, Mapping[str, object] | ValidationError]],
        purpose: str,
        *,
        record_type: str = "customer",
        operator: str = "import",
        dry_run: bool = False,
    ) -> Iterator[tuple[int, Mapping[str, object] | ValidationError]]:
        """The gate's import hook: :func:`piguard.consent.importing.filter_import_rows` over this ledger."""
        return filter_import_rows(
            rows, self, purpose, record_type=record_type, operator=operator, dry_run=dry_run
        )

    def reevaluate_birthdays(self, today: date | None = None, *, batch: int = 1000) -> list[Reevaluation]:
        """The daily job (R-MIN-4): move customers whose 14th or 18th birthday has come."""
        return self.minors.reevaluate_birthdays(today, batch=batch)

    def guardian(self, relationship: str, id_number: str, id_type: str = "resident_id") -> Guardian:
        """A guardian reference from the guardian's ID number (keyed digest; the number is not kept).

        :raises ValidationError: unknown relationship or invalid ID number.
        """
        return identity.guardian(self._identity_key, relationship, id_number, id_type)

    def notices(self, kind: NoticeKind | None = None) -> list[Notice]:
        """Every published version, oldest first."""
        return self.notice_board.notices(kind)

    def notice(self, version: int | None = None, kind: NoticeKind = "privacy") -> Notice:
        """One version, or the latest of ``kind``.

        :raises NotFound: no such version, or none published yet.
        """
        return self.notice_board.notice(version, kind)

    def publish_notice(
        self,
        text_zh: str,
        text_en: str,
        *,
        title: str,
        operator: str,
        kind: NoticeKind = "privacy",
        material: bool = False,
        purposes_changed: Sequence[str] = (),
        effective_at: datetime | None = None,
        conn: Connection | None = None,
    ) -> Notice:
        """Publish a new notice version (R-COL-8). Versions number 1, 2, ... per tenant."""
        return self.notice_board.publish(
            text_zh,
            text_en,
            title=title,
            operator=operator,
            kind=kind,
            material=material,
            purposes_changed=purposes_changed,
            effective_at=effective_at,
            conn=conn,
        )

    def grant(
        self,
        customer_id: str,
        purposes: Sequence[str],
        *,
        channel: str,
        operator: str,
        kinds: Sequence[ConsentKind] = ("general",),
        notice_version: int | None = None,
        evidence_ref: str | None = None,
        guardian: Guardian | None = None,
        recipient: str | None = None,
        given_at: datetime | None = None,
        conn: Connection | None = None,
    ) -> list[ConsentRecord]:
        """Record consent: one immutable record per kind, so separate consents stay distinct (R-COL-4).

        :param notice_version: the privacy notice the customer was shown (default: the latest).
        :param guardian: for a child under 14, the guardian who consents (R-MIN-1).
        :param recipient: who receives the data, for ``provision`` and ``cross_border``.
        :param given_at: when consent was given (e.g. the date on a paper form); default now.
        :raises ValidationError: bad input, no notice published, a guardian missing or not expected.
        """
        return self._append(
            [customer_id],
            self.grant_rows(
                customer_id,
                purposes,
                channel=channel,
                operator=operator,
                kinds=kinds,
                notice_version=notice_version,
                evidence_ref=evidence_ref,
                guardian=guardian,
                recipient=recipient,
                given_at=given_at,
                band=None,
            ),
            conn=conn,
        )

    def grant_rows(
        self,
        customer_id: str,
        purposes: Sequence[str],
        *,
        channel: str,
        operator: str,
        kinds: Sequence[ConsentKind] = ("general",),
        notice_version: int | None = None,
        evidence_ref: str | None = None,
        guardian: Guardian | None = None,
        recipient: str | None = None,
        given_at: datetime | None = None,
        band: AgeBand | None,
    ) -> list[dict[str, Any]]:
        """Validate a grant and return the ledger rows it would append (see :meth:`grant`)."""
        return self.records.grant_rows(
            customer_id,
            purposes,
            channel=channel,
            operator=operator,
            kinds=kinds,
            notice_version=notice_version,
            evidence_ref=evidence_ref,
            guardian=guardian,
            recipient=recipient,
            given_at=given_at,
            band=band,
        )

    def _append(
        self,
        customer_ids: Sequence[str],
        rows: list[dict[str, Any]],
        ages: Mapping[str, AgeInfo] | None = None,
        conn: Connection | None = None,
    ) -> list[ConsentRecord]:
        """Append rows (and age states) in one transaction (``conn``'s, when given)."""
        return self.records.append(customer_ids, rows, ages, conn)

    def refuse(
        self,
        customer_id: str,
        purposes: Sequence[str],
        *,
        channel: str,
        operator: str,
        conn: Connection | None = None,
    ) -> ConsentRecord:
        """Record that the customer declined when asked (R-COL-7); :meth:`may_ask` then says no."""
        return self.records.refuse(customer_id, purposes, channel=channel, operator=operator, conn=conn)

    def may_ask(self, customer_id: str, purpose: str) -> bool:
        """Whether the customer may be asked for consent to ``purpose`` now (R-COL-7)."""
        return self.states.may_ask(customer_id, purpose)

    def next_ask(self, customer_id: str, purpose: str) -> datetime | None:
        """When the customer may next be asked, or ``None`` if now."""
        return self.states.next_ask(customer_id, purpose)

    def withdraw(
        self,
        customer_id: str,
        purposes: Sequence[str] | None = None,
        *,
        kind: ConsentKind | None = None,
        channel: str,
        operator: str,
        evidence_ref: str | None = None,
        conn: Connection | None = None,
    ) -> WithdrawResult:
        """Withdraw consent in one call (R-COL-6), handing fields left with no basis to deletion."""
        return self.records.withdraw(
            customer_id,
            purposes,
            kind=kind,
            channel=channel,
            operator=operator,
            evidence_ref=evidence_ref,
            conn=conn,
        )

    def set_marketing(
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
        """Record marketing preferences (R-COL-9): opt out, or keep marketing but not personalised."""
        return self.marketing.set(
            customer_id,
            opt_out,
            personalised,
            channel=channel,
            operator=operator,
            delete_tags=delete_tags,
            conn=conn,
        )

    def deletion_queue(
        self, customer_id: str | None = None, status: str | None = "marked"
    ) -> list[DeletionMark]:
        """Fields marked for deletion (the retention job's input), oldest first."""
        return self.states.deletion_queue(customer_id, status)


# Re-exported: callers import these from here (fold and AgeSources lived in this module).
__all__ = ["DEFAULT_REASK_AFTER", "AgeSources", "ConsentLedger", "GuardianRelation", "TxHook", "fold"]
