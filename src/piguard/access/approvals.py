"""Approvals: deciding just-in-time grants, and who sees which grants (R-USE-2, R-TRN-1).

:class:`~piguard.access.grants.GrantBook` stores grants and enforces the approval rules
(no self-approval, ``can_approve``); this part adds what needs the principal's standing
and the recorder: an approver's training must be current, and every decision or refusal
is recorded.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from piguard.access.context import AccessContext
from piguard.access.decision import BOOTSTRAP_ROLE
from piguard.access.events import AccessEvent
from piguard.access.grants import DEFAULT_MINUTES
from piguard.errors import AccessDenied
from piguard.principal import Actor


def require_human_decider(ctx: AccessContext, actor: Actor) -> None:
    """Refuse anyone but a person who just proved their second factor and is trained (R-USE-2, R-TRN-1).

    Deciding a grant (approving or rejecting) is a human decision, so the decider must be a
    staff user (never an API client, a system job or the bootstrap token) signed in with a login
    session, with a step-up (a TOTP code at login or ``step-up``) younger than ``step_up_ttl``
    and a current training record and confidentiality agreement. Every caller (API, CLI,
    console) reaches decisions through :meth:`Approvals.decide_grant`, which calls this first.

    :raises AccessDenied: naming what is missing and how to get it; ``rule`` says which check.
    """
    if actor.kind != "staff" or actor.role == BOOTSTRAP_ROLE:
        raise AccessDenied(
            f"approving is a human decision: a {actor.kind} credential cannot decide grants; "
            "a trained staff member must sign in and step up",
            "approve.human",
        )
    if actor.session is None:
        raise AccessDenied(
            "approving needs a staff login session (piguard login <name>), not an API key", "approve.session"
        )
    if not ctx.stepped_up(actor):
        minutes = int(ctx.step_up_ttl.total_seconds() // 60)
        raise AccessDenied(
            f"approving needs a step-up within the last {minutes} minutes: enter a fresh TOTP code "
            "(POST /v1/auth/step-up, piguard login <name> --step-up, or the code field on the console)",
            "approve.step_up",
        )
    status = ctx.training.status(actor.id)
    if not status.ok:
        raise AccessDenied(f"cannot approve: {status.reason}", "training")


class Approvals:
    """Grant decisions and listings, over the context's :class:`GrantBook`."""

    def __init__(self, context: AccessContext) -> None:
        self.context = context

    def request_grant(
        self,
        requester: Actor,
        *,
        kind: str,
        purpose: str,
        reason: str,
        customer_id: str | None = None,
        record_type: str | None = None,
        fields: Collection[str] | None = None,
        minutes: int = DEFAULT_MINUTES,
        max_rows: int | None = None,
        client: str | None = None,
    ) -> dict[str, Any]:
        """File a pending grant request for ``requester`` itself (R-USE-2) and record it
        (``grant_request``: the customer, record type, field names and purpose; never values).

        :param fields: qualified ``record_type.field`` names (default: every field).
        :raises ValidationError: see :meth:`GrantBook.request`.
        :raises AccessDenied: the requester's role may not act for ``purpose``, or a clear grant
            could change nothing (the role never sees a named field in clear); recorded.
        """
        ctx = self.context
        try:
            grant = ctx.grants.request(
                requester,
                kind=kind,
                purpose=purpose,
                reason=reason,
                customer_id=customer_id,
                record_type=record_type,
                fields=fields,
                minutes=minutes,
                max_rows=max_rows,
            )
        except AccessDenied as exc:
            # A refused request is evidence too (who asked for what they can never see).
            ctx.record(requester, "grant_request", result="denied", rule=exc.rule or "")
            raise
        names = tuple(sorted(f.split(".", 1)[-1] for f in fields or ()))
        types = {f.split(".", 1)[0] for f in fields or () if "." in f}
        ctx.recorder.record(
            AccessEvent(
                time=ctx.clock.now(),
                actor_id=requester.id,
                role=requester.role,
                action="grant_request",
                purpose=purpose,
                record_type=record_type or (types.pop() if len(types) == 1 else None),
                customer_id=customer_id,
                record_id=None,
                fields=names,
                decision="allow",
                rule="",
                result="ok",
                client=client,
                session=requester.session,
                detail={"grant": grant.id, "kind": kind},
            )
        )
        return grant.as_dict(ctx.clock.now())

    def decide_grant(
        self, approver: Actor, grant_id: str, *, approve: bool = True, minutes: int | None = None
    ) -> dict[str, Any]:
        """Approve or reject a grant (R-USE-2): a human decision, see :func:`require_human_decider`.

        :raises AccessDenied: not a human decider (an API client, no login session, no fresh
            step-up, lapsed training), self-approval, a role that may not approve the requester's.
        """
        ctx = self.context
        try:
            require_human_decider(ctx, approver)
            grant = ctx.grants.decide(approver, grant_id, approve=approve, minutes=minutes)
        except AccessDenied as exc:
            ctx.record(
                approver, "grant_decide", result="denied", rule=exc.rule or "", detail={"grant": grant_id}
            )
            raise
        ctx.record(
            approver,
            "grant_approve" if approve else "grant_reject",
            detail={"grant": grant_id, "requester_id": grant.requester_id},
        )
        return grant.as_dict(ctx.clock.now())

    def list_grants(self, actor: Actor, *, status: str | None = None) -> list[dict[str, Any]]:
        """Grants visible to ``actor``: its own; those it may approve; all for administrators and auditors."""
        ctx = self.context
        now = ctx.clock.now()
        role = ctx.catalog.roles.get(actor.role)
        sees_all = actor.role == BOOTSTRAP_ROLE or (
            role is not None and bool({"administer", "audit"} & role.actions)
        )
        approvable = role.can_approve if role is not None and "approve" in role.actions else frozenset()
        return [
            g.as_dict(now)
            for g in ctx.grants.list(status=status)
            if sees_all or g.requester_id == actor.id or g.requester_role in approvable
        ]
