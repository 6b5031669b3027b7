"""Consent as a capability mounted on the gate: its operations declared, run through the kernel.

Every consent operation about a customer is authorised (``read`` to look, ``write`` to change),
scoped to the caller's row scope, and recorded under its own name; every change to the ledger
commits in the same transaction as its audit entry (``call.transaction()``), so a consent
change can never exist without its entry, nor an entry without its change.

Consent is recorded for the relationship, not read for a purpose: these operations need no
stated purpose (the ledger itself names the purposes consented to).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from piguard.catalog.vocabulary import ACTIONS, Action
from piguard.consent.ledger import ConsentLedger
from piguard.consent.model import (
    ConsentKind,
    ConsentRecord,
    Guardian,
    Marketing,
    Notice,
    NoticeKind,
    Reevaluation,
    WithdrawResult,
)
from piguard.gate.sdk import Call, Kernel, Operation, RequestContext, Subject

NAME = "consent"


def _op(name: str, actions: tuple[Action, ...], subject: Subject, summary: str, **kw: Any) -> Operation:
    return Operation(name, actions, subject, NAME, purpose=False, summary=summary, **kw)


SHOW = _op(
    "consent_show",
    ("read",),
    "customer",
    "a customer's consents, history and hand-offs",
    requirements=("R-COL-2",),
)
GRANT = _op(
    "consent_grant",
    ("write",),
    "customer",
    "record consent (one immutable record per kind)",
    writes=True,
    requirements=("R-COL-2", "R-COL-4", "R-MIN-1"),
    detail={"consent_purposes": "names", "kinds": "names"},
)
WITHDRAW = _op(
    "consent_withdraw",
    ("write",),
    "customer",
    "withdraw consent in one call; orphaned fields handed to deletion",
    writes=True,
    requirements=("R-COL-6",),
    detail={"consent_purposes": "names", "kinds": "names", "count": "int"},
)
REFUSE = _op(
    "consent_refuse",
    ("write",),
    "customer",
    "record a refusal (re-ask limit)",
    writes=True,
    requirements=("R-COL-7",),
    detail={"consent_purposes": "names"},
)
MARKETING_SHOW = _op(
    "marketing_show", ("read",), "customer", "marketing preferences", requirements=("R-COL-9",)
)
MARKETING_SET = _op(
    "marketing_set",
    ("write",),
    "customer",
    "opt out of marketing or of personalisation",
    writes=True,
    requirements=("R-COL-9",),
    detail={"opt_out": "bool", "personalised": "bool", "delete_tags": "bool"},
)
NOTICE_PUBLISH = _op(
    "notice_publish",
    ("administer",),
    "none",
    "publish a privacy notice version",
    writes=True,
    requirements=("R-COL-5", "R-COL-8"),
    detail={"kind": "token", "material": "bool"},
)
NOTICE_LIST = _op(
    "notice_list",
    # Public to every staff role (any action at all): notices hold no customer data.
    tuple(ACTIONS),
    "none",
    "the published privacy notices (no customer data)",
    requirements=("R-COL-8",),
    detail={"count": "int"},
)
BIRTHDAYS = _op(
    "minors_reevaluate",
    ("administer",),
    "none",
    "the daily birthday job: customers turning 14 or 18 change band",
    requirements=("R-MIN-4",),
    detail={"count": "int"},
)

OPERATIONS: tuple[Operation, ...] = (
    SHOW,
    GRANT,
    WITHDRAW,
    REFUSE,
    MARKETING_SHOW,
    MARKETING_SET,
    NOTICE_PUBLISH,
    NOTICE_LIST,
    BIRTHDAYS,
)


class Consent:
    """The consent capability over one :class:`ConsentLedger`."""

    name = NAME
    operations = OPERATIONS

    def __init__(self, ledger: ConsentLedger) -> None:
        self.ledger = ledger
        self._kernel: Kernel | None = None

    def bind(self, gate: Kernel) -> None:
        self._kernel = gate

    @property
    def kernel(self) -> Kernel:
        if self._kernel is None:
            raise RuntimeError("the consent capability is not mounted on a gate")
        return self._kernel

    @staticmethod
    def _operator(ctx: RequestContext) -> str:
        return ctx.actor.id

    # ------------------------------------------------------------------ helpers without data

    def guardian(self, relationship: str, id_number: str) -> Guardian:
        """A guardian's identity as a keyed digest (the number itself is never stored)."""
        return self.ledger.guardian(relationship, id_number)

    def today(self) -> date:
        return self.ledger.today()

    # ------------------------------------------------------------------ about one customer

    def show(self, ctx: RequestContext, customer_id: str) -> dict[str, Any]:
        def handler(call: Call) -> dict[str, Any]:
            ledger = self.ledger
            return {
                "state": ledger.state(customer_id).as_dict(ledger.today()),
                "history": [r.as_dict() for r in ledger.history(customer_id)],
                "may_ask": {p: ledger.may_ask(customer_id, p) for p in sorted(ledger.catalog.purposes)},
                "marked_for_deletion": [m.as_dict() for m in ledger.deletion_queue(customer_id, None)],
            }

        return self.kernel.run(ctx, SHOW, handler, subject=customer_id)

    def grant(
        self,
        ctx: RequestContext,
        customer_id: str,
        purposes: Sequence[str],
        *,
        channel: str,
        kinds: Sequence[ConsentKind] = ("general",),
        notice_version: int | None = None,
        evidence_ref: str | None = None,
        recipient: str | None = None,
        given_at: datetime | None = None,
        guardian: Guardian | None = None,
    ) -> list[ConsentRecord]:
        def handler(call: Call) -> list[ConsentRecord]:
            call.note(consent_purposes=sorted(set(purposes)), kinds=sorted(set(kinds)))
            with call.transaction() as conn:
                return self.ledger.grant(
                    customer_id,
                    purposes,
                    channel=channel,
                    operator=self._operator(ctx),
                    kinds=kinds,
                    notice_version=notice_version,
                    evidence_ref=evidence_ref,
                    recipient=recipient,
                    given_at=given_at,
                    guardian=guardian,
                    conn=conn,
                )

        return self.kernel.run(ctx, GRANT, handler, subject=customer_id)

    def withdraw(
        self,
        ctx: RequestContext,
        customer_id: str,
        purposes: Sequence[str] | None = None,
        *,
        kind: ConsentKind | None = None,
        channel: str,
        evidence_ref: str | None = None,
    ) -> WithdrawResult:
        def handler(call: Call) -> WithdrawResult:
            call.note(consent_purposes=sorted(set(purposes or ())), kinds=[kind] if kind else [])
            with call.transaction() as conn:
                result = self.ledger.withdraw(
                    customer_id,
                    purposes,
                    kind=kind,
                    channel=channel,
                    operator=self._operator(ctx),
                    evidence_ref=evidence_ref,
                    conn=conn,
                )
                call.note(count=len(result.records))
                self.kernel.consent_withdrawn(
                    conn, customer_id, sorted({(r.kind, p) for r in result.records for p in r.purposes})
                )
            return result

        return self.kernel.run(ctx, WITHDRAW, handler, subject=customer_id)

    def refuse(
        self, ctx: RequestContext, customer_id: str, purposes: Sequence[str], *, channel: str
    ) -> ConsentRecord:
        def handler(call: Call) -> ConsentRecord:
            call.note(consent_purposes=sorted(set(purposes)))
            with call.transaction() as conn:
                return self.ledger.refuse(
                    customer_id, purposes, channel=channel, operator=self._operator(ctx), conn=conn
                )

        return self.kernel.run(ctx, REFUSE, handler, subject=customer_id)

    def marketing(self, ctx: RequestContext, customer_id: str) -> Marketing:
        return self.kernel.run(
            ctx, MARKETING_SHOW, lambda call: self.ledger.state(customer_id).marketing, subject=customer_id
        )

    def set_marketing(
        self,
        ctx: RequestContext,
        customer_id: str,
        opt_out: bool,
        personalised: bool,
        *,
        channel: str = "api",
        delete_tags: bool = False,
    ) -> Marketing:
        def handler(call: Call) -> Marketing:
            call.note(opt_out=opt_out, personalised=personalised, delete_tags=delete_tags)
            with call.transaction() as conn:
                return self.ledger.set_marketing(
                    customer_id,
                    opt_out,
                    personalised,
                    channel=channel,
                    operator=self._operator(ctx),
                    delete_tags=delete_tags,
                    conn=conn,
                )

        return self.kernel.run(ctx, MARKETING_SET, handler, subject=customer_id)

    # ------------------------------------------------------------------ notices and jobs

    def publish_notice(
        self,
        ctx: RequestContext,
        text_zh: str,
        text_en: str,
        *,
        title: str,
        kind: NoticeKind = "privacy",
        material: bool = False,
        purposes_changed: Sequence[str] = (),
        effective_at: datetime | None = None,
    ) -> Notice:
        def handler(call: Call) -> Notice:
            call.note(kind=kind, material=material)
            with call.transaction() as conn:
                return self.ledger.publish_notice(
                    text_zh,
                    text_en,
                    title=title,
                    operator=self._operator(ctx),
                    kind=kind,
                    material=material,
                    purposes_changed=purposes_changed,
                    effective_at=effective_at,
                    conn=conn,
                )

        return self.kernel.run(ctx, NOTICE_PUBLISH, handler)

    def notices(self, ctx: RequestContext, kind: NoticeKind | None = None) -> list[Notice]:
        def handler(call: Call) -> list[Notice]:
            found = self.ledger.notices(kind)
            call.note(count=len(found))
            return found

        return self.kernel.run(ctx, NOTICE_LIST, handler)

    def reevaluate_birthdays(self, ctx: RequestContext, today: date | None = None) -> list[Reevaluation]:
        """The daily job (R-MIN-4), run by a system principal (or an administrator) through the gate."""

        def handler(call: Call) -> list[Reevaluation]:
            results = self.ledger.reevaluate_birthdays(today)
            call.note(count=len(results))
            return results

        return self.kernel.run(ctx, BIRTHDAYS, handler)
