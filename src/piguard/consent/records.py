"""Consent records: validated, appended immutably, and withdrawn with a deletion hand-off.

:class:`ConsentRecords` turns a grant, a refusal or a withdrawal into ledger rows and appends
them in one transaction (the caller's when it passes one): one record per consent kind so
separate consents stay distinct (R-COL-4), records never updated (R-COL-2), fields left with
no basis after a withdrawal marked for deletion with it (R-COL-6).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from piguard.consent import rules
from piguard.consent import store as sql
from piguard.consent.age import AgeBand, AgeInfo
from piguard.consent.context import CLOCK_SKEW, LedgerContext, checked_text
from piguard.consent.model import (
    CONSENT_KINDS,
    GUARDIAN_RELATIONS,
    RECIPIENT_KINDS,
    ConsentKind,
    ConsentRecord,
    Guardian,
    Notice,
    WithdrawResult,
)
from piguard.consent.notices import NoticeBoard
from piguard.consent.states import ConsentStates
from piguard.errors import NotFound, ValidationError
from piguard.gate.sdk import check_id, mask_free_text

#: Kinds that name who receives the data (PIPL 23, 39).
_NEEDS_RECIPIENT: frozenset[ConsentKind] = RECIPIENT_KINDS


def _evidence(evidence_ref: str | None) -> str | None:
    """Where the proof is kept, checked and with any PI in it masked: consent records are
    immutable, so a mobile typed into it ("call with 139...") could never be erased."""
    if not evidence_ref:
        return None
    return mask_free_text(checked_text(evidence_ref, "evidence_ref", 200))


class ConsentRecords:
    """Grants, refusals and withdrawals of one tenant's customers."""

    def __init__(self, context: LedgerContext, notices: NoticeBoard, states: ConsentStates) -> None:
        self.context = context
        # A grant pins the notice shown; it and a withdrawal read the customer's state.
        self.notices = notices
        self.states = states

    def purposes(self, purposes: Iterable[str]) -> tuple[str, ...]:
        """The named purposes, deduplicated and sorted; refused when none or one is unknown."""
        names = tuple(sorted(set(purposes)))
        if not names:
            raise ValidationError("name at least one purpose", "purposes")
        for name in names:
            rules.purpose_of(self.context.catalog, name)
        return names

    # ------------------------------------------------------------------ grants

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
        """Validate a grant and return the ledger rows it would append (see
        :meth:`piguard.consent.ConsentLedger.grant`).

        :param band: the customer's age band if known from elsewhere (an import row);
            ``None`` looks it up in the ledger.
        """
        ctx = self.context
        check_id(customer_id, "customer_id")
        names = self.purposes(purposes)
        wanted = tuple(dict.fromkeys(kinds))
        if not wanted or any(k not in CONSENT_KINDS for k in wanted):
            raise ValidationError(f"kinds must be among {', '.join(CONSENT_KINDS)}", "kinds")
        if _NEEDS_RECIPIENT & set(wanted) and not (recipient and recipient.strip()):
            raise ValidationError(
                "provision and cross-border consent name the recipient (PIPL 23, 39)", "recipient"
            )
        now = ctx.now()
        when = given_at.astimezone(UTC) if given_at is not None else now
        if when > now + CLOCK_SKEW:
            raise ValidationError("consent cannot be given in the future", "given_at")
        notice = self._notice_for_grant(notice_version)
        if band is None:
            band = rules.band_of(self.states.state(customer_id), ctx.today())
        if guardian is not None:
            if guardian.relationship not in GUARDIAN_RELATIONS or not guardian.identity_ref.strip():
                raise ValidationError("a guardian needs a relationship and an identity reference", "guardian")
            if band in ("minor", "adult"):
                raise ValidationError("the customer is 14 or older and consents personally", "guardian")
            self.notices.notice(kind="children")  # R-MIN-2: the children's rules must be published first
        elif band == "under14":
            raise ValidationError("the customer is under 14: a guardian must consent (PIPL 31)", "guardian")
        common = {
            "customer_id": customer_id,
            "purposes": names,
            "categories": rules.covered_categories(ctx.catalog, names),
            "retention": rules.covered_retention(ctx.catalog, names),
            "notice_version": notice.version,
            "notice_hash": notice.content_hash,
            "channel": checked_text(channel, "channel"),
            "operator": checked_text(operator, "operator", 128),
            "given_at": when,
            "recorded_at": now,
            "evidence_ref": _evidence(evidence_ref),
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
            notices = self.notices
            notice = notices.notice(version) if version is not None else notices.notice(kind="privacy")
        except NotFound:
            raise ValidationError(
                "no such privacy notice: publish one before recording consent (R-COL-8)", "notice_version"
            ) from None
        if notice.kind != "privacy":
            raise ValidationError("consent refers to a privacy notice", "notice_version")
        return notice

    def append(
        self,
        customer_ids: Sequence[str],
        rows: list[dict[str, Any]],
        ages: Mapping[str, AgeInfo] | None = None,
        conn: Connection | None = None,
    ) -> list[ConsentRecord]:
        """Append rows (and age states) in one transaction (``conn``'s, when given)."""
        ctx = self.context
        with ctx.writing(conn) as tx:
            ids = [sql.insert_record(tx, ctx.tenant, row) for row in rows]
            sql.put_ages(tx, ctx.tenant, ages or {}, ctx.now(), ctx.review_key)
            value = sql.bump_watermark(tx, ctx.tenant)
        ctx.cache.changed(customer_ids, value)
        return [to_record(i, row) for i, row in zip(ids, rows, strict=True)]

    # ------------------------------------------------------------------ refusals and withdrawals

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
        :meth:`ConsentStates.may_ask <piguard.consent.states.ConsentStates.may_ask>`
        says no for the context's ``reask_after``."""
        check_id(customer_id, "customer_id")
        names = self.purposes(purposes)
        now = self.context.now()
        row = {
            "customer_id": customer_id,
            "action": "refuse",
            "kind": "general",
            "purposes": names,
            "categories": (),
            "retention": (),
            "notice_version": None,
            "notice_hash": None,
            "channel": checked_text(channel, "channel"),
            "operator": checked_text(operator, "operator", 128),
            "given_at": now,
            "recorded_at": now,
            "evidence_ref": None,
            "guardian_ref": None,
            "guardian_relationship": None,
            "recipient": None,
        }
        return self.append([customer_id], [row], conn=conn)[0]

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
        ctx = self.context
        check_id(customer_id, "customer_id")
        names = self.purposes(purposes) if purposes else None
        if kind is not None and kind not in CONSENT_KINDS:
            raise ValidationError(f"must be one of {', '.join(CONSENT_KINDS)}", "kind")
        before = self.states.state(customer_id)
        targets = [
            (k, p)
            for (k, p) in before.active
            if (names is None or p in names) and (kind is None or k == kind)
        ]
        if not targets:
            return WithdrawResult(customer_id, (), (), ())
        now = ctx.now()
        by_kind: dict[ConsentKind, list[str]] = {}
        for k, p in sorted(targets):
            by_kind.setdefault(k, []).append(p)
        rows = [
            {
                "customer_id": customer_id,
                "action": "withdraw",
                "kind": k,
                "purposes": tuple(ps),
                "categories": rules.covered_categories(ctx.catalog, ps),
                "retention": rules.covered_retention(ctx.catalog, ps),
                "notice_version": None,
                "notice_hash": None,
                "channel": checked_text(channel, "channel"),
                "operator": checked_text(operator, "operator", 128),
                "given_at": now,
                "recorded_at": now,
                "evidence_ref": _evidence(evidence_ref),
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
        orphaned = rules.orphaned_fields(ctx.catalog, after, stopped, self.states.moment())
        reason = f"consent withdrawn: {', '.join(stopped)} (R-COL-6)"
        with ctx.writing(conn) as tx:
            ids = [sql.insert_record(tx, ctx.tenant, row) for row in rows]
            marks = [
                sql.insert_deletion(tx, ctx.tenant, customer_id, rt, fields, reason, ids[0], now)
                for rt, fields in sorted(orphaned.items())
            ]
            value = sql.bump_watermark(tx, ctx.tenant)
        ctx.cache.changed([customer_id], value)
        records = tuple(to_record(i, row) for i, row in zip(ids, rows, strict=True))
        return WithdrawResult(customer_id, records, stopped, tuple(marks))


def to_record(record_id: int, row: Mapping[str, Any]) -> ConsentRecord:
    """The :class:`ConsentRecord` an appended row became, under its new id."""
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
