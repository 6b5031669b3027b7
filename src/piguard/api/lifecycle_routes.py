"""HTTP routes of the data life cycle: legal holds under ``/v1/holds`` (R-DST-2), destruction
records under ``/v1/destructions`` (R-DST-3).

Each route runs one declared operation of :class:`~piguard.lifecycle.Lifecycle`; the list carries
no reasons (they are sealed; one hold's page opens them for those who decide on holds).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from piguard.api.deps import Who, context
from piguard.installation import Installation
from piguard.lifecycle import Lifecycle


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=2000)
    #: A case reference shared by the customers of one matter (a court case number).
    matter: str | None = Field(default=None, min_length=1, max_length=64)
    owner: str | None = Field(default=None, min_length=1, max_length=128)
    review_on: date | None = None


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    #: The day the relationship ended (default today; never in the future).
    on_date: date | None = None


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: ``contract_end`` or ``purpose_fulfilled`` (which names ``purpose``).
    event: str = Field(min_length=1, max_length=32)
    purpose: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)
    on_date: date | None = None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: ``destroy`` (by the next retention run) or ``keep`` (until ``keep_until``).
    decision: str = Field(min_length=1, max_length=16)
    reason: str = Field(min_length=1, max_length=2000)
    keep_until: date | None = None


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


def build_router(inst: Installation) -> APIRouter:
    """The life-cycle routes under ``/v1``."""
    lifecycle = inst.capability(Lifecycle)
    router = APIRouter(prefix="/v1", tags=["lifecycle"])

    @router.post("/holds", status_code=201)
    def place_hold(body: HoldIn, request: Request, who: Who) -> dict[str, Any]:
        """Hold a customer: every erasure of their data is refused until the hold is released."""
        return lifecycle.place(
            context(request, who), body.customer_id, reason=body.reason, matter=body.matter,
            owner=body.owner, review_on=body.review_on,
        ).as_dict()  # fmt: skip

    @router.get("/holds")
    def list_holds(
        request: Request,
        who: Who,
        customer_id: str | None = Query(default=None, max_length=128),
        matter: str | None = Query(default=None, max_length=64),
        active: bool | None = None,
        limit: int = Query(default=500, ge=1, le=5000),
    ) -> dict[str, Any]:
        today = inst.gate.today()
        found = lifecycle.find(
            context(request, who), customer_id=customer_id, matter=matter, active=active, limit=limit
        )
        return {"holds": [h.as_dict(today) for h in found]}

    @router.get("/holds/{hold_id}")
    def show_hold(hold_id: str, request: Request, who: Who) -> dict[str, Any]:
        return lifecycle.show(context(request, who), hold_id[:64]).as_dict(inst.gate.today())

    @router.post("/holds/{hold_id}/release")
    def release_hold(hold_id: str, body: ReleaseIn, request: Request, who: Who) -> dict[str, Any]:
        return lifecycle.release(context(request, who), hold_id[:64], reason=body.reason).as_dict()

    @router.post("/customers/{customer_id}/close")
    def close_account(customer_id: str, body: CloseIn, request: Request, who: Who) -> dict[str, Any]:
        """Record the end of the customer's relationship: post-relationship retention starts."""
        return lifecycle.close_account(
            context(request, who), customer_id[:128], reason=body.reason, on_date=body.on_date
        )

    @router.post("/customers/{customer_id}/lifecycle-events", status_code=201)
    def record_event(customer_id: str, body: EventIn, request: Request, who: Who) -> dict[str, Any]:
        """Record that the customer's contract ended or a purpose was fulfilled for them: the
        retention rules counted from it start."""
        return lifecycle.record_event(
            context(request, who), customer_id[:128], body.event, reason=body.reason, purpose=body.purpose,
            on_date=body.on_date,
        )  # fmt: skip

    @router.get("/retention/reviews")
    def retention_reviews(
        request: Request,
        who: Who,
        status: str | None = Query(default="open", max_length=16),
        limit: int = Query(default=500, ge=1, le=5000),
    ) -> dict[str, Any]:
        """Records whose period ended under a rule asking for a person's decision (no values)."""
        return {"reviews": lifecycle.reviews(context(request, who), status=status or None, limit=limit)}

    @router.post("/retention/reviews/{review_id}/decide")
    def retention_decide(review_id: str, body: DecisionIn, request: Request, who: Who) -> dict[str, Any]:
        """Decide a review: destroyed by the next retention run, or kept until a day."""
        return lifecycle.decide(
            context(request, who),
            review_id[:64],
            body.decision,
            reason=body.reason,
            keep_until=body.keep_until,
        )

    @router.get("/retention/statistics")
    def retention_statistics(request: Request, who: Who) -> dict[str, Any]:
        """What anonymisation kept: records counted by record type, rule and month."""
        return {"statistics": lifecycle.statistics(context(request, who))}

    @router.get("/retention/plan")
    def retention_plan(request: Request, who: Who, as_of: date | None = None) -> dict[str, Any]:
        """What retention would destroy or strip as of a date (counts only; changes nothing)."""
        return lifecycle.plan(context(request, who), as_of=as_of)

    @router.post("/retention/run")
    def retention_run(request: Request, who: Who) -> dict[str, Any]:
        """Execute retention now (today, the real clock): what has expired is destroyed or stripped."""
        return lifecycle.run(context(request, who))

    @router.get("/destructions")
    def list_destructions(
        request: Request, who: Who, limit: int = Query(default=200, ge=1, le=5000)
    ) -> dict[str, Any]:
        """Destruction records, newest first: one per erasure, signed with the audit key (R-DST-3)."""
        return {"records": lifecycle.destructions(context(request, who), limit=limit)}

    @router.get("/destructions/{record_id}")
    def show_destruction(record_id: str, request: Request, who: Who) -> dict[str, Any]:
        """One signed destruction record (``piguard retention verify-record`` checks it offline)."""
        return lifecycle.destruction(context(request, who), record_id[:64])

    return router
