"""Data-subject requests and complaints as cases on the gate (R-RGT-1..4, R-RGT-7).

Every step is a declared operation about the case's customer, authorised for the caller's role
(``write`` to take a request in and verify the requester, ``approve`` to decide: pause, extend,
refuse, complete; ``read`` to look), and every change to a case commits in the same
transaction as its audit entry (and, for a deletion, as the crypto-shred itself). Messages to
the requester (receipt, code, extension, outcome) are queued in that transaction too, through
the one outbox. The clock is :mod:`piguard.rights.deadline`, recomputed from the timeline.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from piguard.calendar import DEFAULT_CALENDAR, WorkingCalendar, local_date
from piguard.catalog import Catalog
from piguard.catalog.vocabulary import DATA_SUBJECT_RIGHTS_PURPOSE
from piguard.clock import Clock, SystemClock
from piguard.errors import AccessDenied, Conflict, NotFound, ValidationError
from piguard.gate.sdk import (
    Call,
    Kernel,
    Messenger,
    Operation,
    RequestContext,
    SecretBox,
    Storage,
    Subject,
    customer_context,
)
from piguard.rights.deadline import Deadline, Pause, compute_due, policy_for
from piguard.rights.guards import Restriction
from piguard.rights.letters import refusal_letter
from piguard.rights.model import (
    CHANNELS,
    GUARDIANS,
    MESSAGE_CHANNEL,
    MINOR_BANDS,
    RELATIONS,
    RELATIVE_TYPES,
    RELATIVES,
    REQUEST_TYPES,
    STATUSES,
    TERMINAL,
    TYPE_LABELS,
    Case,
    Event,
)
from piguard.rights.tables import cases, codes, events, instructions, packages, restrictions, storage_only

__all__ = ["OPERATIONS", "Rights"]

NAME = "rights"


def _op(name: str, actions: tuple[Any, ...], subject: Subject, summary: str, **kw: Any) -> Operation:
    return Operation(name, actions, subject, NAME, purpose=False, summary=summary, **kw)


OPEN = _op(
    "rights_open",
    ("write", "approve"),
    "customer",
    "take in a rights request or complaint and start its clock",
    writes=True,
    requirements=("R-RGT-1", "R-RGT-3", "R-RGT-6", "R-RGT-7", "R-MIN-3"),
    detail={
        "type": "token",
        "channel": "token",
        "relation": "token",
        "relationship": "token",
        "provisional": "bool",
        "outcome": "token",
    },
)
SHOW = _op(
    "rights_show",
    ("read", "audit"),
    "customer",
    "a case and its timeline",
    requirements=("R-RGT-1",),
)
LIST = _op(
    "rights_list",
    ("read", "audit"),
    "none",
    "cases by status, type, customer and due date (overdue first)",
    requirements=("R-RGT-3",),
    detail={"count": "int"},
)
SEND_CODE = _op(
    "rights_send_code",
    ("write", "approve"),
    "customer",
    "send the requester a one-time code at the contact on record",
    writes=True,
    requirements=("R-RGT-2",),
    detail={"channel": "token"},
)
VERIFY = _op(
    "rights_verify",
    ("write", "approve"),
    "customer",
    "verify the requester's identity: one-time code, or in person at the counter",
    writes=True,
    requirements=("R-RGT-2",),
    detail={"method": "token", "outcome": "token"},
)
PAUSE = _op(
    "rights_pause", ("approve",), "customer", "stop the clock while waiting for the requester",
    writes=True, requirements=("R-RGT-3",),
)  # fmt: skip
RESUME = _op(
    "rights_resume", ("approve",), "customer", "restart the clock", writes=True, requirements=("R-RGT-3",)
)
EXTEND = _op(
    "rights_extend",
    ("approve",),
    "customer",
    "extend the deadline (with a reason, told to the requester)",
    writes=True,
    requirements=("R-RGT-3",),
    detail={"extension": "int"},
)
REFUSE = _op(
    "rights_refuse",
    ("approve",),
    "customer",
    "refuse a request, with its reason and the remedy",
    writes=True,
    requirements=("R-RGT-4",),
    detail={"type": "token", "written": "bool", "content_hash": "token"},
)
COMPLETE = _op(
    "rights_complete",
    ("approve",),
    "customer",
    "fulfil a request (deletion crypto-shreds; explanation is generated) or close a complaint",
    writes=True,
    requirements=("R-RGT-1", "R-RGT-7", "R-DST-1", "R-DST-2"),
    detail={"type": "token", "outcome": "token", "records": "int", "stripped": "int"},
)
CLOCK = _op(
    "rights_clock",
    ("administer",),
    "none",
    "recompute due dates (calendar data may have changed); count overdue and nearly due cases",
    requirements=("R-RGT-3",),
    detail={"overdue": "int", "nearly_due": "int", "provisional_cases": "int", "recomputed": "int"},
)

PACKAGE = Operation(
    "rights_package",
    ("read",),
    "customer",
    NAME,
    purposes=(DATA_SUBJECT_RIGHTS_PURPOSE,),
    summary="the customer's own copy (PIPL 45), read as the customer for an access or portability request",
    requirements=("R-RGT-1", "R-RGT-5"),
    detail={"records": "int", "content_hash": "token", "kind": "token"},
    as_customer=True,
    part_of="rights_complete",
)
DOWNLOAD = Operation(
    "rights_package_download",
    ("read",),
    "customer",
    NAME,
    purpose=False,
    writes=True,
    summary="the one-time download of a copy by its link (then blanked)",
    requirements=("R-RGT-1",),
    detail={"format": "token", "content_hash": "token"},
)

CORRECT = Operation(
    "rights_correct",
    ("write",),
    "customer",
    NAME,
    purposes=(DATA_SUBJECT_RIGHTS_PURPOSE,),
    writes=True,
    summary="the customer's own correction or supplement of a record (PIPL 46), written as the customer",
    requirements=("R-RGT-1",),
    detail={"record_type": "token"},
    as_customer=True,
    part_of="rights_complete",
)
LETTER = _op(
    "rights_letter",
    ("read", "audit"),
    "customer",
    "the written refusal of a minor's request, to print or post (Minors Regs 34)",
    requirements=("R-RGT-4", "R-MIN-3"),
    detail={"content_hash": "token"},
)
INSTRUCT = _op(
    "rights_instruct",
    ("write", "approve"),
    "customer",
    "record what the customer arranged for after their death (no relatives' access, PIPL 49)",
    writes=True,
    requirements=("R-RGT-6",),
    detail={"no_relatives": "bool"},
)

OPERATIONS: tuple[Operation, ...] = (
    OPEN, SHOW, LIST, SEND_CODE, VERIFY, PAUSE, RESUME, EXTEND, REFUSE, COMPLETE, CLOCK, PACKAGE, DOWNLOAD,
    CORRECT, LETTER, INSTRUCT,
)  # fmt: skip
#: The versioned shapes of the copies (documented in docs/rights.md).
ACCESS_SCHEMA = "piguard.access-package/1"
PORTABILITY_SCHEMA = "piguard.portability/1"
#: The legal bases under which data "came via consent or contract" (NDSMR 25's portability condition).
PORTABLE_BASES = frozenset({"consent", "contract"})
Extra = Callable[[RequestContext, str], Any]
#: A fulfilment another capability performs, run as the customer: ``(ctx, customer_id, params)``.
Fulfilment = Callable[[RequestContext, str, Mapping[str, Any]], Any]
#: What each such fulfilment's outcome is called.
FULFILLED = {"withdrawal": "withdrawn", "marketing_optout": "opted_out"}

#: The remedy a refusal names (PIPL 50: a refused individual may sue).
REMEDY = {
    "zh": "如对处理结果有异议，您可以向履行个人信息保护职责的部门投诉、举报，或依法向人民法院提起诉讼。",
    "en": "If you disagree, you may complain to the personal information protection authority or sue in a "
    "people's court (PIPL 50).",
}
#: The reason a relative's request is refused when the customer arranged so (PIPL 49).
NO_RELATIVES_REASON = (
    "死者生前另有安排：不同意近亲属行使其个人信息相关权利（《个人信息保护法》第四十九条）。"
    " The deceased arranged that close relatives may not exercise these rights (PIPL 49)."
)
CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODE_SENDS_PER_HOUR = 3
#: Requests that hand out or destroy data: verified by code, they need stated values that match too.
STATED_TYPES = frozenset({"access", "portability", "deletion", "account_closure", "correction"})
#: How many stated values such a request needs, and how many mismatching tries a case allows.
STATED_MINIMUM, STATED_ATTEMPTS = 2, 3
#: A case is "nearly due" this many working days before its due date.
NEARLY_DUE = 2


class Rights:
    """The rights capability over the data database (its own tables) and the outbox."""

    name = NAME
    operations = OPERATIONS

    def __init__(
        self,
        db: Storage,
        catalog: Catalog,
        tenant: str,
        *,
        box: SecretBox,
        code_key: bytes,
        messenger: Messenger,
        profile: str = "cn",
        calendar: WorkingCalendar = DEFAULT_CALENDAR,
        clock: Clock | None = None,
        extras: Mapping[str, Extra] | None = None,
        fulfilments: Mapping[str, Fulfilment] | None = None,
        public_url: str = "http://127.0.0.1:8700",
        package_ttl: timedelta = timedelta(days=7),
        age_of: Callable[[str], str | None] | None = None,
        organisation: str = "",
    ) -> None:
        """:param box: seals staff-typed reasons, bound to their case and step.
        :param code_key: keys the digest of one-time codes (a code is six digits: unkeyed, its
            digest would fall to a million guesses).
        :param profile: the deadline profile (``cn``: 15 working days; ``gdpr``: one month).
        :param extras: what else a copy holds, each read as the customer (``consents``,
            ``access_history``: other capabilities' operations, wired by the installation).
        :param fulfilments: request types another capability carries out (``withdrawal``,
            ``marketing_optout``: the consent ledger's operations), run as the customer.
        :param public_url: where customers reach ``/v1/packages/<token>`` (the one-time link).
        :param age_of: the customer's recorded age band (``under14``, ``minor``, ``adult``, ``None``:
            unknown), the consent ledger's: who may act for a minor, when a refusal is in writing.
        :param organisation: the name a written refusal is issued in.
        """
        policy_for(profile, "access")  # an unknown profile fails at start, not on the first case
        self._db, self._catalog, self._tenant = db, catalog, tenant
        self._box, self._code_key, self._messenger = box, code_key, messenger
        self.profile, self.calendar = profile, calendar
        self._clock = clock or SystemClock()
        self._extras = dict(extras or {})
        self._fulfilments = dict(fulfilments or {})
        self._public_url, self._package_ttl = public_url.rstrip("/"), package_ttl
        self._age_of = age_of or (lambda customer_id: None)
        self._organisation = organisation
        self._kernel: Kernel | None = None

    def bind(self, kernel: Kernel) -> None:
        self._kernel = kernel
        kernel.add_guard(Restriction(self._db, self._tenant))

    @property
    def kernel(self) -> Kernel:
        if self._kernel is None:
            raise RuntimeError("the rights capability is not mounted on a gate")
        return self._kernel

    # ------------------------------------------------------------------ intake

    def open(
        self,
        ctx: RequestContext,
        customer_id: str,
        type: str,
        *,
        channel: str,
        received: datetime | None = None,
        relation: str = "self",
        source: str | None = None,
        relationship: str | None = None,
        requester: Mapping[str, str] | None = None,
    ) -> Case:
        """Take a request (or, with ``type="complaint"``, a complaint) in; the clock starts at
        ``received`` (default now; a letter that arrived earlier gives its date, never a future one).

        Someone other than the customer states who they are (``requester``: ``name`` and
        ``document``, the number of the ID document they showed, sealed in the case) and their
        ``relationship``:

        - ``guardian`` (Minors Regs 33, R-MIN-3): a ``parent`` or ``legal_guardian`` of a customer
          whose recorded age is under 18;
        - ``relative`` (PIPL 49, R-RGT-6): a close relative (``spouse``, ``parent``, ``child``,
          ``sibling``, ``grandparent``, ``grandchild``) of a deceased customer, for access, correction
          or deletion, with ``document`` also naming the death certificate; if the customer
          arranged that no relative may, the case is refused at once, with that reason, in writing.

        :raises ValidationError: unknown type, channel, relation or relationship, a requester's
            details missing or given for the customer themself, a naive or future ``received``.
        """
        if type not in REQUEST_TYPES:
            raise ValidationError(f"type must be one of {', '.join(REQUEST_TYPES)}", "type")
        if channel not in CHANNELS:
            raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}", "channel")
        if relation not in RELATIONS:
            raise ValidationError(f"requester relation must be one of {', '.join(RELATIONS)}", "relation")
        now = self._clock.now()
        when = received or now
        if when.tzinfo is None:
            raise ValidationError("give the time the request was received with its time zone", "received")
        if when > now + timedelta(minutes=5):  # a little clock skew between machines, no more
            raise ValidationError("the time received cannot be in the future", "received")
        if source is not None and not 0 < len(source) <= 64:
            raise ValidationError("source must be 1-64 characters", "source")
        stated = _requester(type, relation, relationship, requester)
        case_id = "req_" + secrets.token_hex(10)
        deadline = compute_due(when, policy_for(self.profile, type), calendar=self.calendar)

        def handler(call: Call) -> Case:
            if relation == "guardian" and self._age_of(customer_id) not in MINOR_BANDS:
                raise ValidationError(
                    "a guardian acts for a customer under 18: no recorded birth date shows this customer "
                    "is a minor (record the birth date or resident ID first, or take the request from "
                    "the customer)",
                    "relation",
                )
            barred = relation == "relative" and self._no_relatives(customer_id)
            call.note(
                type=type, channel=channel, relation=relation, provisional=deadline.provisional,
                relationship=relationship or "self", outcome="refused" if barred else "received",
            )  # fmt: skip
            with call.transaction() as conn:
                conn.execute(
                    insert(cases).values(
                        id=case_id,
                        tenant=self._tenant,
                        type=type,
                        customer_id=customer_id,
                        channel=channel,
                        relation=relation,
                        relationship=relationship,
                        requester=self._box.seal(
                            json.dumps(stated, sort_keys=True), _who(self._tenant, case_id)
                        )
                        if stated
                        else None,
                        source=source,
                        intake_by=ctx.actor.id,
                        status="received",
                        received_at=when,
                        due=deadline.due,
                        provisional=deadline.provisional,
                        calendar_version=deadline.calendar_version,
                        extension=0,
                    )
                )
                self._event(
                    conn, case_id, "opened", ctx, None,
                    {"type": type, "channel": channel, "relation": relation, "relationship": relationship},
                )  # fmt: skip
                if barred:
                    # PIPL 49: "unless the deceased arranged otherwise". The relative is answered in
                    # writing, with the reason and the remedy, by the officer (no message to the dead).
                    self._close(conn, case_id, "refused", "refused_in_writing", now)
                    self._event(conn, case_id, "refused", ctx, NO_RELATIVES_REASON, {"remedy": "court"})
                else:
                    self._tell(
                        conn, case_id, customer_id, channel, "request_received", due=deadline.due, type=type
                    )  # fmt: skip
            return self._case(case_id)

        return self.kernel.run(ctx, OPEN, handler, subject=customer_id)

    # ------------------------------------------------------------------ looking

    def show(self, ctx: RequestContext, case_id: str) -> Case:
        """:raises NotFound: no such case."""
        return self.kernel.run(ctx, SHOW, lambda call: self._case(case_id), subject=self._owner(case_id))

    def find(
        self,
        ctx: RequestContext,
        *,
        status: str | None = None,
        type: str | None = None,
        customer_id: str | None = None,
        overdue: bool = False,
        due_before: date | None = None,
        limit: int = 200,
    ) -> list[Case]:
        """Cases, overdue and soonest due first (closed ones last).

        :raises ValidationError: an unknown status or type, or a limit outside 1-1000.
        """
        if status is not None and status not in STATUSES:
            raise ValidationError(f"status must be one of {', '.join(STATUSES)}", "status")
        if type is not None and type not in REQUEST_TYPES:
            raise ValidationError(f"type must be one of {', '.join(REQUEST_TYPES)}", "type")
        if not 1 <= limit <= 1000:
            raise ValidationError("limit must be between 1 and 1000", "limit")
        today = local_date(self._clock.now())

        def handler(call: Call) -> list[Case]:
            t = cases.c
            query = select(t.id).where(t.tenant == self._tenant)
            if status is not None:
                query = query.where(t.status == status)
            if type is not None:
                query = query.where(t.type == type)
            if customer_id is not None:
                query = query.where(t.customer_id == customer_id)
            if overdue:
                query = query.where(t.due < today, t.status.not_in(TERMINAL))
            if due_before is not None:
                query = query.where(t.due <= due_before)
            with self._db.read() as conn:
                ids = conn.execute(query.order_by(t.due, t.received_at).limit(limit)).scalars().all()
            found = [self._case(i, timeline=False) for i in ids]
            found.sort(key=lambda c: (c.status in TERMINAL, c.due, c.received_at))
            call.note(count=len(found))
            return found

        return self.kernel.run(ctx, LIST, handler)

    # ------------------------------------------------------------------ identity (R-RGT-2)

    def send_code(self, ctx: RequestContext, case_id: str, *, channel: str | None = None) -> Case:
        """Send the requester a one-time code at the contact on record (the outbox reads it).

        :raises ValidationError: no channel to send by (counter and letter requests are verified in
            person), the case is closed, or too many codes were sent within the hour.
        """
        row = self._row(case_id)
        if row["relation"] == "relative":
            raise ValidationError(
                "a relative is verified in person: their own ID document, proof of the relationship and "
                "the death certificate (a code would go to the deceased's contact)",
                "relation",
            )
        via = channel or MESSAGE_CHANNEL.get(row["channel"])
        if via is None or not self._messenger.has_channel(via):
            raise ValidationError(
                "no message channel for this request: verify the requester in person", "channel"
            )
        now = self._clock.now()

        def handler(call: Call) -> Case:
            self._open_only(row)
            code = f"{secrets.randbelow(10**6):06d}"
            call.note(channel=via)
            with call.transaction() as conn:
                previous = conn.execute(select(codes).where(codes.c.case_id == case_id)).mappings().first()
                sends = 1
                if previous is not None:
                    recent = previous["sent_at"] > now - timedelta(hours=1)
                    sends = previous["sends"] + 1 if recent else 1
                    if sends > CODE_SENDS_PER_HOUR:
                        raise ValidationError(
                            "too many codes sent for this request within the hour; wait", "code"
                        )
                    conn.execute(codes.delete().where(codes.c.case_id == case_id))
                conn.execute(
                    insert(codes).values(
                        case_id=case_id,
                        tenant=self._tenant,
                        digest=self._digest(case_id, code),
                        expires_at=now + CODE_TTL,
                        attempts=0,
                        sent_at=now,
                        sends=sends,
                    )
                )
                self._messenger.enqueue(
                    conn,
                    row["customer_id"],
                    "verification_code",
                    {"code": code, "minutes": str(int(CODE_TTL.total_seconds() // 60))},
                    channel=via,
                    reference=case_id,
                )
                self._event(conn, case_id, "code_sent", ctx, None, {"channel": via})
            return self._case(case_id)

        return self.kernel.run(ctx, SEND_CODE, handler, subject=row["customer_id"])

    def verify(
        self,
        ctx: RequestContext,
        case_id: str,
        *,
        code: str | None = None,
        in_person: bool = False,
        stated: Mapping[str, str] | None = None,
    ) -> Case:
        """Verify the requester by the code sent (``code``) or in person (``in_person``, recording
        who checked the ID document at the counter). A wrong, expired or used code is refused and
        recorded; five wrong codes void it.

        ``stated``: what the requester says of the customer's profile (``name``, ``resident_id``,
        ``mobile`` …), matched against the vault without anyone seeing the stored values (the gate's
        yes/no ``match``, under the caller's purpose and probe budget), checked before the code. A
        request that hands out or destroys data (access, portability, deletion, account closure,
        correction) verified by code needs at least two stated values that match as well (R-RGT-2:
        what the requester knows, and the phone or mailbox on record). Three mismatches on a case
        leave only verification in person.

        :raises ValidationError: neither or both ways given; stated values missing where required,
            or given without a code or without a purpose to match them under.
        :raises AccessDenied: the code is wrong, expired, used or voided, or a stated value does not
            match (after it was recorded).
        """
        if (code is None) == (not in_person):
            raise ValidationError("give either the code or --in-person", "code")
        row = self._row(case_id)
        if row["relation"] == "relative" and not in_person:
            raise ValidationError("a relative is verified in person", "code")
        stated = dict(stated or {})
        if stated and in_person:
            raise ValidationError(
                "stated values are checked with the code; in person, the ID document", "stated"
            )
        if code is not None and row["type"] in STATED_TYPES and len(stated) < STATED_MINIMUM:
            raise ValidationError(
                f"a {row['type']} request verified by code also needs {STATED_MINIMUM} values the requester "
                "states (e.g. name and resident_id)",
                "stated",
            )
        if stated and not ctx.purpose:
            raise ValidationError("give the purpose under which the stated values are matched", "purpose")
        if len(stated) > 5:
            raise ValidationError("at most five stated values", "stated")
        now = self._clock.now()
        outcome: list[str] = []

        def handler(call: Call) -> Case:
            self._open_only(row)
            method = "in_person" if in_person else ("code+stated" if stated else "code")
            mismatched: list[str] = []
            if stated:
                if self._stated_failures(case_id) >= STATED_ATTEMPTS:
                    mismatched.append("*")
                else:
                    # Outside the transaction: each match is a probe, counted in its own.
                    mismatched = [f for f, value in sorted(stated.items()) if not call.view.matches(f, value)]
            with call.transaction() as conn:
                if mismatched == ["*"]:
                    result = "too_many_attempts"
                elif mismatched:
                    result = "stated_mismatch"
                else:
                    result = "verified" if in_person else self._check_code(conn, case_id, code or "", now)
                outcome.append(result)
                call.note(method=method, outcome=result)
                if result == "verified":
                    values: dict[str, Any] = {"verified": method, "verified_by": ctx.actor.id}
                    if row["status"] == "received":
                        values["status"] = "verified"
                    conn.execute(update(cases).where(cases.c.id == case_id).values(**values))
                    self._event(conn, case_id, "verified", ctx, None, {"method": method})
                else:
                    self._event(conn, case_id, "verify_failed", ctx, None, {"method": method, "why": result})
            return self._case(case_id)

        case = self.kernel.run(ctx, VERIFY, handler, subject=row["customer_id"])
        if outcome != ["verified"]:
            raise AccessDenied(f"identity not verified: {outcome[0].replace('_', ' ')}", "rights.verify")
        return case

    def _stated_failures(self, case_id: str) -> int:
        with self._db.read() as conn:
            found = conn.execute(
                select(events.c.detail).where(events.c.case_id == case_id, events.c.event == "verify_failed")
            ).scalars()
            return sum(json.loads(d or "{}").get("why") == "stated_mismatch" for d in found)

    def _check_code(self, conn: Connection, case_id: str, code: str, now: datetime) -> str:
        stored = conn.execute(select(codes).where(codes.c.case_id == case_id)).mappings().first()
        if stored is None:
            return "no_code_sent"
        if stored["used_at"] is not None:
            return "code_used"
        if stored["attempts"] >= CODE_ATTEMPTS:
            return "too_many_attempts"
        if stored["expires_at"] <= now:
            return "code_expired"
        if not hmac.compare_digest(stored["digest"], self._digest(case_id, code.strip())):
            conn.execute(
                update(codes).where(codes.c.case_id == case_id).values(attempts=stored["attempts"] + 1)
            )
            return "wrong_code"
        conn.execute(update(codes).where(codes.c.case_id == case_id).values(used_at=now))
        return "verified"

    def _digest(self, case_id: str, code: str) -> str:
        return hmac.new(
            self._code_key, f"{self._tenant}:{case_id}:{code}".encode(), hashlib.sha256
        ).hexdigest()

    # ------------------------------------------------------------------ the clock

    def pause(self, ctx: RequestContext, case_id: str, *, reason: str) -> Case:
        """Stop the clock (waiting for the requester: a missing document, an answer).

        :raises ValidationError: no reason, or the case is closed or paused already.
        """
        return self._step(ctx, PAUSE, case_id, reason, "paused")

    def resume(self, ctx: RequestContext, case_id: str, *, reason: str) -> Case:
        """Restart the clock; the paused working days are added to the due date."""
        return self._step(ctx, RESUME, case_id, reason, "resumed")

    def extend(self, ctx: RequestContext, case_id: str, *, reason: str) -> Case:
        """Extend the deadline by the profile's extension (once, with a reason the requester is told).

        :raises ValidationError: no reason, the case is closed, or extended already.
        """
        return self._step(ctx, EXTEND, case_id, reason, "extended")

    def _step(self, ctx: RequestContext, op: Operation, case_id: str, reason: str, event: str) -> Case:
        text = _reason(reason)
        row = self._row(case_id)
        now = self._clock.now()

        def handler(call: Call) -> Case:
            self._open_only(row)
            values: dict[str, Any] = {}
            if event == "paused":
                if row["status"] == "paused":
                    raise ValidationError("the case is paused already", "status")
                values = {"status": "paused", "status_before_pause": row["status"]}
            elif event == "resumed":
                if row["status"] != "paused":
                    raise ValidationError("the case is not paused", "status")
                values = {"status": row["status_before_pause"] or "received", "status_before_pause": None}
            else:
                if row["extension"]:
                    raise ValidationError("the deadline was extended already", "extension")
                values = {"extension": policy_for(self.profile, row["type"]).max_extension}
                call.note(extension=values["extension"])
            with call.transaction() as conn:
                conn.execute(update(cases).where(cases.c.id == case_id).values(**values))
                self._event(conn, case_id, event, ctx, text, {})
                deadline = self._recompute(conn, case_id, now)
                if event == "extended":
                    self._tell(
                        conn, case_id, row["customer_id"], row["channel"], "request_extended",
                        due=deadline.due, reason=text,
                    )  # fmt: skip
            return self._case(case_id)

        return self.kernel.run(ctx, op, handler, subject=row["customer_id"])

    def tick(self, ctx: RequestContext) -> dict[str, int]:
        """The deadline job: recompute every open case's due date (the calendar data may have
        changed since), and count the overdue, nearly due and provisional ones (an audit rule
        raises the alert from this entry's detail)."""
        now = self._clock.now()
        today = local_date(now)

        def handler(call: Call) -> dict[str, int]:
            counts = {"overdue": 0, "nearly_due": 0, "provisional_cases": 0, "recomputed": 0}
            with self._db.read() as conn:
                open_ids = (
                    conn.execute(
                        select(cases.c.id).where(
                            cases.c.tenant == self._tenant, cases.c.status.not_in(TERMINAL)
                        )
                    )
                    .scalars()
                    .all()
                )
            for case_id in open_ids:
                with self._db.transaction() as conn:
                    before = self._row(case_id, conn)
                    deadline = self._recompute(conn, case_id, now)
                counts["recomputed"] += before["calendar_version"] != deadline.calendar_version
                counts["provisional_cases"] += deadline.provisional
                if deadline.due < today:
                    counts["overdue"] += 1
                elif self._working_days(today, deadline.due) <= NEARLY_DUE:
                    counts["nearly_due"] += 1
            call.note(**counts)
            return counts

        return self.kernel.run(ctx, CLOCK, handler)

    def _working_days(self, a: date, b: date) -> int:
        try:
            return self.calendar.working_days_between(a, b)
        except Exception:  # a year without data: calendar days, never more than the truth
            return (b - a).days

    # ------------------------------------------------------------------ deciding

    def refuse(self, ctx: RequestContext, case_id: str, *, reason: str) -> Case:
        """Refuse with a reason; the requester is told the reason and the remedy (PIPL 50). For a
        minor's request the refusal is also kept as a written document (``outcome`` names it).

        :raises ValidationError: no reason (a refusal without one is impossible), or closed already.
        """
        text = _reason(reason)
        row = self._row(case_id)
        now = self._clock.now()

        def handler(call: Call) -> Case:
            self._open_only(row)
            written = row["relation"] != "self" or self._age_of(row["customer_id"]) in MINOR_BANDS
            call.note(type=row["type"], written=written)
            if written:  # Minors Regs 34 (and a relative, who gets no message): a document
                letter = self._letter_of(row, text, now)
                call.note(content_hash="sha256_" + hashlib.sha256(letter.encode()).hexdigest()[:48])
            with call.transaction() as conn:
                self._close(conn, case_id, "refused", "refused_in_writing" if written else "refused", now)
                self._event(conn, case_id, "refused", ctx, text, {"remedy": "court"})
                self._tell(
                    conn, case_id, row["customer_id"], row["channel"], "request_outcome",
                    outcome=f"{text} {REMEDY['zh']}",
                )  # fmt: skip
            return self._case(case_id)

        return self.kernel.run(ctx, REFUSE, handler, subject=row["customer_id"])

    def complete(
        self,
        ctx: RequestContext,
        case_id: str,
        *,
        note: str | None = None,
        purposes: Sequence[str] | None = None,
        changes: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Fulfil the request and close the case; returns the case and what was produced or erased.

        - ``deletion``: the customer is crypto-shredded in the same transaction as the case closes.
          Where a legal retention floor covers data the customer has (AML's records), only what no
          floor keeps is erased (records of other types deleted, other fields removed) and the
          customer enters the storage-only state (PIPL 47(2), R-DST-2): the gate refuses every
          purpose but the floors' own. The answer names what was erased and what was kept, and why.
        - ``account_closure`` (NDSMR 23): every consent withdrawn (as the customer), then deleted
          as above.
        - ``correction`` (PIPL 46): ``changes`` (each ``{"record_type", "record_id"?, "values"}``;
          the profile when no id) are all validated first, then written as the customer, so the
          old values are replaced, not kept.
        - ``explanation``: generated from the catalog: each purpose, its legal basis, the fields of
          the customer's record types it covers, and their retention; with the customer's own
          consent state (purposes, notice versions, when given).
        - ``restriction``: ``purposes`` the customer restricted or objected to; from then on the gate
          refuses every operation for them on this customer (a purpose the law requires, or a
          built-in one, cannot be restricted: PIPL 44 "unless laws provide otherwise").
        - ``withdrawal`` (``purposes``, or all) and ``marketing_optout``: carried out by the consent
          ledger as the customer (orphaned fields handed to deletion; tags deleted).
        - other types and complaints: ``note`` (what was done) is required and recorded.

        Requests need a verified requester first (R-RGT-2); complaints do not.

        :raises ValidationError: not verified, no note where one is needed, a legal floor applies.
        """
        row = self._row(case_id)
        now = self._clock.now()
        kind = row["type"]
        if kind == "restriction":
            chosen = self._restrictable(purposes or ())
        elif kind == "correction":
            fixes = _changes(changes, row["customer_id"])
        elif kind not in (
            "deletion",
            "account_closure",
            "explanation",
            "access",
            "portability",
            *self._fulfilments,
        ):
            note = _reason(note or "", what="a note of what was done")

        def handler(call: Call) -> dict[str, Any]:
            self._open_only(row)
            if kind != "complaint" and row["verified"] is None:
                raise ValidationError("verify the requester's identity first (R-RGT-2)", "verified")
            produced: dict[str, Any] = {}
            records = 0
            if kind in ("deletion", "account_closure"):
                self.kernel.policy.check_action(ctx.actor.role, "erase", None)
                withdrawn = None
                if kind == "account_closure" and "withdrawal" in self._fulfilments:
                    withdrawn = self._fulfilments["withdrawal"](
                        customer_context(row["customer_id"]), row["customer_id"], {"purposes": []}
                    )
                produced = self._erase(call, row, ctx, now)
                if withdrawn is not None:
                    produced["withdrawal"] = withdrawn
                return {"case": self._case(case_id).as_dict(), "produced": produced}
            if kind == "correction":
                for fix in fixes:  # all checked before any is written: nothing half-done
                    call.view.check(fix["record_type"], fix["values"])
                done = [self._correct(row, fix) for fix in fixes]
                call.note(type=kind, outcome="corrected", records=len(done))
                with call.transaction() as conn:
                    self._finish(conn, row, ctx, "corrected", note, now)
                return {"case": self._case(case_id).as_dict(), "produced": {"corrected": done}}
            if kind in ("access", "portability"):
                copy, records = self._copy(row, now)
                call.note(type=kind, outcome="sent", records=records)
                with call.transaction() as conn:
                    produced = {"package": self._store_package(conn, row, kind, copy, now)}
                    self._finish(conn, row, ctx, "sent", note, now)
                return {"case": self._case(case_id).as_dict(), "produced": produced}
            if kind == "restriction":
                call.note(type=kind, outcome="restricted", records=0)
                with call.transaction() as conn:
                    for purpose in chosen:
                        found = conn.execute(
                            select(restrictions.c.purpose).where(
                                restrictions.c.tenant == self._tenant,
                                restrictions.c.customer_id == row["customer_id"],
                                restrictions.c.purpose == purpose,
                            )
                        ).first()
                        if found is None:
                            conn.execute(
                                insert(restrictions).values(
                                    tenant=self._tenant, customer_id=row["customer_id"], purpose=purpose,
                                    case_id=case_id, since=now,
                                )
                            )  # fmt: skip
                    self._finish(conn, row, ctx, "restricted", note, now)
                return {"case": self._case(case_id).as_dict(), "produced": {"restricted": chosen}}
            if kind in self._fulfilments:
                # The customer's own act, recorded by the consent ledger under its own operation.
                done = self._fulfilments[kind](
                    customer_context(row["customer_id"]),
                    row["customer_id"],
                    {"purposes": list(purposes or ())},
                )
                outcome = FULFILLED.get(kind, "handled")
                call.note(type=kind, outcome=outcome, records=0)
                with call.transaction() as conn:
                    self._finish(conn, row, ctx, outcome, note, now)
                return {"case": self._case(case_id).as_dict(), "produced": {kind: done}}
            if kind == "explanation":
                produced = {"explanation": self._explain(call)}
                if "consents" in self._extras:
                    # PIPL 48 asks how *this* customer's data is processed: with which consents
                    # (notice versions, when given) the consent-based purposes run. Read as the customer.
                    cid = row["customer_id"]
                    consents = self._extras["consents"](customer_context(cid), cid)
                    produced["consents"] = consents.get("state", consents)
            outcome = "explained" if kind == "explanation" else "handled"
            call.note(type=kind, outcome=outcome, records=records)
            with call.transaction() as conn:
                self._finish(conn, row, ctx, outcome, note, now)
            return {"case": self._case(case_id).as_dict(), "produced": produced}

        return self.kernel.run(ctx, COMPLETE, handler, subject=row["customer_id"])

    def _finish(
        self,
        conn: Connection,
        row: Mapping[str, Any],
        ctx: RequestContext,
        outcome: str,
        note: str | None,
        now: datetime,
    ) -> None:
        self._close(conn, row["id"], "completed", outcome, now)
        self._event(conn, row["id"], "completed", ctx, note, {"outcome": outcome})
        if outcome != "erased":  # nobody left to tell after a crypto-shred
            label = TYPE_LABELS[row["type"]][0]
            self._tell(
                conn,
                row["id"],
                row["customer_id"],
                row["channel"],
                "request_outcome",
                outcome=f"{label}已办结",
            )

    # ------------------------------------------------------------------ copies (PIPL 45, NDSMR 25)

    def _copy(self, row: Mapping[str, Any], now: datetime) -> tuple[dict[str, Any], int]:
        """The customer's copy, read through the gate *as the customer* (who may see all of their own
        data but C3), so the officer who completes the request never sees it."""
        kind = row["type"]
        me = customer_context(row["customer_id"], DATA_SUBJECT_RIGHTS_PURPOSE)

        def handler(call: Call) -> tuple[dict[str, Any], int]:
            records: list[dict[str, Any]] = []
            withheld: set[str] = set()
            for ref in call.view.records():
                views = call.view.read(record_type=ref.record_type, record_id=ref.record_id)
                values: dict[str, Any] = {}
                for name, view in views.items():
                    portable = self._portable(ref.record_type, name)
                    if kind == "portability" and not portable:
                        continue
                    if view.level == "clear":
                        values[name] = view.value
                    else:
                        withheld.add(f"{ref.record_type}.{name}")
                if values:
                    records.append(
                        {"record_type": ref.record_type, "record_id": ref.record_id, "fields": values}
                    )
            if kind == "portability" and not records:
                raise ValidationError(
                    "nothing of this customer was provided on consent or contract: refuse citing NDSMR 25",
                    "type",
                )
            doc: dict[str, Any] = {
                "schema": ACCESS_SCHEMA if kind == "access" else PORTABILITY_SCHEMA,
                "case": row["id"],
                "customer_id": row["customer_id"],
                "generated_at": now.isoformat(),
                "records": records,
                # C3 secrets (password and PIN hashes) are never copied out, named here instead.
                "withheld": sorted(withheld),
            }
            if kind == "access":
                for name, extra in self._extras.items():
                    doc[name] = extra(customer_context(row["customer_id"]), row["customer_id"])
            body = json.dumps(doc, ensure_ascii=False, sort_keys=True, default=str)
            digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
            call.note(records=len(records), content_hash=f"sha256_{digest[:48]}", kind=kind)
            return json.loads(body), len(records)

        return self.kernel.run(me, PACKAGE, handler, subject=row["customer_id"])

    def _portable(self, record_type: str, field: str) -> bool:
        purposes = self._catalog.field(record_type, field).purposes
        return any(self._catalog.purposes[p].legal_basis in PORTABLE_BASES for p in purposes)

    def _store_package(
        self, conn: Connection, row: Mapping[str, Any], kind: str, copy: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        token = secrets.token_urlsafe(32)
        digest = hashlib.sha256(token.encode()).hexdigest()
        body = json.dumps(copy, ensure_ascii=False, sort_keys=True)
        content_hash = "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest()
        expires = now + self._package_ttl
        conn.execute(
            insert(packages).values(
                token_digest=digest,
                tenant=self._tenant,
                case_id=row["id"],
                customer_id=row["customer_id"],
                kind=kind,
                content=self._box.seal(body, self._package_context(digest)),
                content_hash=content_hash,
                created_at=now,
                expires_at=expires,
            )
        )
        if row["relation"] == "relative":
            # The customer died: the officer hands the link to the relative verified at the counter
            # (the officer still cannot read the copy without the link's token, which is not stored).
            return {
                "content_hash": content_hash, "expires_at": expires.isoformat(), "sent_by": "handover",
                "link": f"{self._public_url}/v1/packages/{token}",
            }  # fmt: skip
        # The link goes to the contact on record, whatever the request's channel: the copy is the
        # customer's, never the officer's to read.
        via = MESSAGE_CHANNEL.get(row["channel"]) or "email"
        if not self._messenger.has_channel(via):
            raise ValidationError(f"no {via} channel is configured to send the copy's link", "channel")
        self._messenger.enqueue(
            conn,
            row["customer_id"],
            "package_ready",
            {
                "reference": row["id"],
                "link": f"{self._public_url}/v1/packages/{token}",
                "expires": local_date(expires).isoformat(),
            },
            channel=via,
            reference=row["id"],
        )
        return {"content_hash": content_hash, "expires_at": expires.isoformat(), "sent_by": via}

    def _package_context(self, digest: str) -> str:
        return f"rights-package:{self._tenant}:{digest}"

    def download(self, token: str, ctx: RequestContext | None = None) -> dict[str, Any]:
        """The copy behind a one-time link, once, before it expires; then blanked. The link is the
        credential: it runs as the customer it belongs to (or as ``ctx``, e.g. the customer signed
        in to the privacy centre; the row scope holds it to their own copy).

        :raises NotFound: an unknown, used or expired link (one answer for all three).
        """
        return self._download(hashlib.sha256(token.encode()).hexdigest(), ctx)

    def download_case(self, ctx: RequestContext, case_id: str) -> dict[str, Any]:
        """The copy of request ``case_id`` for the customer of ``ctx`` (the privacy centre, after
        its own fresh code): the same one-time download as the link's, which it spends. The gate's
        row scope holds a customer to their own case.

        :raises NotFound: no copy waits for this case (never made, downloaded, or expired).
        """
        t = packages.c
        with self._db.read() as conn:
            digest = conn.execute(
                select(t.token_digest)
                .where(t.tenant == self._tenant, t.case_id == case_id, t.downloaded_at.is_(None))
                .order_by(t.created_at.desc())
            ).scalar()
        if digest is None:
            raise NotFound("no such copy, or it was downloaded already or has expired")
        return self._download(str(digest), ctx)

    def ready_cases(self, customer_id: str) -> set[str]:
        """The cases of ``customer_id`` whose copy waits, neither downloaded nor expired (ids only)."""
        t = packages.c
        with self._db.read() as conn:
            rows = conn.execute(
                select(t.case_id).where(
                    t.tenant == self._tenant,
                    t.customer_id == customer_id,
                    t.downloaded_at.is_(None),
                    t.expires_at > self._clock.now(),
                )
            ).scalars()
            return {str(r) for r in rows}

    def _download(self, digest: str, ctx: RequestContext | None) -> dict[str, Any]:
        now = self._clock.now()
        t = packages.c
        with self._db.read() as conn:
            found = conn.execute(
                select(t.customer_id, t.content, t.expires_at, t.downloaded_at, t.content_hash).where(
                    t.tenant == self._tenant, t.token_digest == digest
                )
            ).first()
        if found is None or found.downloaded_at is not None or found.expires_at <= now or not found.content:
            raise NotFound("no such copy, or it was downloaded already or has expired")

        def handler(call: Call) -> dict[str, Any]:
            body = self._box.open(found.content, self._package_context(digest))
            call.note(format="json", content_hash=f"sha256_{found.content_hash[7:55]}")
            with call.transaction() as conn:
                taken = conn.execute(
                    update(packages)
                    .where(t.token_digest == digest, t.downloaded_at.is_(None))
                    .values(downloaded_at=now, content="")
                ).rowcount
                if taken != 1:  # a second download raced this one
                    raise NotFound("no such copy, or it was downloaded already or has expired")
            doc: dict[str, Any] = json.loads(body)
            doc["content_hash"] = found.content_hash
            return doc

        who = ctx or customer_context(found.customer_id)
        return self.kernel.run(who, DOWNLOAD, handler, subject=found.customer_id)

    def _restrictable(self, purposes: Sequence[str]) -> list[str]:
        chosen = sorted(set(purposes))
        if not chosen:
            raise ValidationError("name the purposes the customer restricts", "purposes")
        for name in chosen:
            purpose = self._catalog.purposes.get(name)
            if purpose is None:
                raise ValidationError(f"unknown purpose '{name}'", "purposes")
            if purpose.ancillary or purpose.legal_basis == "legal_obligation":
                raise ValidationError(
                    f"purpose '{name}' is required by law and cannot be restricted (PIPL 44)",
                    "purposes",
                )
        return chosen

    def _floors(self, call: Call) -> dict[str, int]:
        """The legal floors that bind this customer's data: a purpose with a retention floor that
        covers a record type (other than the profile every customer has) of which the customer has
        a record (a bank account under AML's 10 years). The retention issue adds the record's own
        clock (when the floor began and ends)."""
        kinds = {ref.record_type for ref in call.view.records()} - {"customer"}
        out: dict[str, int] = {}
        for name, purpose in self._catalog.purposes.items():
            if purpose.retention_floor_years is None:
                continue
            if any(self._catalog.fields_for(name, rt) for rt in kinds):
                out[name] = purpose.retention_floor_years
        return out

    def _erase(
        self, call: Call, row: Mapping[str, Any], ctx: RequestContext, now: datetime
    ) -> dict[str, Any]:
        """Crypto-shred the customer, or, under a legal floor, erase what no floor keeps and put the
        rest in the storage-only state; the case closes in the same transaction either way."""
        floors = self._floors(call)
        kind = row["type"]
        if not floors:
            call.note(type=kind, outcome="erased", records=len(call.view.records()))
            records = call.view.destroy(also=lambda conn: self._finish(conn, row, ctx, "erased", None, now))
            return {"erased_records": records, "erased": ["*"], "kept": [], "storage_only": []}
        present = sorted({ref.record_type for ref in call.view.records()})
        kept: list[dict[str, Any]] = []
        drop: list[str] = []
        strip: dict[str, list[str]] = {}
        erased: list[str] = []
        for rt in present:
            every = set(self._catalog.record_types[rt].fields)
            why = {p: sorted(self._catalog.fields_for(p, rt)) for p in floors}
            keep = set().union(*why.values()) if why else set()
            if not keep:
                drop.append(rt)
                erased.append(f"{rt}.*")
                continue
            strip[rt] = sorted(every - keep)
            erased.extend(f"{rt}.{f}" for f in strip[rt])
            kept.append(
                {
                    "record_type": rt,
                    "fields": sorted(keep),
                    "because": [
                        {
                            "purpose": p,
                            "legal_basis": self._catalog.purposes[p].legal_basis,
                            "years": floors[p],
                        }
                        for p in sorted(floors)
                        if why[p]
                    ],
                }
            )
        allowed = sorted(floors)

        def own(conn: Connection) -> None:
            self.keep_for_storage_only(conn, row["customer_id"], allowed, row["id"])
            self._finish(conn, row, ctx, "storage_only", None, now)

        # The entry is written inside the erasure's transaction: its counts are known before.
        refs = call.view.records()
        call.note(
            type=kind, outcome="storage_only", records=sum(r.record_type in drop for r in refs),
            stripped=sum(bool(strip.get(r.record_type)) for r in refs),
        )  # fmt: skip
        counts = call.view.erase_partly(drop=drop, strip=strip, also=own)
        return {
            "erased_records": counts["deleted"],
            "stripped_records": counts["stripped"],
            "erased": erased,
            "kept": kept,
            "storage_only": allowed,
        }

    def keep_for_storage_only(
        self, conn: Connection, customer_id: str, purposes: Sequence[str], reference: str
    ) -> None:
        """Put the customer in the storage-only state (PIPL 47(2), R-DST-2), inside the caller's
        transaction: from then on the restriction guard refuses every purpose but ``purposes`` (the
        legal floors that keep what is left). ``reference`` names why (a deletion case, a retention
        run). The one place this state is written: retention enters it too (wired by the installation)."""
        t = storage_only.c
        conn.execute(storage_only.delete().where(t.tenant == self._tenant, t.customer_id == customer_id))
        conn.execute(
            insert(storage_only).values(
                tenant=self._tenant, customer_id=customer_id, purposes=json.dumps(sorted(purposes)),
                case_id=reference[:40], since=self._clock.now(),
            )
        )  # fmt: skip

    def _correct(self, row: Mapping[str, Any], fix: Mapping[str, Any]) -> dict[str, Any]:
        """One record corrected *as the customer* (their own act, through the gate's least
        privilege and validation; the officer never sees the values)."""
        me = customer_context(row["customer_id"], DATA_SUBJECT_RIGHTS_PURPOSE)
        rt, rid, values = fix["record_type"], fix.get("record_id"), fix["values"]

        def handler(call: Call) -> dict[str, Any]:
            if rid is not None and not any(r.record_id == rid for r in call.view.records(rt)):
                raise NotFound(f"no such {rt} record of this customer")
            call.note(record_type=rt)
            ref = call.view.write(rt, values, record_id=rid or row["customer_id"])
            return {"record_type": rt, "record_id": ref.record_id, "fields": sorted(values)}

        return self.kernel.run(me, CORRECT, handler, subject=row["customer_id"])

    def _no_relatives(self, customer_id: str) -> bool:
        t = instructions.c
        with self._db.read() as conn:
            found = conn.execute(
                select(t.no_relatives).where(t.tenant == self._tenant, t.customer_id == customer_id)
            ).scalar_one_or_none()
        return bool(found)

    def instruct(self, ctx: RequestContext, customer_id: str, *, no_relatives: bool) -> dict[str, Any]:
        """Record what the customer arranged for after their death (PIPL 49): with
        ``no_relatives``, a later request by a close relative is refused, in writing, at intake.
        Taken from the customer themself (the caller verified them, as for any request)."""
        now = self._clock.now()

        def handler(call: Call) -> dict[str, Any]:
            call.note(no_relatives=no_relatives)
            t = instructions.c
            with call.transaction() as conn:
                conn.execute(
                    instructions.delete().where(t.tenant == self._tenant, t.customer_id == customer_id)
                )
                conn.execute(
                    insert(instructions).values(
                        tenant=self._tenant, customer_id=customer_id, no_relatives=no_relatives,
                        by=ctx.actor.id, since=now,
                    )
                )  # fmt: skip
            return {"customer_id": customer_id, "no_relatives": no_relatives, "since": now.isoformat()}

        return self.kernel.run(ctx, INSTRUCT, handler, subject=customer_id)

    def letter(self, ctx: RequestContext, case_id: str, *, lang: str = "zh") -> str:
        """The written refusal of a case refused in writing (a minor's, a guardian's or a relative's),
        as the HTML document that was issued (the same bytes each time: its hash is in the refusal's
        audit entry).

        :raises NotFound: no such case. :raises ValidationError: the case was not refused in writing.
        """
        row = self._row(case_id)

        def handler(call: Call) -> str:
            if row["outcome"] != "refused_in_writing":
                raise ValidationError("this case was not refused in writing", "case")
            with self._db.read() as conn:
                steps = self._timeline(conn, case_id)
            refused = next(e for e in reversed(steps) if e.event == "refused")
            letter = self._letter_of(row, refused.reason or "", refused.at, lang=lang)
            call.note(content_hash="sha256_" + hashlib.sha256(letter.encode()).hexdigest()[:48])
            return letter

        return self.kernel.run(ctx, LETTER, handler, subject=row["customer_id"])

    def _letter_of(self, row: Mapping[str, Any], reason: str, at: datetime, *, lang: str = "zh") -> str:
        return refusal_letter(
            case_id=row["id"],
            type_label=TYPE_LABELS[row["type"]],
            received=local_date(row["received_at"]),
            refused=local_date(at),
            reason=reason,
            remedy=REMEDY,
            organisation=self._organisation,
            relation=row["relation"],
            addressee=self._requester_name(row),
            lang=lang,
        )

    def _requester_name(self, row: Mapping[str, Any]) -> str:
        """The name a guardian or relative stated at intake (sealed at rest), else empty."""
        if not row.get("requester"):
            return ""
        stated = json.loads(self._box.open(row["requester"], _who(self._tenant, row["id"])))
        return str(stated.get("name") or "")

    def _explain(self, call: Call) -> list[dict[str, Any]]:
        kinds = sorted({ref.record_type for ref in call.view.records()})
        out = []
        for name, purpose in sorted(self._catalog.purposes.items()):
            fields = {rt: sorted(self._catalog.fields_for(name, rt)) for rt in kinds}
            fields = {rt: names for rt, names in fields.items() if names}
            if not fields:
                continue
            retention = sorted(
                {
                    str(self._catalog.field(rt, f).retention)
                    for rt, names in fields.items()
                    for f in names
                    if self._catalog.field(rt, f).retention
                }
            )
            out.append(
                {
                    "purpose": name,
                    "legal_basis": purpose.legal_basis,
                    "description": {"zh": purpose.description.zh, "en": purpose.description.en},
                    "fields": fields,
                    "retention": retention,
                    "automated_decision": purpose.automated_decision,
                    "marketing": purpose.marketing,
                }
            )
        return out

    # ------------------------------------------------------------------ rows, events, messages

    def _owner(self, case_id: str) -> str:
        return str(self._row(case_id)["customer_id"])

    def _row(self, case_id: str, conn: Connection | None = None) -> dict[str, Any]:
        query = select(cases).where(cases.c.tenant == self._tenant, cases.c.id == case_id)
        if conn is not None:
            found = conn.execute(query).mappings().first()
        else:
            with self._db.read() as reader:
                found = reader.execute(query).mappings().first()
        if found is None:
            raise NotFound("no such case")
        return dict(found)

    @staticmethod
    def _open_only(row: Mapping[str, Any]) -> None:
        if row["status"] in TERMINAL:
            raise Conflict(f"the case is {row['status']} already")

    def _close(self, conn: Connection, case_id: str, status: str, outcome: str, now: datetime) -> None:
        changed = conn.execute(
            update(cases)
            .where(cases.c.id == case_id, cases.c.status.not_in(TERMINAL))
            .values(status=status, outcome=outcome, closed_at=now, status_before_pause=None)
        ).rowcount
        if changed != 1:  # closed meanwhile by someone else
            raise Conflict("the case was closed meanwhile")

    def _event(
        self,
        conn: Connection,
        case_id: str,
        event: str,
        ctx: RequestContext,
        reason: str | None,
        detail: dict[str, Any],
    ) -> None:
        sealed = None
        if reason is not None:
            sealed = self._box.seal(reason, f"rights:{self._tenant}:{case_id}:{event}")
        conn.execute(
            insert(events).values(
                tenant=self._tenant,
                case_id=case_id,
                at=self._clock.now(),
                event=event,
                actor=ctx.actor.id,
                reason=sealed,
                detail=json.dumps(detail, sort_keys=True),
            )
        )

    def _tell(
        self, conn: Connection, case_id: str, customer_id: str, channel: str, template: str, **params: Any
    ) -> None:
        via = MESSAGE_CHANNEL.get(channel)
        if via is None or not self._messenger.has_channel(via):
            return  # counter and letter: answered in person or on paper
        relation = conn.execute(select(cases.c.relation).where(cases.c.id == case_id)).scalar_one_or_none()
        if relation == "relative":
            return  # the customer died: the relative is answered in person or on paper
        values = {k: (v.isoformat() if isinstance(v, date) else str(v)) for k, v in params.items()}
        if "type" in values:
            values["kind"] = TYPE_LABELS[values.pop("type")][0]
        if "reference" not in values:
            values["reference"] = case_id
        self._messenger.enqueue(conn, customer_id, template, values, channel=via, reference=case_id)

    def _timeline(self, conn: Connection, case_id: str) -> list[Event]:
        rows = (
            conn.execute(select(events).where(events.c.case_id == case_id).order_by(events.c.id))
            .mappings()
            .all()
        )
        return [
            Event(
                r["at"],
                r["event"],
                r["actor"],
                self._box.open(r["reason"], f"rights:{self._tenant}:{case_id}:{r['event']}")
                if r["reason"]
                else None,
                json.loads(r["detail"]),
            )
            for r in rows
        ]

    def _deadline(self, row: Mapping[str, Any], timeline: Sequence[Event], now: datetime) -> Deadline:
        pauses: list[Pause] = []
        began: datetime | None = None
        for e in timeline:
            if e.event == "paused":
                began = e.at
            elif e.event == "resumed" and began is not None:
                pauses.append(Pause(began, e.at))
                began = None
        if began is not None:
            pauses.append(Pause(began))
        return compute_due(
            row["received_at"],
            policy_for(self.profile, row["type"]),
            pauses=pauses,
            extension=row["extension"],
            today=local_date(now),
            calendar=self.calendar,
        )

    def _recompute(self, conn: Connection, case_id: str, now: datetime) -> Deadline:
        row = self._row(case_id, conn)
        deadline = self._deadline(row, self._timeline(conn, case_id), now)
        conn.execute(
            update(cases)
            .where(cases.c.id == case_id)
            .values(
                due=deadline.due, provisional=deadline.provisional, calendar_version=deadline.calendar_version
            )
        )
        return deadline

    def _case(self, case_id: str, *, timeline: bool = True) -> Case:
        with self._db.read() as conn:
            row = self._row(case_id, conn)
            steps = self._timeline(conn, case_id)
        deadline = self._deadline(row, steps, self._clock.now())
        return Case(
            id=row["id"],
            type=row["type"],
            customer_id=row["customer_id"],
            channel=row["channel"],
            relation=row["relation"],
            relationship=row["relationship"],
            source=row["source"],
            intake_by=row["intake_by"],
            status=row["status"],
            received_at=row["received_at"],
            due=deadline.due,
            provisional=deadline.provisional,
            paused=deadline.paused,
            extension=row["extension"],
            verified=row["verified"],
            closed_at=row["closed_at"],
            outcome=row["outcome"],
            timeline=tuple(steps) if timeline else (),
        )


def _reason(text: str, *, what: str = "a reason") -> str:
    clean = text.strip()
    if not clean:
        raise ValidationError(f"{what} is required", "reason")
    if len(clean) > 2000:
        raise ValidationError(f"{what} must be at most 2000 characters", "reason")
    return clean


def _who(tenant: str, case_id: str) -> str:
    return f"rights:{tenant}:{case_id}:requester"


def _requester(
    type: str, relation: str, relationship: str | None, requester: Mapping[str, str] | None
) -> dict[str, str] | None:
    """The requester's own identity as stated, checked for shape (sealed by the caller)."""
    if relation == "self":
        if relationship is not None or requester:
            raise ValidationError(
                "a relationship and requester are given only when someone else asks", "relation"
            )
        return None
    allowed = RELATIVES if relation == "relative" else GUARDIANS
    if relationship not in allowed:
        raise ValidationError(
            f"a {relation}'s relationship must be one of {', '.join(allowed)}", "relationship"
        )
    if relation == "relative" and type not in RELATIVE_TYPES:
        raise ValidationError(
            "a close relative may ask for access, correction or deletion only (PIPL 49)", "type"
        )
    stated = dict(requester or {})
    for key in ("name", "document"):
        value = str(stated.get(key, "")).strip()
        if not 0 < len(value) <= 200:
            raise ValidationError(
                f"the requester's {key} is required (at most 200 characters)", f"requester.{key}"
            )
        stated[key] = value
    unknown = set(stated) - {"name", "document"}
    if unknown:
        raise ValidationError("the requester has a name and a document only", "requester")
    return stated


def _changes(changes: Sequence[Mapping[str, Any]] | None, customer_id: str) -> list[dict[str, Any]]:
    """A correction's changes, checked for shape (the values are checked by the gate)."""
    if not changes:
        raise ValidationError("give the corrected values (changes)", "changes")
    out = []
    for i, change in enumerate(changes):
        rt, rid, values = change.get("record_type"), change.get("record_id"), change.get("values")
        if not isinstance(rt, str) or not rt:
            raise ValidationError("each change names its record_type", f"changes[{i}].record_type")
        if rid is not None and not isinstance(rid, str):
            raise ValidationError("record_id must be a string", f"changes[{i}].record_id")
        if rt == "customer" and rid not in (None, customer_id):
            raise ValidationError("the profile's record id is the customer's", f"changes[{i}].record_id")
        if rt != "customer" and rid is None:
            raise ValidationError("name the record to correct (record_id)", f"changes[{i}].record_id")
        if not isinstance(values, Mapping) or not values:
            raise ValidationError("each change has values", f"changes[{i}].values")
        out.append(
            {"record_type": rt, "record_id": None if rt == "customer" else rid, "values": dict(values)}
        )
    return out
