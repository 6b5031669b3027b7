"""Legal holds (R-DST-2) and destruction records (R-DST-3) as a capability on the gate.

A hold is placed on one customer by a role that decides (``approve``: the PI officer, legal), with
a reason, an owner, an optional matter reference (so the customers of one litigation are held and
listed together) and an optional review date. While any hold on a customer is in force, the
kernel's erasure barrier refuses every path that destroys their data (staff erasure, a rights
deletion, the retention sweeper to come), inside the erasing transaction itself; the refusal is
an audit entry under the operation that tried. Releasing needs a reason and is audited; the hold's
row is kept (who placed, who released, when), so the history of holds is evidence too.

Reasons are sealed, bound to the hold and the step: staff type them, and they may name people.

Every erasure, whichever operation runs it, leaves a destruction record (:mod:`.destruction`):
written in the erasing transaction (so an erasure never commits without one), then verified (the
customer can no longer be read) and signed with the audit key once it committed; the
``destruction_check`` job verifies and signs any record a crash left unsigned.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from piguard.calendar import local_date
from piguard.catalog import Catalog
from piguard.clock import Clock, SystemClock
from piguard.errors import AccessDenied, Conflict, NotFound, ValidationError
from piguard.gate.sdk import (
    Call,
    Erasure,
    Kernel,
    Messenger,
    Operation,
    RecordRef,
    RequestContext,
    SecretBox,
    SigningKey,
    Storage,
    mask_free_text,
)
from piguard.lifecycle.destruction import SCHEMA, message
from piguard.lifecycle.model import Hold
from piguard.lifecycle.retention import Decisions, RecordPlan, plan_records, years_later
from piguard.lifecycle.tables import destructions, events, holds, reviews, statistics

__all__ = ["OPERATIONS", "Lifecycle", "StorageOnly"]

#: Enter a customer into the storage-only state inside a transaction: ``(conn, customer_id, the
#: floor purposes still allowed, a reference)``.
StorageOnly = Callable[[Connection, str, list[str], str], None]

#: A record's reference, when it was created and last changed, and the fields it holds
#: (:meth:`Kernel.record_times`): what a run reads once per customer.
RecordTimes = tuple[RecordRef, datetime, datetime, frozenset[str]]

log = logging.getLogger(__name__)

#: The key, on an erasing transaction's connection, of what retention anonymised in it.
_ANONYMISED = "piguard.lifecycle.anonymised"


def _notice_reference(customer_id: str) -> str:
    """The outbox reference of a customer's inactive-account notice (its delivery is asked for)."""
    return f"inactive_notice:{customer_id}"[:128]


NAME = "lifecycle"
#: Longest reason kept (sealed), and longest matter reference (an identifier such as a case number).
MAX_REASON, MAX_MATTER, MAX_OWNER = 2000, 64, 128


def _op(name: str, actions: tuple[Any, ...], summary: str, **kw: Any) -> Operation:
    return Operation(name, actions, kw.pop("subject", "customer"), NAME, purpose=False, summary=summary, **kw)


PLACE = _op(
    "hold_place",
    ("approve",),
    "place a legal hold on a customer: nothing of theirs may be destroyed until it is released",
    writes=True,
    requirements=("R-DST-2",),
    detail={"hold": "token", "matter_given": "bool", "review_given": "bool"},
)
RELEASE = _op(
    "hold_release",
    ("approve",),
    "release a legal hold (with a reason): the customer's retention applies again",
    writes=True,
    requirements=("R-DST-2",),
    detail={"hold": "token"},
)
SHOW = _op(
    "hold_show",
    ("approve", "audit"),
    "one hold with its reasons",
    requirements=("R-DST-2",),
    detail={"hold": "token"},
)
LIST = _op(
    "hold_list",
    ("approve", "audit"),
    "holds by customer, matter and state (no reasons)",
    subject="none",
    requirements=("R-DST-2",),
    detail={"count": "int"},
)
DESTRUCTIONS = _op(
    "destruction_list",
    ("audit", "approve"),
    "destruction records, newest first: scope, method, time, operator, verification (no values)",
    subject="none",
    requirements=("R-DST-3",),
    detail={"count": "int"},
)
DESTRUCTION = _op(
    "destruction_export",
    ("audit", "approve"),
    "one signed destruction record, to keep or verify offline",
    subject="none",
    requirements=("R-DST-3",),
    detail={"destruction": "token"},
)
CHECK = _op(
    "destruction_check",
    ("administer",),
    "verify and sign destruction records a crash left unsigned",
    subject="none",
    requirements=("R-DST-3",),
    detail={"count": "int"},
)
CLOSE = _op(
    "account_close",
    ("write", "approve"),
    "record that the customer's relationship ended: post-relationship retention clocks start",
    writes=True,
    requirements=("R-DST-1", "R-STO-5"),
    detail={"on_date_given": "bool"},
)
PLAN = _op(
    "retention_plan",
    ("administer", "audit"),
    "what retention would destroy or strip as of a date: counts by record type, rule and action",
    subject="none",
    requirements=("R-STO-5", "R-DST-1"),
    detail={"customers": "int", "held": "int", "count": "int"},
)
RUN = _op(
    "retention_run",
    ("administer",),
    "execute retention now: destroy or strip what has expired, customer by customer (held ones kept)",
    subject="none",
    requirements=("R-STO-5", "R-DST-1", "R-DST-3"),
    detail={
        "customers": "int",
        "held": "int",
        "destroyed": "int",
        "stripped": "int",
        "failed": "int",
        "notified": "int",
        "inactive_closed": "int",
        "queued": "int",
        "anonymised": "int",
    },
)
APPLY = _op(
    "retention_apply",
    ("administer",),
    "one customer's expired data destroyed or stripped, in one transaction with its destruction record",
    writes=True,
    requirements=("R-DST-1", "R-DST-3"),
    detail={"deleted": "int", "stripped": "int", "shredded": "bool"},
    part_of="retention_run",
)
NOTIFY = _op(
    "inactive_notify",
    ("administer",),
    "tell a customer whose account has not been used for years that it will be cleaned up (R-DST-4)",
    writes=True,
    requirements=("R-DST-4",),
    detail={"channel": "token"},
    part_of="retention_run",
)
INACTIVE_CLOSE = _op(
    "inactive_close",
    ("administer",),
    "end the relationship of an account still unused after its notice (it ended at the last activity)",
    writes=True,
    requirements=("R-DST-4", "R-DST-1"),
    part_of="retention_run",
)
EVENT = _op(
    "retention_event",
    ("write", "approve"),
    "record a customer's contract ended or a purpose fulfilled for them: the rules counted from it start",
    writes=True,
    requirements=("R-STO-5", "R-DST-1"),
    detail={"event": "token", "on_date_given": "bool"},
)
QUEUE = _op(
    "retention_queue",
    ("administer",),
    "records whose period ended under a rule that asks for a person's decision, queued for review",
    writes=True,
    requirements=("R-STO-5", "R-DST-1"),
    detail={"count": "int"},
    part_of="retention_run",
)
REVIEWS = _op(
    "retention_reviews",
    ("approve", "audit"),
    "records waiting for a retention decision: record type, rule, due day (no values)",
    subject="none",
    requirements=("R-STO-5", "R-DST-1"),
    detail={"count": "int"},
)
DECIDE = _op(
    "retention_decide",
    ("approve",),
    "decide a retention review: destroyed by the next run, or kept until a day (with a reason)",
    writes=True,
    requirements=("R-STO-5", "R-DST-1"),
    detail={"review": "token", "decision": "token"},
)
STATISTICS = _op(
    "retention_statistics",
    ("audit", "administer"),
    "what anonymisation kept of the records it destroyed: counts by record type, rule and month",
    subject="none",
    requirements=("R-STO-5",),
    detail={"count": "int"},
)
OPERATIONS: tuple[Operation, ...] = (
    PLACE, RELEASE, SHOW, LIST, DESTRUCTIONS, DESTRUCTION, CHECK, CLOSE, PLAN, RUN, APPLY, NOTIFY,
    INACTIVE_CLOSE, EVENT, QUEUE, REVIEWS, DECIDE, STATISTICS,
)  # fmt: skip

#: The events a person records beside the account's closure (``purpose_fulfilled`` names a purpose).
EVENTS = ("contract_end", "purpose_fulfilled")
#: The decisions on a review.
DECISIONS = ("destroy", "keep")


class Lifecycle:
    """The customer data life cycle's operations (legal holds; see the module docstring)."""

    name = NAME
    operations = OPERATIONS

    def __init__(
        self,
        db: Storage,
        catalog: Catalog,
        tenant: str,
        *,
        box: SecretBox,
        signing_key: SigningKey,
        clock: Clock | None = None,
        withdrawn: Callable[[str], Mapping[str, date]] | None = None,
        storage_only: StorageOnly | None = None,
        messenger: Messenger | None = None,
        inactive_after_years: int = 5,
        inactive_notice_days: int = 30,
    ) -> None:
        """:param signing_key: the audit key: destruction records are signed like checkpoints, so
        one published public key verifies both.
        :param withdrawn: per customer, the day each field (``record_type.field``) lost its last
            legal basis (the consent ledger's deletion marks, wired by the installation).
        :param storage_only: enters a customer into the storage-only state inside a transaction
            (the rights capability's, wired by the installation: one state, one guard).
        :param messenger: the outbox, for the notice before an inactive account is cleaned up.
        :param inactive_after_years: years without activity before that notice (0: never).
        :param inactive_notice_days: days from the notice to the clean-up."""
        self._db, self._catalog, self._tenant, self._box = db, catalog, tenant, box
        self._key = signing_key
        # The audit trail's key id (``piguard.audit.signing.key_id_of``): one name for one key.
        self.key_id = hashlib.sha256(signing_key.public_raw).hexdigest()[:16]
        self._clock = clock or SystemClock()
        self._withdrawn = withdrawn or (lambda customer_id: {})
        self._storage_only = storage_only
        self._messenger = messenger
        self._inactive_years, self._notice_days = inactive_after_years, inactive_notice_days
        self._kernel: Kernel | None = None

    def bind(self, kernel: Kernel) -> None:
        self._kernel = kernel
        kernel.add_barrier(self._barrier)
        kernel.add_erasure_observer(self)

    @property
    def public_key(self) -> bytes:
        return self._key.public_raw

    @property
    def kernel(self) -> Kernel:
        if self._kernel is None:
            raise RuntimeError("the lifecycle capability is not mounted on a gate")
        return self._kernel

    # ------------------------------------------------------------------ operations

    def place(
        self,
        ctx: RequestContext,
        customer_id: str,
        *,
        reason: str,
        matter: str | None = None,
        owner: str | None = None,
        review_on: date | None = None,
    ) -> Hold:
        """Hold ``customer_id`` (another hold on the same customer may exist: each is released
        on its own, and the customer stays held while any is in force).

        :raises ValidationError: no reason, a review date in the past, a matter or owner that is
            not a short reference (or that holds personal information).
        :raises NotFound: no such customer (unknown or erased).
        """
        reason = _reason(reason)
        matter = _reference(matter, "matter", MAX_MATTER)
        owner = _reference(owner, "owner", MAX_OWNER)
        today = self.kernel.today()
        if review_on is not None and review_on < today:
            raise ValidationError("the review date is in the past", "review_on")

        def handler(call: Call) -> Hold:
            hold_id = "hold_" + secrets.token_hex(10)
            now = self._clock.now()
            call.note(hold=hold_id, matter_given=matter is not None, review_given=review_on is not None)
            with call.transaction() as conn:
                conn.execute(
                    insert(holds).values(
                        tenant=self._tenant,
                        id=hold_id,
                        customer_id=customer_id,
                        matter=matter,
                        owner=owner or ctx.actor.id,
                        reason=self._box.seal(reason, self._context(hold_id, "placed")),
                        review_on=review_on,
                        placed_by=ctx.actor.id,
                        placed_at=now,
                    )
                )
                return self._hold(conn, hold_id, reasons=True)

        return self.kernel.run(ctx, PLACE, handler, subject=customer_id)

    def release(self, ctx: RequestContext, hold_id: str, *, reason: str) -> Hold:
        """End a hold. :raises NotFound: no such hold. :raises Conflict: released already."""
        reason = _reason(reason)
        row = self._row(hold_id)

        def handler(call: Call) -> Hold:
            call.note(hold=hold_id)
            with call.transaction() as conn:
                done = conn.execute(
                    update(holds)
                    .where(
                        holds.c.tenant == self._tenant, holds.c.id == hold_id, holds.c.released_at.is_(None)
                    )
                    .values(
                        released_by=ctx.actor.id,
                        released_at=self._clock.now(),
                        release_reason=self._box.seal(reason, self._context(hold_id, "released")),
                    )
                )
                if done.rowcount != 1:  # released meanwhile by someone else
                    raise Conflict("the hold is released already")
                return self._hold(conn, hold_id, reasons=True)

        if row["released_at"] is not None:
            raise Conflict("the hold is released already")
        return self.kernel.run(ctx, RELEASE, handler, subject=row["customer_id"])

    def show(self, ctx: RequestContext, hold_id: str) -> Hold:
        """One hold, with its reasons. :raises NotFound: no such hold."""
        row = self._row(hold_id)

        def handler(call: Call) -> Hold:
            call.note(hold=hold_id)
            return self._from_row(row, reasons=True)

        return self.kernel.run(ctx, SHOW, handler, subject=row["customer_id"])

    def find(
        self,
        ctx: RequestContext,
        *,
        customer_id: str | None = None,
        matter: str | None = None,
        active: bool | None = None,
        limit: int = 500,
    ) -> list[Hold]:
        """Holds, newest first, without their reasons (``active``: in force, or released)."""

        def handler(call: Call) -> list[Hold]:
            query = select(holds).where(holds.c.tenant == self._tenant)
            if customer_id:
                query = query.where(holds.c.customer_id == customer_id)
            if matter:
                query = query.where(holds.c.matter == matter)
            if active is not None:
                query = query.where(
                    holds.c.released_at.is_(None) if active else holds.c.released_at.is_not(None)
                )
            query = query.order_by(holds.c.placed_at.desc(), holds.c.id).limit(max(1, min(limit, 5000)))
            with self._db.read() as conn:
                found = [self._from_row(dict(r), reasons=False) for r in conn.execute(query).mappings()]
            call.note(count=len(found))
            return found

        return self.kernel.run(ctx, LIST, handler)

    def held(self, customer_id: str) -> bool:
        """Whether any hold on ``customer_id`` is in force (for the edges' and other capabilities'
        displays; enforcement is the barrier's, inside the erasing transaction)."""
        with self._db.read() as conn:
            return self._active(conn, customer_id) is not None

    # ------------------------------------------------------------------ retention

    def close_account(
        self, ctx: RequestContext, customer_id: str, *, reason: str, on_date: date | None = None
    ) -> dict[str, Any]:
        """Record the end of the customer's relationship (``on_date``: the day it ended, default
        today; never in the future; before today only for a role that approves): the rules anchored
        on ``relationship_end`` start counting.

        :raises Conflict: closed already. :raises ValidationError: no reason, a future date.
        """
        reason = _reason(reason)
        day = self._event_day(ctx, on_date, "the relationship's end")

        def handler(call: Call) -> dict[str, Any]:
            call.note(on_date_given=on_date is not None)
            with call.transaction() as conn:
                found = conn.execute(
                    select(events.c.on_date).where(
                        events.c.tenant == self._tenant,
                        events.c.customer_id == customer_id,
                        events.c.event == "relationship_end",
                    )
                ).first()
                if found is not None:
                    raise Conflict(f"the relationship ended already, on {found.on_date.isoformat()}")
                conn.execute(
                    insert(events).values(
                        tenant=self._tenant,
                        customer_id=customer_id,
                        event="relationship_end",
                        on_date=day,
                        by=ctx.actor.id,
                        at=self._clock.now(),
                        reason=self._box.seal(
                            reason, f"lifecycle:{self._tenant}:{customer_id}:relationship_end"
                        ),
                    )
                )
            return {"customer_id": customer_id, "relationship_end": day.isoformat()}

        return self.kernel.run(ctx, CLOSE, handler, subject=customer_id)

    def record_event(
        self,
        ctx: RequestContext,
        customer_id: str,
        event: str,
        *,
        reason: str,
        purpose: str | None = None,
        on_date: date | None = None,
    ) -> dict[str, Any]:
        """Record the end of the customer's contract (``contract_end``) or that ``purpose`` was
        fulfilled for them (``purpose_fulfilled``, PIPL 47(1)) on ``on_date`` (default today; never
        in the future; before today only for a role that approves): the rules counted from it start.

        :raises Conflict: recorded already. :raises ValidationError: an unknown event or purpose,
            a purpose with ``contract_end``, a future date, no reason.
        """
        reason = _reason(reason)
        if event not in EVENTS:
            raise ValidationError(f"event must be one of {', '.join(EVENTS)}", "event")
        if event == "purpose_fulfilled":
            known = self._catalog.purposes.get(purpose or "")
            if known is None or known.ancillary:
                raise ValidationError(
                    "purpose_fulfilled names a purpose of the catalog that collects data", "purpose"
                )
            key = f"purpose_fulfilled:{purpose}"
        elif purpose is not None:
            raise ValidationError("only purpose_fulfilled names a purpose", "purpose")
        else:
            key = event
        day = self._event_day(ctx, on_date, f"the {event.replace('_', ' ')}")

        def handler(call: Call) -> dict[str, Any]:
            call.note(event=event, on_date_given=on_date is not None)
            with call.transaction() as conn:
                found = conn.execute(
                    select(events.c.on_date).where(
                        events.c.tenant == self._tenant,
                        events.c.customer_id == customer_id,
                        events.c.event == key,
                    )
                ).first()
                if found is not None:
                    raise Conflict(f"{key} was recorded already, on {found.on_date.isoformat()}")
                self._set_event(conn, customer_id, key, day, ctx, reason)
            return {
                "customer_id": customer_id,
                "event": event,
                "purpose": purpose,
                "on_date": day.isoformat(),
            }

        return self.kernel.run(ctx, EVENT, handler, subject=customer_id)

    def _event_day(self, ctx: RequestContext, on_date: date | None, what: str) -> date:
        """The day an event that starts a retention clock happened (default today; never in the
        future; before today only for a role that approves)."""
        today = self.kernel.today()
        day = on_date or today
        if day > today:
            raise ValidationError(f"{what} cannot be in the future", "on_date")
        role = self._catalog.roles.get(ctx.actor.role)
        if day < today and (role is None or "approve" not in role.actions):
            # A back-dated event can make the next retention run destroy at once: the decision of a
            # role that approves (the PI officer), not of the desk that records today's event.
            raise AccessDenied(
                f"only a role that approves may record {what} before today", "lifecycle.backdated_close"
            )
        return day

    def reviews(
        self, ctx: RequestContext, *, status: str | None = "open", limit: int = 500
    ) -> list[dict[str, Any]]:
        """Retention reviews (default: the open ones), oldest due first; no values and no reasons."""
        if status is not None and status not in ("open", *DECISIONS):
            raise ValidationError("status must be open, destroy or keep", "status")

        def handler(call: Call) -> list[dict[str, Any]]:
            t = reviews.c
            query = select(reviews).where(t.tenant == self._tenant)
            if status is not None:
                query = query.where(t.status == status)
            with self._db.read() as conn:
                rows = conn.execute(query.order_by(t.due, t.id).limit(limit)).mappings().all()
            call.note(count=len(rows))
            return [_review(dict(r)) for r in rows]

        return self.kernel.run(ctx, REVIEWS, handler)

    def decide(
        self,
        ctx: RequestContext,
        review_id: str,
        decision: str,
        *,
        reason: str,
        keep_until: date | None = None,
    ) -> dict[str, Any]:
        """Decide an open review: ``destroy`` (the next retention run destroys or strips the record's
        fields under the rule, as for any other expired rule), or ``keep`` until ``keep_until`` (after
        today, within ten years), when the run asks again. The reason is sealed.

        :raises NotFound: no such review. :raises Conflict: decided already.
        """
        reason = _reason(reason)
        if decision not in DECISIONS:
            raise ValidationError("decision must be destroy or keep", "decision")
        today = self.kernel.today()
        if decision == "keep":
            if keep_until is None or keep_until <= today or keep_until > years_later(today, 10):
                raise ValidationError(
                    "keep needs keep_until: a day after today, within ten years", "keep_until"
                )
        elif keep_until is not None:
            raise ValidationError("only keep takes keep_until", "keep_until")
        found = self._review_row(review_id)

        def handler(call: Call) -> dict[str, Any]:
            call.note(review=review_id, decision=decision)
            t = reviews.c
            with call.transaction() as conn:
                done = conn.execute(
                    update(reviews)
                    .where(t.tenant == self._tenant, t.id == review_id, t.status == "open")
                    .values(
                        status=decision,
                        keep_until=keep_until,
                        decided_by=ctx.actor.id,
                        decided_at=self._clock.now(),
                        reason=self._box.seal(reason, f"lifecycle:{self._tenant}:{review_id}:review"),
                    )
                )
                if done.rowcount != 1:
                    raise Conflict("the review was decided already")
            return _review(
                {**found, "status": decision, "keep_until": keep_until, "decided_by": ctx.actor.id}
            )

        return self.kernel.run(ctx, DECIDE, handler, subject=found["customer_id"])

    def _review_row(self, review_id: str) -> dict[str, Any]:
        with self._db.read() as conn:
            row = (
                conn.execute(
                    select(reviews).where(reviews.c.tenant == self._tenant, reviews.c.id == review_id)
                )
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound("no such retention review")
        return dict(row)

    def statistics(self, ctx: RequestContext) -> list[dict[str, Any]]:
        """What ``anonymise`` kept: records counted by record type, rule and month."""

        def handler(call: Call) -> list[dict[str, Any]]:
            t = statistics.c
            with self._db.read() as conn:
                rows = conn.execute(
                    select(t.record_type, t.rule, t.month, t.records)
                    .where(t.tenant == self._tenant)
                    .order_by(t.record_type, t.rule, t.month)
                ).mappings()
                out = [dict(r) for r in rows]
            call.note(count=len(out))
            return out

        return self.kernel.run(ctx, STATISTICS, handler)

    def plan(self, ctx: RequestContext, *, as_of: date | None = None) -> dict[str, Any]:
        """What retention would do as of ``as_of`` (default today; a future date is allowed, it
        changes nothing): counts by record type, rule and action, and how many customers a hold
        keeps. No value and no customer id in the answer."""
        day = as_of or self.kernel.today()

        def handler(call: Call) -> dict[str, Any]:
            counts: dict[tuple[str, str, str], int] = {}
            customers = held = 0
            for _, planned, on_hold, _ in self._sweep(day):
                customers += 1
                if planned and on_hold:
                    held += 1
                    continue
                for p in planned:
                    for rule in p.rules:
                        key = (p.record_type, rule, "anonymise" if rule in p.anonymised else p.action)
                        counts[key] = counts.get(key, 0) + 1
            actions = [
                {"record_type": rt, "rule": rule, "action": action, "count": n}
                for (rt, rule, action), n in sorted(counts.items())
            ]
            call.note(customers=customers, held=held, count=len(actions))
            return {"as_of": day.isoformat(), "actions": actions, "held": held, "customers": customers}

        return self.kernel.run(ctx, PLAN, handler)

    def run(self, ctx: RequestContext, *, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
        """Execute retention as of today (the real clock: no running "as of" another day).

        Customer by customer, each in its own transaction with its audit entry and destruction
        record: a crash loses at most the customer in hand, and a rerun finds only what is still
        due (nothing is destroyed twice). A customer whose every record is due is crypto-shredded;
        otherwise the due records are deleted and the due fields stripped. Held customers are kept
        (and a hold placed while the run is going still wins, in the erasing transaction).

        First, inactive accounts (R-DST-4): a customer with no activity for ``inactive_after_years``
        is sent a notice; one still inactive ``inactive_notice_days`` after it has their relationship
        ended as of their last activity, so the rules counted from it (and the floors) decide in the
        same run what goes.
        ``progress`` is called with the number of customers looked at so far.
        """
        day = self.kernel.today()

        def handler(call: Call) -> dict[str, Any]:
            totals = {
                "customers": 0, "held": 0, "destroyed": 0, "stripped": 0, "failed": 0, "queued": 0,
                "anonymised": 0,
            }  # fmt: skip
            inactive = {"notified": 0, "inactive_closed": 0}
            # One pass: each customer's record times are read once, for the inactive-account step
            # and for the plan (a customer closed as inactive is planned with that end, this run).
            step = self._inactive_step(ctx, day, inactive)
            for customer_id, planned, on_hold, times in self._sweep(day, step):
                totals["customers"] += 1
                if progress is not None:
                    progress(totals["customers"])
                if not planned:
                    continue
                if on_hold:
                    totals["held"] += 1
                    continue
                waiting = [p for p in planned if p.action == "review"]
                planned = [p for p in planned if p.action != "review"]
                if waiting:
                    try:
                        totals["queued"] += self._queue(ctx, customer_id, waiting)
                    except Exception:
                        log.exception("retention review queueing failed for one customer")
                        totals["failed"] += 1
                if not planned:
                    continue
                try:
                    shredded = self._apply(ctx, customer_id, planned, call_id, times)
                except AccessDenied:  # a hold placed meanwhile (the barrier), recorded as refused
                    totals["held"] += 1
                    continue
                except Exception:
                    # One customer's failure must not stop the sweep; the rerun retries it.
                    log.exception("retention failed for one customer")
                    totals["failed"] += 1
                    continue
                totals["destroyed" if shredded else "stripped"] += 1
                totals["anonymised"] += sum(1 for p in planned if p.anonymised)
            totals |= inactive
            # The run's own entry (its totals) follows every customer's, each committed with its data.
            call.note(**totals)
            records = self._records_since(call_started, APPLY.name)
            return {"run_id": call_id, "as_of": day.isoformat(), **totals, "records": records}

        call_started = self._clock.now()
        call_id = "run_" + secrets.token_hex(8)
        return self.kernel.run(ctx, RUN, handler)

    def _queue(self, ctx: RequestContext, customer_id: str, waiting: list[RecordPlan]) -> int:
        """Queue what waits for a person's decision (one open review per record and rule)."""

        def handler(call: Call) -> int:
            t = reviews.c
            added = 0
            with call.transaction() as conn:
                open_now = {
                    (r.record_id, r.rule)
                    for r in conn.execute(
                        select(t.record_id, t.rule).where(
                            t.tenant == self._tenant, t.customer_id == customer_id, t.status == "open"
                        )
                    )
                }
                for plan in waiting:
                    for rule in plan.rules:
                        if (plan.record_id, rule) in open_now:
                            continue
                        conn.execute(
                            insert(reviews).values(
                                tenant=self._tenant,
                                id="rev_" + secrets.token_hex(8),
                                customer_id=customer_id,
                                record_type=plan.record_type,
                                record_id=plan.record_id,
                                rule=rule,
                                due=plan.due,
                                queued_at=self._clock.now(),
                                status="open",
                            )
                        )
                        added += 1
                call.note(count=added)
            return added

        return self.kernel.run(ctx, QUEUE, handler, subject=customer_id)

    def _inactive_step(
        self, ctx: RequestContext, day: date, counts: dict[str, int]
    ) -> Callable[[str, Sequence[RecordTimes], bool, date | None], date | None] | None:
        """The inactive-account step of a run (R-DST-4), for one customer at a time: tell a
        customer inactive for ``inactive_after_years``; close one still inactive
        ``inactive_notice_days`` after the notice. Returns the new relationship end, if any."""
        channel = self._notice_channel()
        if self._inactive_years <= 0 or channel is None:
            return None
        cutoff = years_later(day, -self._inactive_years)
        messenger = self._messenger
        assert messenger is not None  # a channel exists
        with self._db.read() as conn:
            notices = {
                r.customer_id: r.on_date
                for r in conn.execute(
                    select(events.c.customer_id, events.c.on_date).where(
                        events.c.tenant == self._tenant, events.c.event == "inactive_notice"
                    )
                )
            }

        def step(
            customer_id: str, times: Sequence[RecordTimes], held: bool, ended: date | None
        ) -> date | None:
            if ended is not None or held:
                return None
            last = max((local_date(updated) for _, _, updated, _ in times), default=None)
            if last is None or last > cutoff:
                return None
            notice = notices.get(customer_id)
            try:
                if notice is None or notice < last:  # never told, or active again since the notice
                    self._notify(ctx, customer_id, day, channel)
                    counts["notified"] += 1
                elif notice + timedelta(days=self._notice_days) <= day:
                    # Cleaned up only once the notice has reached the customer: one that failed
                    # (no working address, the gateway refused) is sent again and the period restarts.
                    delivered = messenger.status(_notice_reference(customer_id))
                    if delivered == "sent":
                        self._close_inactive(ctx, customer_id, last, notice)
                        counts["inactive_closed"] += 1
                        return last
                    if delivered != "pending":
                        self._notify(ctx, customer_id, day, channel)
                        counts["notified"] += 1
            except Exception:
                log.exception("inactive-account step failed for one customer")
            return None

        return step

    def _notice_channel(self) -> str | None:
        if self._messenger is None:
            return None
        return next((c for c in ("sms", "email") if self._messenger.has_channel(c)), None)

    def _notify(self, ctx: RequestContext, customer_id: str, day: date, channel: str) -> None:
        messenger = self._messenger
        assert messenger is not None
        deadline = day + timedelta(days=self._notice_days)

        def handler(call: Call) -> None:
            call.note(channel=channel)
            with call.transaction() as conn:
                self._set_event(conn, customer_id, "inactive_notice", day, ctx, "notice before clean-up")
                messenger.enqueue(
                    conn,
                    customer_id,
                    "inactive_notice",
                    {"years": str(self._inactive_years), "deadline": deadline.isoformat()},
                    channel=channel,
                    reference=_notice_reference(customer_id),
                )

        self.kernel.run(ctx, NOTIFY, handler, subject=customer_id)

    def _close_inactive(self, ctx: RequestContext, customer_id: str, last: date, notice: date) -> None:
        def handler(call: Call) -> None:
            with call.transaction() as conn:
                why = f"inactive since {last.isoformat()}, notified {notice.isoformat()}, no response"
                self._set_event(conn, customer_id, "relationship_end", last, ctx, why)

        self.kernel.run(ctx, INACTIVE_CLOSE, handler, subject=customer_id)

    def _set_event(
        self, conn: Connection, customer_id: str, event: str, on_date: date, ctx: RequestContext, reason: str
    ) -> None:
        t = events.c
        conn.execute(
            events.delete().where(t.tenant == self._tenant, t.customer_id == customer_id, t.event == event)
        )
        conn.execute(
            insert(events).values(
                tenant=self._tenant,
                customer_id=customer_id,
                event=event,
                on_date=on_date,
                by=ctx.actor.id,
                at=self._clock.now(),
                reason=self._box.seal(reason, f"lifecycle:{self._tenant}:{customer_id}:{event}"),
            )
        )

    def _apply(
        self,
        ctx: RequestContext,
        customer_id: str,
        planned: list[RecordPlan],
        run_id: str,
        times: Sequence[RecordTimes],
    ) -> bool:
        counted = self._counted(planned, times)

        def count(conn: Connection) -> None:
            self._count(conn, counted)
            if counted:
                self._note_anonymised(conn, customer_id, counted)

        def handler(call: Call) -> bool:
            every = {ref.record_id for ref in call.view.records()}
            doomed = {p.record_id for p in planned if p.action == "destroy"}
            if doomed >= every:
                call.note(deleted=len(every), stripped=0, shredded=True)
                call.view.destroy(also=count if counted else None)
                return True
            strip = {p.record_id: p.fields for p in planned if p.action == "strip"}
            call.note(deleted=len(doomed), stripped=len(strip), shredded=False)
            floors = self._floors_only(times, doomed, strip)
            enter = self._storage_only if floors else None

            def also(conn: Connection) -> None:
                count(conn)
                if enter is not None:
                    enter(conn, customer_id, floors, run_id)

            call.view.erase_partly(drop_records=doomed, strip_records=strip, also=also)
            return False

        return self.kernel.run(ctx, APPLY, handler, subject=customer_id)

    def _counted(
        self, planned: list[RecordPlan], times: Sequence[RecordTimes]
    ) -> dict[tuple[str, str, str], int]:
        """What ``anonymise`` keeps of ``planned``: records by record type, rule and the month of
        their transaction date (unsealed times only: nothing is opened)."""
        when = {ref.record_id: (created, updated) for ref, created, updated, _ in times}
        out: dict[tuple[str, str, str], int] = {}
        for plan in planned:
            if not plan.anonymised or plan.record_id not in when:
                continue
            created, updated = when[plan.record_id]
            spec = self._catalog.record_types[plan.record_type]
            month = local_date(updated if spec.transaction_date == "updated" else created).strftime("%Y-%m")
            for rule in plan.anonymised:
                key = (plan.record_type, rule, month)
                out[key] = out.get(key, 0) + 1
        return out

    def _note_anonymised(
        self, conn: Connection, customer_id: str, counted: Mapping[tuple[str, str, str], int]
    ) -> None:
        """Leave on the erasing transaction's connection how many records are anonymised before they
        go, per record type: the destruction record written next in it (:meth:`erasing`) names them."""
        anonymised: dict[str, int] = {}
        for (record_type, _, _), n in counted.items():
            anonymised[record_type] = anonymised.get(record_type, 0) + n
        conn.info[_ANONYMISED] = (customer_id, dict(sorted(anonymised.items())))

    def _count(self, conn: Connection, counted: Mapping[tuple[str, str, str], int]) -> None:
        """Add ``counted`` to the statistics in the erasing transaction (an upsert on both backends,
        so two runs never lose a count)."""
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        for (record_type, rule, month), n in counted.items():
            stmt = dialect.insert(statistics).values(
                tenant=self._tenant, record_type=record_type, rule=rule, month=month, records=n
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["tenant", "record_type", "rule", "month"],
                    set_={"records": statistics.c.records + stmt.excluded.records},
                )
            )

    def _floors_only(
        self, times: Sequence[RecordTimes], doomed: set[str], strip: Mapping[str, tuple[str, ...]]
    ) -> list[str]:
        """The floor purposes that keep what would be left, if only legal floors keep it (then the
        customer enters the storage-only state, PIPL 47(2)); else an empty list (data still in use)."""
        rules: set[str] = set()
        kept: dict[str, set[str]] = {}
        for ref, _, _, present in times:
            if ref.record_id in doomed:
                continue
            spec = self._catalog.record_types[ref.record_type]
            left = set(present) - set(strip.get(ref.record_id, ()))
            kept.setdefault(ref.record_type, set()).update(left)
            for name in left:
                rule = spec.fields[name].retention or spec.retention if name in spec.fields else None
                if rule:
                    rules.add(rule)
        if not rules or any(not self._catalog.retention_rules[r].legal_floor_years for r in rules):
            return []
        return sorted(
            name
            for name, purpose in self._catalog.purposes.items()
            if purpose.retention_floor_years
            and any(set(self._catalog.fields_for(name, rt)) & fields for rt, fields in kept.items())
        )

    def _sweep(
        self,
        day: date,
        step: Callable[[str, Sequence[RecordTimes], bool, date | None], date | None] | None = None,
    ) -> Iterator[tuple[str, list[RecordPlan], bool, list[RecordTimes]]]:
        """Every customer with their plan as of ``day``, whether a hold is in force, and the record
        times the plan was made from (``step`` first, when given: it may end the relationship)."""
        ended: dict[str, date] = {}
        contracts: dict[str, date] = {}
        fulfilled: dict[str, dict[str, date]] = {}
        decisions: dict[str, dict[tuple[str, str], date | None]] = {}
        with self._db.read() as conn:
            for r in conn.execute(
                select(events.c.customer_id, events.c.event, events.c.on_date).where(
                    events.c.tenant == self._tenant,
                    events.c.event.in_(("relationship_end", "contract_end"))
                    | events.c.event.startswith("purpose_fulfilled:"),
                )
            ):
                if r.event == "relationship_end":
                    ended[r.customer_id] = r.on_date
                elif r.event == "contract_end":
                    contracts[r.customer_id] = r.on_date
                else:
                    fulfilled.setdefault(r.customer_id, {})[r.event.split(":", 1)[1]] = r.on_date
            t = reviews.c
            for d in conn.execute(
                select(t.customer_id, t.record_id, t.rule, t.status, t.keep_until)
                .where(t.tenant == self._tenant, t.status != "open")
                .order_by(t.decided_at, t.id)
            ):  # the latest decision on a record's rule wins
                decisions.setdefault(d.customer_id, {})[(d.record_id, d.rule)] = (
                    None if d.status == "destroy" else d.keep_until
                )
            on_hold = set(
                conn.execute(
                    select(holds.c.customer_id).where(
                        holds.c.tenant == self._tenant, holds.c.released_at.is_(None)
                    )
                ).scalars()
            )
        for customer_id in list(self.kernel.customer_ids()):
            raw = self.kernel.record_times(customer_id)
            held = customer_id in on_hold
            if step is not None:
                closed = step(customer_id, raw, held, ended.get(customer_id))
                if closed is not None:
                    ended[customer_id] = closed
            times = [(ref.record_type, ref.record_id, c, u, f) for ref, c, u, f in raw]
            decided: Decisions = decisions.get(customer_id, {})
            planned = plan_records(
                self._catalog,
                times,
                as_of=day,
                relationship_end=ended.get(customer_id),
                withdrawn=self._withdrawn(customer_id),
                contract_end=contracts.get(customer_id),
                fulfilled=fulfilled.get(customer_id),
                decisions=decided,
            )
            yield customer_id, planned, held, raw

    def _records_since(self, since: datetime, operation: str) -> list[str]:
        """The destruction records ``operation`` left since ``since`` (one query for a whole run)."""
        with self._db.read() as conn:
            return list(
                conn.execute(
                    select(destructions.c.id)
                    .where(
                        destructions.c.tenant == self._tenant,
                        destructions.c.operation == operation,
                        destructions.c.at >= since,
                    )
                    .order_by(destructions.c.at, destructions.c.id)
                ).scalars()
            )

    # ------------------------------------------------------------------ destruction records

    def destructions(self, ctx: RequestContext, *, limit: int = 200) -> list[dict[str, Any]]:
        """Destruction records, newest first (their documents: ids and counts, no values)."""

        def handler(call: Call) -> list[dict[str, Any]]:
            query = (
                select(destructions)
                .where(destructions.c.tenant == self._tenant)
                .order_by(destructions.c.at.desc(), destructions.c.id)
                .limit(max(1, min(limit, 5000)))
            )
            with self._db.read() as conn:
                found = [self._document(dict(r)) for r in conn.execute(query).mappings()]
            call.note(count=len(found))
            return found

        return self.kernel.run(ctx, DESTRUCTIONS, handler)

    def destruction(self, ctx: RequestContext, record_id: str) -> dict[str, Any]:
        """One signed destruction record. :raises NotFound: no such record."""

        def handler(call: Call) -> dict[str, Any]:
            call.note(destruction=record_id[:40])
            with self._db.read() as conn:
                row = (
                    conn.execute(
                        select(destructions).where(
                            destructions.c.tenant == self._tenant, destructions.c.id == record_id[:40]
                        )
                    )
                    .mappings()
                    .first()
                )
            if row is None:
                raise NotFound("no such destruction record")
            return self._document(dict(row))

        return self.kernel.run(ctx, DESTRUCTION, handler)

    def check(self, ctx: RequestContext) -> int:
        """Verify and sign every record left unsigned (a crash between commit and signing)."""

        def handler(call: Call) -> int:
            with self._db.read() as conn:
                pending = list(
                    conn.execute(
                        select(destructions.c.id).where(
                            destructions.c.tenant == self._tenant, destructions.c.signature.is_(None)
                        )
                    ).scalars()
                )
            for record_id in pending:
                self._verify_and_sign(record_id)
            call.note(count=len(pending))
            return len(pending)

        return self.kernel.run(ctx, CHECK, handler)

    def erasing(self, conn: Connection, erasure: Erasure) -> None:
        """In the erasing transaction: the record, unsigned (so no erasure commits without one)."""
        record_id = "dst_" + secrets.token_hex(10)
        now = self._clock.now()
        document = {
            "schema": SCHEMA,
            "id": record_id,
            "tenant": self._tenant,
            "at": now.isoformat(),
            "operation": erasure.operation,
            "operator": erasure.actor,
            "method": erasure.method,
            "customer_id": erasure.customer_id,
            "deleted": dict(sorted(erasure.deleted.items())),
            "stripped": dict(sorted(erasure.stripped.items())),
            "fields": {rt: list(names) for rt, names in sorted(erasure.fields.items())},
            "records": sum(erasure.deleted.values()),
            "key_id": self.key_id,
        }
        noted = conn.info.pop(_ANONYMISED, None)
        if noted is not None and noted[0] == erasure.customer_id:
            document["anonymised"] = noted[1]
        conn.execute(
            insert(destructions).values(
                tenant=self._tenant,
                id=record_id,
                at=now,
                customer_id=erasure.customer_id,
                operation=erasure.operation,
                method=erasure.method,
                records=document["records"],
                document=json.dumps(document, ensure_ascii=False, sort_keys=True),
            )
        )

    def erased(self, erasure: Erasure) -> None:
        """Once committed: verify and sign the customer's unsigned records."""
        with self._db.read() as conn:
            pending = list(conn.execute(self.unsigned(erasure.customer_id)).scalars())
        for record_id in pending:
            self._verify_and_sign(record_id)

    def unsigned(self, customer_id: str) -> Select[Any]:
        """The query for a customer's records not yet signed: one per erasure, on an index (a scan
        here made each erasure cost more than the one before)."""
        return select(destructions.c.id).where(
            destructions.c.tenant == self._tenant,
            destructions.c.customer_id == customer_id,
            destructions.c.signature.is_(None),
        )

    def _verify_and_sign(self, record_id: str) -> None:
        with self._db.transaction() as conn:
            row = conn.execute(
                select(destructions.c.document, destructions.c.signature).where(
                    destructions.c.tenant == self._tenant, destructions.c.id == record_id
                )
            ).first()
            if row is None or row.signature is not None:
                return  # signed meanwhile (another node's job)
            document = json.loads(row.document)
            now = self._clock.now()
            remaining = self.kernel.record_counts(document["customer_id"])
            left = {rt: n for rt, n in remaining.items() if rt in document["deleted"]}
            unreadable = (
                self.kernel.is_erased(document["customer_id"])
                if document["method"] == "crypto_shred"
                else not left
            )
            document["verification"] = {
                "checked_at": now.isoformat(),
                "unreadable": unreadable,
                "remaining": dict(sorted(left.items())),
            }
            signature = self._key.sign(message(document)).hex()
            conn.execute(
                update(destructions)
                .where(destructions.c.tenant == self._tenant, destructions.c.id == record_id)
                .values(
                    document=json.dumps(document, ensure_ascii=False, sort_keys=True),
                    signature=signature,
                    verified_at=now,
                )
            )

    @staticmethod
    def _document(row: Mapping[str, Any]) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(row["document"])
        document["signature"] = row["signature"]
        return document

    # ------------------------------------------------------------------ the barrier

    def _barrier(self, conn: Connection, customer_id: str) -> None:
        found = self._active(conn, customer_id)
        if found is not None:
            matter = f", matter {found.matter}" if found.matter else ""
            raise AccessDenied(
                f"the customer is under legal hold {found.id}{matter}: nothing of theirs may be "
                "destroyed until the hold is released (R-DST-2)",
                "lifecycle.legal_hold",
                key="legal_hold",
                params={"hold": found.id},
            )

    def _active(self, conn: Connection, customer_id: str) -> Any:
        return conn.execute(
            select(holds.c.id, holds.c.matter)
            .where(
                holds.c.tenant == self._tenant,
                holds.c.customer_id == customer_id,
                holds.c.released_at.is_(None),
            )
            .order_by(holds.c.placed_at)
            .limit(1)
        ).first()

    # ------------------------------------------------------------------ rows

    def _context(self, hold_id: str, step: str) -> str:
        return f"lifecycle:{self._tenant}:{hold_id}:{step}"

    def _row(self, hold_id: str) -> dict[str, Any]:
        if not isinstance(hold_id, str) or not hold_id.startswith("hold_") or len(hold_id) > 40:
            raise NotFound("no such hold")
        with self._db.read() as conn:
            found = (
                conn.execute(select(holds).where(holds.c.tenant == self._tenant, holds.c.id == hold_id))
                .mappings()
                .first()
            )
        if found is None:
            raise NotFound("no such hold")
        return dict(found)

    def _hold(self, conn: Connection, hold_id: str, *, reasons: bool) -> Hold:
        row = conn.execute(
            select(holds).where(holds.c.tenant == self._tenant, holds.c.id == hold_id)
        ).mappings()
        return self._from_row(dict(row.one()), reasons=reasons)

    def _from_row(self, row: Mapping[str, Any], *, reasons: bool) -> Hold:
        def opened(column: str, step: str) -> str | None:
            if not reasons or not row[column]:
                return None
            return self._box.open(row[column], self._context(row["id"], step))

        return Hold(
            id=row["id"],
            customer_id=row["customer_id"],
            matter=row["matter"],
            owner=row["owner"],
            review_on=row["review_on"],
            placed_by=row["placed_by"],
            placed_at=row["placed_at"],
            released_by=row["released_by"],
            released_at=row["released_at"],
            reason=opened("reason", "placed"),
            release_reason=opened("release_reason", "released"),
        )


def _review(row: Mapping[str, Any]) -> dict[str, Any]:
    """A review as the edges see it (no reason: it is sealed)."""
    out: dict[str, Any] = {k: row.get(k) for k in (
        "id", "customer_id", "record_type", "record_id", "rule", "due", "queued_at", "status",
        "keep_until", "decided_by", "decided_at",
    )}  # fmt: skip
    for key in ("due", "queued_at", "keep_until", "decided_at"):
        if out[key] is not None:
            out[key] = out[key].isoformat()
    return out


def _reason(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("a reason is required", "reason")
    if len(text) > MAX_REASON:
        raise ValidationError(f"the reason is longer than {MAX_REASON} characters", "reason")
    return text.strip()


def _reference(text: object, field: str, longest: int) -> str | None:
    """A short reference (a court case number, a staff id): no control characters, and no personal
    information (it is stored and listed in clear, so the detector must find nothing in it)."""
    if text is None or text == "":
        return None
    if not isinstance(text, str) or len(text) > longest:
        raise ValidationError(f"give a reference of at most {longest} characters", field)
    text = text.strip()
    for position, char in enumerate(text, start=1):
        if not char.isprintable():
            raise ValidationError(f"contains a control character at position {position}", field)
    if mask_free_text(text) != text:
        raise ValidationError("looks like it holds personal information: give a case reference", field)
    return text
