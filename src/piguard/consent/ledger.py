"""The consent ledger: records consents, answers the gate, runs the birthday job.

One :class:`ConsentLedger` per installation (``inst.consent``). The gate calls
:meth:`ConsentLedger.check_read` before every read and :meth:`ConsentLedger.check_write`
before every write; the edges call :meth:`~ConsentLedger.grant`,
:meth:`~ConsentLedger.withdraw`, :meth:`~ConsentLedger.publish_notice` and
:meth:`~ConsentLedger.set_marketing`; a scheduler calls
:meth:`~ConsentLedger.reevaluate_birthdays` daily.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from piguard.calendar import local_date, local_today
from piguard.catalog import Catalog
from piguard.clock import Clock, SystemClock
from piguard.consent import rules
from piguard.consent import store as sql
from piguard.consent.age import AgeBand, AgeInfo, birth_date_from
from piguard.consent.age import minor_status as _minor_status
from piguard.consent.cache import CoherentCache
from piguard.consent.identity import guardian_ref
from piguard.consent.importing import filter_import_rows
from piguard.consent.model import (
    CONSENT_KINDS,
    GUARDIAN_RELATIONS,
    ActiveConsent,
    ConsentAction,
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
from piguard.consent.notices import check_notice, content_hash
from piguard.errors import NotFound, ValidationError
from piguard.gate.sdk import Storage as Database
from piguard.gate.sdk import check_id

#: Mainland China keeps UTC+8 all year; birthdays and "today" are reckoned there.
#: R-COL-7: after a refusal, do not ask again for this long (MIIT practice: 48 hours).
DEFAULT_REASK_AFTER = timedelta(hours=48)
#: Consent given "in the future" by more than this is a clock error or a forgery.
_CLOCK_SKEW = timedelta(minutes=5)
#: Kinds that name who receives the data (PIPL 23, 39).
_NEEDS_RECIPIENT: frozenset[ConsentKind] = frozenset({"provision", "cross_border"})

TxHook = Callable[[Connection, Sequence[Any]], None]


@dataclass(frozen=True, slots=True)
class AgeSources:
    """Which customer fields carry the birth date and the guardian (R-MIN-1).

    ``id_fields`` hold a resident ID (birth date = digits 7-14); ``birth_fields`` a
    declared date of birth. ``guardian_fields`` must all be given when a child under 14
    is recorded under a purpose that does not rest on consent.
    """

    record_type: str = "customer"
    id_fields: tuple[str, ...] = ("resident_id",)
    birth_fields: tuple[str, ...] = ("birth_date",)
    guardian_fields: tuple[str, ...] = ("guardian_name", "guardian_relation")


def _text(value: str, what: str, limit: int = 64) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit or not value.isprintable():
        raise ValidationError(f"must be 1-{limit} printable characters", what)
    return value.strip()


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
        self.db = db
        self.catalog = catalog
        self.clock: Clock = clock or SystemClock()
        self.tenant = tenant
        self.reask_after = reask_after
        self.age_sources = age_sources or AgeSources()
        self._identity_key = identity_key
        self._cache: CoherentCache[ConsentState] = CoherentCache(
            db.engine, tenant, revalidate_interval=revalidate_interval
        )

    def close(self) -> None:
        """Release the held watermark connection (call before disposing the database)."""
        self._cache.close()

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def _writing(self, conn: Connection | None) -> Iterator[Connection]:
        """The caller's transaction when it passes one (the gate's, in which the operation's audit
        entry commits with the change), else a transaction of the ledger's own."""
        if conn is not None:
            yield conn
            return
        with self.db.transaction() as own:
            yield own

    # ------------------------------------------------------------------ time

    def _now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    def today(self) -> date:
        """Today in mainland China, by the ledger's clock."""
        return local_today(self.clock)

    def _moment(self) -> rules.Moment:
        now = self._now()
        return rules.Moment(now, local_date(now), self._material())

    # ------------------------------------------------------------------ reading state

    def state(self, customer_id: str) -> ConsentState:
        """The customer's consents, refusals, marketing preferences and age band.

        :raises StorageError: the database failed (callers must then refuse, not allow).
        """
        self._cache.sync()
        cached = self._cache.get(customer_id)
        if cached is not None:
            return cached
        generation = self._cache.generation
        state = self.load_state(customer_id)
        self._cache.put(customer_id, state, generation)
        return state

    def load_state(self, customer_id: str) -> ConsentState:
        """:meth:`state` straight from the database, bypassing the cache."""
        with self.db.read() as conn:
            records = sql.customer_records(conn, self.tenant, customer_id)
            pref = sql.latest_marketing(conn, self.tenant, customer_id)
            age = sql.age_of(conn, self.tenant, customer_id)
        return fold(customer_id, records, pref, age)

    def history(self, customer_id: str) -> list[ConsentRecord]:
        """Every ledger record of the customer, oldest first."""
        with self.db.read() as conn:
            return sql.customer_records(conn, self.tenant, customer_id)

    # ------------------------------------------------------------------ the gate

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
            self.catalog,
            self.state(customer_id),
            purpose,
            self._moment(),
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
            are looked at, to tell a child's record (R-MIN-1). Nothing is stored here:
            pass :meth:`age_hook` to the vault write to record the age band.
        :raises ValidationError: a field the purpose does not need (R-COL-3), naming it.
        :raises ConsentRequired: a missing basis, naming the purpose, the field and the requirement.
        """
        moment = self._moment()
        state = self.state(customer_id) if customer_id else ConsentState("")
        derived = self.age_from_values(values, moment.today, record_type)
        band: AgeBand | None = derived.band if derived else rules.band_of(state, moment.today)
        record_fields = self._record_fields(record_type)
        rules.check_write(
            self.catalog,
            state,
            purpose,
            record_type,
            fields,
            moment,
            band=band,
            guardian_in_values=rules.guardian_given(values, self.age_sources.guardian_fields, record_fields),
            new_customer=customer_id is None,
            guardian_recorded_here=any(f in record_fields for f in self.age_sources.guardian_fields),
        )

    def _record_fields(self, record_type: str) -> Collection[str]:
        record = self.catalog.record_types.get(record_type)
        return record.fields.keys() if record is not None else ()

    # ------------------------------------------------------------------ minors

    def is_under_14(self, customer_id: str) -> bool:
        """The one "under 14" rule of the installation (R-MIN-1): the age band the ledger recorded
        when the customer's birth date or resident ID was written, on today's date in China.
        Every process reads the same recorded band (the cache is coherent across processes), so
        the gate, the audit flags and the consent checks cannot disagree."""
        return rules.band_of(self.state(customer_id), self.today()) == "under14"

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
        src = self.age_sources
        if record_type != src.record_type:
            return None
        # The one birth-date rule of piguard.consent.age (the gate's minor flag reads its result).
        birth = birth_date_from(values, id_fields=src.id_fields, birth_fields=src.birth_fields, strict=True)
        return None if birth is None else AgeInfo.from_birth(birth, today)

    def note_age(
        self, conn: Connection, customer_id: str, values: Mapping[str, object], record_type: str = "customer"
    ) -> None:
        """Store the age band derived from ``values`` inside the caller's transaction (no birth date)."""
        info = self.age_from_values(values, self.today(), record_type)
        if info is None:
            return
        sql.put_age(conn, self.tenant, customer_id, info, self._now())
        value = sql.bump_watermark(conn, self.tenant)
        # The commit is the caller's; dropping the entry now (and again is harmless) keeps
        # this process from serving the previous band once it has committed.
        self._cache.changed([customer_id], value)

    def age_hook(self, values: Mapping[str, object], record_type: str = "customer") -> TxHook:
        """A vault transaction hook that records the age band of the customers written.

        Compose it with the audit hook: ``vault.create(..., hook=both(audit, ledger.age_hook(values)))``.
        """

        def hook(conn: Connection, refs: Sequence[Any]) -> None:
            for ref in refs:
                self.note_age(conn, ref.customer_id, values, record_type)

        return hook

    def filter_import(
        self,
        rows: Iterable[tuple[int, Mapping[str, object] | ValidationError]],
        purpose: str,
        *,
        record_type: str = "customer",
        operator: str = "import",
    ) -> Iterator[tuple[int, Mapping[str, object] | ValidationError]]:
        """The gate's import hook: :func:`piguard.consent.importing.filter_import_rows` over this ledger."""
        return filter_import_rows(rows, self, purpose, record_type=record_type, operator=operator)

    def reevaluate_birthdays(self, today: date | None = None, *, batch: int = 1000) -> list[Reevaluation]:
        """The daily job (R-MIN-4): move customers whose 14th or 18th birthday has come.

        At 14 a guardian's consents stop counting for consent-based purposes (the
        result lists them: ask the customer); at 18 the rules for minors stop applying.
        Idempotent: running it twice on the same day finds nothing the second time.
        """
        day = today or self.today()
        results: list[Reevaluation] = []
        while True:
            with self.db.transaction() as conn:
                due = sql.due_reviews(conn, self.tenant, day, batch)
                for customer_id, info in due:
                    new = info.advanced(day)
                    sql.put_age(conn, self.tenant, customer_id, new, self._now())
                    orphaned: tuple[str, ...] = ()
                    if info.band == "under14" and new.band != "under14":
                        records = sql.customer_records(conn, self.tenant, customer_id)
                        state = fold(customer_id, records, Marketing(), None)
                        orphaned = (
                            tuple(
                                sorted(
                                    p
                                    for (k, p), g in state.active.items()
                                    if k == "general"
                                    and g.by_guardian
                                    and rules.rests_on_consent(self.catalog.purposes[p])
                                )
                            )
                            if records
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
                    value = sql.bump_watermark(conn, self.tenant)
            if due:
                self._cache.changed(None, value)
            if len(due) < batch:
                return results

    # ------------------------------------------------------------------ guardians

    def guardian(self, relationship: str, id_number: str, id_type: str = "resident_id") -> Guardian:
        """A guardian reference from the guardian's ID number (keyed digest; the number is not kept).

        :raises ValidationError: unknown relationship or invalid ID number.
        """
        if relationship not in GUARDIAN_RELATIONS:
            raise ValidationError(f"must be one of {', '.join(GUARDIAN_RELATIONS)}", "guardian_relationship")
        try:
            ref = guardian_ref(self._identity_key, id_type, id_number)
        except ValidationError as exc:
            raise exc.for_field("guardian_id_number") from None
        return Guardian(relationship, ref)

    # ------------------------------------------------------------------ notices

    def notices(self, kind: NoticeKind | None = None) -> list[Notice]:
        """Every published version, oldest first."""
        self._cache.sync()
        return [n for n in self._all_notices() if kind is None or n.kind == kind]

    def _all_notices(self) -> list[Notice]:
        """The notices, from the cache when it holds them (callers have synced already)."""
        generation = self._cache.generation
        cached: list[Notice] | None = self._cache.shared("notices")
        if cached is None:
            with self.db.read() as conn:
                cached = sql.all_notices(conn, self.tenant)
            self._cache.put_shared("notices", cached, generation)
        return cached

    def notice(self, version: int | None = None, kind: NoticeKind = "privacy") -> Notice:
        """One version, or the latest of ``kind``.

        :raises NotFound: no such version, or none published yet.
        """
        found = [
            n for n in self.notices() if (n.version == version if version is not None else n.kind == kind)
        ]
        if not found:
            raise NotFound(
                f"no {kind} notice published" if version is None else f"no notice version {version}"
            )
        return found[-1]

    def _material(self) -> tuple[rules.MaterialChange, ...]:
        return tuple(
            rules.MaterialChange(n.version, n.effective_at, frozenset(n.purposes_changed))
            for n in self._all_notices()
            if n.material
        )

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
        """Publish a new notice version (R-COL-8). Versions number 1, 2, ... per tenant.

        A *material* version makes consents to ``purposes_changed`` given against earlier
        versions stale from ``effective_at`` (default: now): reads and writes for those
        purposes are refused until the customer consents again (R-COL-5).

        :raises ValidationError: a text is missing what a notice must state, or a purpose is unknown.
        """
        changed = tuple(sorted(set(purposes_changed)))
        check_notice(
            self.catalog,
            kind=kind,
            title=title,
            text_zh=text_zh,
            text_en=text_en,
            material=material,
            purposes_changed=changed,
        )
        now = self._now()
        effective = effective_at.astimezone(UTC) if effective_at is not None else now
        if effective < now - _CLOCK_SKEW:
            raise ValidationError("a notice cannot take effect in the past", "effective_at")
        with self._writing(conn) as tx:
            version = sql.next_notice_version(tx, self.tenant)
            notice = Notice(
                version,
                kind,
                title.strip(),
                text_zh,
                text_en,
                content_hash(title.strip(), text_zh, text_en),
                material,
                changed,
                now,
                effective,
                _text(operator, "operator", 128),
            )
            sql.insert_notice(tx, self.tenant, notice)
            value = sql.bump_watermark(tx, self.tenant)
        self._cache.changed(None, value)
        return notice

    # ------------------------------------------------------------------ recording

    def _purposes(self, purposes: Iterable[str]) -> tuple[str, ...]:
        names = tuple(sorted(set(purposes)))
        if not names:
            raise ValidationError("name at least one purpose", "purposes")
        for name in names:
            rules.purpose_of(self.catalog, name)
        return names

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
        """Validate a grant and return the ledger rows it would append (see :meth:`grant`).

        :param band: the customer's age band if known from elsewhere (an import row);
            ``None`` looks it up in the ledger.
        """
        check_id(customer_id, "customer_id")
        names = self._purposes(purposes)
        wanted = tuple(dict.fromkeys(kinds))
        if not wanted or any(k not in CONSENT_KINDS for k in wanted):
            raise ValidationError(f"kinds must be among {', '.join(CONSENT_KINDS)}", "kinds")
        if _NEEDS_RECIPIENT & set(wanted) and not (recipient and recipient.strip()):
            raise ValidationError(
                "provision and cross-border consent name the recipient (PIPL 23, 39)", "recipient"
            )
        now = self._now()
        when = given_at.astimezone(UTC) if given_at is not None else now
        if when > now + _CLOCK_SKEW:
            raise ValidationError("consent cannot be given in the future", "given_at")
        notice = self._notice_for_grant(notice_version)
        if band is None:
            band = rules.band_of(self.state(customer_id), self.today())
        if guardian is not None:
            if guardian.relationship not in GUARDIAN_RELATIONS or not guardian.identity_ref.strip():
                raise ValidationError("a guardian needs a relationship and an identity reference", "guardian")
            if band in ("minor", "adult"):
                raise ValidationError("the customer is 14 or older and consents personally", "guardian")
            self.notice(kind="children")  # R-MIN-2: the children's rules must be published first
        elif band == "under14":
            raise ValidationError("the customer is under 14: a guardian must consent (PIPL 31)", "guardian")
        common = {
            "customer_id": customer_id,
            "purposes": names,
            "categories": rules.covered_categories(self.catalog, names),
            "retention": rules.covered_retention(self.catalog, names),
            "notice_version": notice.version,
            "notice_hash": notice.content_hash,
            "channel": _text(channel, "channel"),
            "operator": _text(operator, "operator", 128),
            "given_at": when,
            "recorded_at": now,
            "evidence_ref": _text(evidence_ref, "evidence_ref", 200) if evidence_ref else None,
            "guardian_ref": guardian.identity_ref if guardian else None,
            "guardian_relationship": guardian.relationship if guardian else None,
        }
        rows = [
            {
                **common,
                "action": "grant",
                "kind": kind,
                "recipient": recipient.strip() if recipient and kind in _NEEDS_RECIPIENT else None,
            }
            for kind in wanted
        ]
        return rows

    def _notice_for_grant(self, version: int | None) -> Notice:
        try:
            notice = self.notice(version) if version is not None else self.notice(kind="privacy")
        except NotFound:
            raise ValidationError(
                "no such privacy notice: publish one before recording consent (R-COL-8)", "notice_version"
            ) from None
        if notice.kind != "privacy":
            raise ValidationError("consent refers to a privacy notice", "notice_version")
        return notice

    def _append(
        self,
        customer_ids: Sequence[str],
        rows: list[dict[str, Any]],
        ages: Mapping[str, AgeInfo] | None = None,
        conn: Connection | None = None,
    ) -> list[ConsentRecord]:
        """Append rows (and age states) in one transaction (``conn``'s, when given)."""
        with self._writing(conn) as tx:
            ids = [sql.insert_record(tx, self.tenant, row) for row in rows]
            sql.put_ages(tx, self.tenant, ages or {}, self._now())
            value = sql.bump_watermark(tx, self.tenant)
        self._cache.changed(customer_ids, value)
        return [_record(i, row) for i, row in zip(ids, rows, strict=True)]

    def refuse(
        self,
        customer_id: str,
        purposes: Sequence[str],
        *,
        channel: str,
        operator: str,
        conn: Connection | None = None,
    ) -> ConsentRecord:
        """Record that the customer declined when asked (R-COL-7): the service goes on, and
        :meth:`may_ask` says no for :attr:`reask_after`."""
        check_id(customer_id, "customer_id")
        names = self._purposes(purposes)
        now = self._now()
        row = {
            "customer_id": customer_id,
            "action": "refuse",
            "kind": "general",
            "purposes": names,
            "categories": (),
            "retention": (),
            "notice_version": None,
            "notice_hash": None,
            "channel": _text(channel, "channel"),
            "operator": _text(operator, "operator", 128),
            "given_at": now,
            "recorded_at": now,
            "evidence_ref": None,
            "guardian_ref": None,
            "guardian_relationship": None,
            "recipient": None,
        }
        return self._append([customer_id], [row], conn=conn)[0]

    def may_ask(self, customer_id: str, purpose: str) -> bool:
        """Whether the customer may be asked for consent to ``purpose`` now (R-COL-7)."""
        return self.next_ask(customer_id, purpose) is None

    def next_ask(self, customer_id: str, purpose: str) -> datetime | None:
        """When the customer may next be asked, or ``None`` if now."""
        refused = self.state(customer_id).refused.get(purpose)
        if refused is None:
            return None
        allowed = refused + self.reask_after
        return allowed if self._now() < allowed else None

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
        """Withdraw consent in one call (R-COL-6): to ``purposes`` (all kinds), to one ``kind``
        (all purposes), to both narrowed together, or to everything when neither is given.

        Processing on that basis stops from the next check on; fields left with no basis at
        all are marked for deletion in the same transaction (the retention job deletes them).
        Withdrawing what was not granted records nothing and marks nothing.
        """
        check_id(customer_id, "customer_id")
        names = self._purposes(purposes) if purposes else None
        if kind is not None and kind not in CONSENT_KINDS:
            raise ValidationError(f"must be one of {', '.join(CONSENT_KINDS)}", "kind")
        before = self.state(customer_id)
        targets = [
            (k, p)
            for (k, p) in before.active
            if (names is None or p in names) and (kind is None or k == kind)
        ]
        if not targets:
            return WithdrawResult(customer_id, (), (), ())
        now = self._now()
        by_kind: dict[ConsentKind, list[str]] = {}
        for k, p in sorted(targets):
            by_kind.setdefault(k, []).append(p)
        rows = [
            {
                "customer_id": customer_id,
                "action": "withdraw",
                "kind": k,
                "purposes": tuple(ps),
                "categories": rules.covered_categories(self.catalog, ps),
                "retention": rules.covered_retention(self.catalog, ps),
                "notice_version": None,
                "notice_hash": None,
                "channel": _text(channel, "channel"),
                "operator": _text(operator, "operator", 128),
                "given_at": now,
                "recorded_at": now,
                "evidence_ref": _text(evidence_ref, "evidence_ref", 200) if evidence_ref else None,
                "guardian_ref": None,
                "guardian_relationship": None,
                "recipient": None,
            }
            for k, ps in by_kind.items()
        ]
        after = replace(
            before, active={key: g for key, g in before.active.items() if key not in set(targets)}
        )
        stopped = tuple(sorted({p for _, p in targets}))
        orphaned = rules.orphaned_fields(self.catalog, after, stopped, self._moment())
        reason = f"consent withdrawn: {', '.join(stopped)} (R-COL-6)"
        with self._writing(conn) as tx:
            ids = [sql.insert_record(tx, self.tenant, row) for row in rows]
            marks = [
                sql.insert_deletion(tx, self.tenant, customer_id, rt, fields, reason, ids[0], now)
                for rt, fields in sorted(orphaned.items())
            ]
            value = sql.bump_watermark(tx, self.tenant)
        self._cache.changed([customer_id], value)
        records = tuple(_record(i, row) for i, row in zip(ids, rows, strict=True))
        return WithdrawResult(customer_id, records, stopped, tuple(marks))

    # ------------------------------------------------------------------ marketing

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
        """Record marketing preferences (R-COL-9): opt out, or keep marketing but not personalised.

        :param delete_tags: also hand the customer's profile tags (``preference`` fields of
            marketing purposes) to deletion.
        """
        check_id(customer_id, "customer_id")
        now = self._now()
        pref = Marketing(bool(opt_out), bool(personalised), now)
        with self._writing(conn) as tx:
            sql.insert_marketing(
                tx,
                self.tenant,
                customer_id,
                pref,
                _text(channel, "channel"),
                _text(operator, "operator", 128),
            )
            if delete_tags:
                for rt, fields in sorted(self._tag_fields().items()):
                    sql.insert_deletion(
                        tx,
                        self.tenant,
                        customer_id,
                        rt,
                        fields,
                        "customer deleted profile tags (R-COL-9)",
                        None,
                        now,
                    )
            value = sql.bump_watermark(tx, self.tenant)
        self._cache.changed([customer_id], value)
        return pref

    def _tag_fields(self) -> dict[str, tuple[str, ...]]:
        marketing = {n for n, p in self.catalog.purposes.items() if p.marketing}
        out: dict[str, tuple[str, ...]] = {}
        for rt, record in self.catalog.record_types.items():
            tags = tuple(
                n for n, f in record.fields.items() if f.category == "preference" and f.purposes & marketing
            )
            if tags:
                out[rt] = tags
        return out

    # ------------------------------------------------------------------ hand-off

    def deletion_queue(
        self, customer_id: str | None = None, status: str | None = "marked"
    ) -> list[DeletionMark]:
        """Fields marked for deletion (the retention job's input), oldest first."""
        with self.db.read() as conn:
            return sql.deletions(conn, self.tenant, customer_id, status)


def _record(record_id: int, row: Mapping[str, Any]) -> ConsentRecord:
    guardian = (
        Guardian(row["guardian_relationship"], row["guardian_ref"]) if row.get("guardian_ref") else None
    )
    return ConsentRecord(
        id=record_id,
        customer_id=row["customer_id"],
        action=row["action"],
        kind=row["kind"],
        purposes=tuple(sorted(row["purposes"])),
        categories=tuple(row["categories"]),
        retention=tuple(row["retention"]),
        notice_version=row["notice_version"],
        notice_hash=row["notice_hash"],
        channel=row["channel"],
        operator=row["operator"],
        given_at=row["given_at"],
        recorded_at=row["recorded_at"],
        evidence_ref=row["evidence_ref"],
        guardian=guardian,
        recipient=row.get("recipient"),
    )


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
                    record.id, record.notice_version, record.given_at, record.guardian is not None
                )
                refused.pop(purpose, None)
                has_guardian = has_guardian or record.guardian is not None
            elif action == "withdraw":
                active.pop(key, None)
            else:
                refused[purpose] = record.recorded_at
    return ConsentState(customer_id, active, refused, pref, age, has_guardian)


__all__ = ["AgeSources", "ConsentLedger", "GuardianRelation", "fold"]
