"""HTTP routes of the audit trail: entries, verification, a customer's own history, alerts.

Mounted by :func:`piguard.api.app.create_app` with
``app.include_router(build_router(inst, current_actor))``. Reading the trail needs the
catalog's ``audit`` action; a customer (an actor of kind ``customer``) may read their own
history. Every call is itself recorded in the trail. Customers appear as keyed
references; in a customer's history staff appear by role and purpose only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from piguard.access.decision import BOOTSTRAP_ROLE
from piguard.audit import AuditLog, audit_of
from piguard.errors import AccessDenied, ValidationError


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(min_length=1, max_length=2000)


def _aware(when: datetime | None, name: str) -> datetime | None:
    if when is not None and when.tzinfo is None:
        raise ValidationError("give a time zone (e.g. 2025-01-31T08:00:00+08:00)", name)
    return when


def build_router(inst: Any, auth_dependency: Callable[..., Any], audit: AuditLog | None = None) -> APIRouter:
    """The audit routes under ``/v1``; every route requires ``auth_dependency`` (an Actor).

    :param audit: the log to serve (default: ``inst.audit``, else one built for this router).
    """
    log = audit or audit_of(inst)
    router = APIRouter(prefix="/v1", tags=["audit"])
    # A default, not an Annotated alias: with postponed annotations FastAPI resolves
    # annotation strings in the module namespace.
    auth = Depends(auth_dependency)

    def require(who: Any, *actions: str) -> None:
        access = getattr(inst, "access", None)
        role = getattr(who, "role", "")
        if access is None:
            if role != BOOTSTRAP_ROLE:
                raise AccessDenied("no access control configured")
            return
        for action in actions:
            try:
                access.policy.check_action(role, action, None)
                return
            except AccessDenied:
                continue
        access.require(who, actions[0])  # records the refusal, then raises

    def note(who: Any, request: Request, action: str, customer_id: str | None = None, **detail: Any) -> None:
        log.note(
            str(getattr(who, "id", "api")),
            str(getattr(who, "role", "")),
            action,
            customer_id=customer_id,
            client="api",
            address=request.client.host if request.client else None,
            session=getattr(who, "session", None),
            **detail,
        )

    @router.get("/audit/entries")
    def entries(
        request: Request,
        customer_id: str | None = None,
        customer_ref: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after: int | None = None,
        limit: int = Query(default=100, ge=1, le=10_000),
        who: Any = auth,
    ) -> dict[str, Any]:
        """Who accessed what, when and why: by customer, actor, action and time range."""
        require(who, "audit")
        found = log.query(
            customer_id=customer_id,
            customer_ref=customer_ref,
            actor=actor,
            action=action,
            since=_aware(since, "since"),
            until=_aware(until, "until"),
            after_seq=after,
            limit=limit,
        )
        note(who, request, "audit_query", customer_id=customer_id, matches=len(found))
        return {
            "entries": [e.as_dict() for e in found],
            "next_after": found[-1].seq if len(found) == limit else None,
        }

    @router.get("/audit/verify")
    def verify(request: Request, who: Any = auth) -> dict[str, Any]:
        """Check the chain against its signed checkpoints; ``ok`` false names each tampering."""
        require(who, "audit", "administer")
        report = log.verify()
        note(who, request, "audit_verify", entries=report.entries)
        return report.as_dict()

    @router.get("/audit/public-key")
    def public_key(who: Any = auth) -> dict[str, str]:
        require(who, "audit", "administer")
        return {"key_id": log.key_id, "public_key": log.public_key.hex(), "algorithm": "Ed25519"}

    @router.get("/audit/customers/{customer_id}/history")
    def history(customer_id: str, request: Request, who: Any = auth) -> dict[str, Any]:
        """A customer's own access history (privacy centre): staff by role and purpose, not by name."""
        own = getattr(who, "kind", "") == "customer" and getattr(who, "id", None) == customer_id
        if not own:
            require(who, "audit")
        rows = log.customer_history(customer_id)
        note(who, request, "audit_history", customer_id=customer_id, count=len(rows))
        return {"customer_ref": log.customer_ref(customer_id), "history": rows}

    @router.get("/alerts")
    def alerts(
        status: str | None = None, limit: int = Query(default=100, ge=1, le=10_000), who: Any = auth
    ) -> dict[str, Any]:
        require(who, "audit")
        return {"alerts": [a.as_dict() for a in log.alerts(status=status, limit=limit)]}

    @router.post("/alerts/{alert_id}/ack")
    def ack(alert_id: str, body: AckIn, who: Any = auth) -> dict[str, Any]:
        require(who, "audit")
        return log.ack_alert(alert_id, by=str(getattr(who, "id", "api")), comment=body.comment).as_dict()

    return router
