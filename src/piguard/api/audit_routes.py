"""HTTP routes of the audit trail: entries, verification, a customer's own history, alerts.

Every route runs one declared operation of the :class:`~piguard.gate.trail.Trail` capability,
so the gate authorises it (the catalog's ``audit`` action; ``verify`` and ``public-key`` also
``administer``; a customer principal its own history only) and records it like any look at
data. Customers appear as keyed references; in a customer's history staff appear by role and
purpose only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from piguard.api.deps import Who, context
from piguard.errors import ValidationError
from piguard.gate.trail import Trail
from piguard.installation import Installation


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(min_length=1, max_length=2000)


def _aware(when: datetime | None, name: str) -> datetime | None:
    if when is not None and when.tzinfo is None:
        raise ValidationError("give a time zone (e.g. 2025-01-31T08:00:00+08:00)", name)
    return when


def build_router(inst: Installation) -> APIRouter:
    """The audit routes under ``/v1``, over the installation's trail capability."""
    trail = inst.capability(Trail)
    router = APIRouter(prefix="/v1", tags=["audit"])

    @router.get("/audit/entries")
    def entries(
        request: Request,
        who: Who,
        customer_id: str | None = None,
        customer_ref: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after: int | None = None,
        limit: int = Query(default=100, ge=1, le=10_000),
    ) -> dict[str, Any]:
        """Who accessed what, when and why: by customer, actor, action and time range."""
        found = trail.query(
            context(request, who),
            customer_id=customer_id,
            customer_ref=customer_ref,
            actor=actor,
            action=action,
            since=_aware(since, "since"),
            until=_aware(until, "until"),
            after_seq=after,
            limit=limit,
        )
        return {
            "entries": [e.as_dict() for e in found],
            "next_after": found[-1].seq if len(found) == limit else None,
        }

    @router.get("/audit/verify")
    def verify(request: Request, who: Who) -> dict[str, Any]:
        """Check the chain against its signed checkpoints; ``ok`` false names each tampering."""
        return trail.verify(context(request, who)).as_dict()

    @router.get("/audit/public-key")
    def public_key(request: Request, who: Who) -> dict[str, str]:
        return trail.public_key(context(request, who))

    @router.get("/audit/customers/{customer_id}/history")
    def history(customer_id: str, request: Request, who: Who) -> dict[str, Any]:
        """A customer's own access history (privacy centre): staff by role and purpose, not by name."""
        return trail.history(context(request, who), customer_id)

    @router.get("/alerts")
    def alerts(
        request: Request,
        who: Who,
        status: str | None = None,
        limit: int = Query(default=100, ge=1, le=10_000),
    ) -> dict[str, Any]:
        found = trail.alerts(context(request, who), status=status, limit=limit)
        return {"alerts": [a.as_dict() for a in found]}

    @router.post("/alerts/{alert_id}/ack")
    def ack(alert_id: str, body: AckIn, request: Request, who: Who) -> dict[str, Any]:
        return trail.ack(context(request, who), alert_id, body.comment).as_dict()

    return router
