"""HTTP routes of the consent ledger: notices, consent grant/withdraw/show, marketing preferences.

Mounted by :mod:`piguard.api.routers`; every route takes its caller from the one
:data:`~piguard.api.deps.Who` and runs one declared operation of the consent capability.
Customer ids travel in paths (they are random tokens, not PI); a guardian's ID number only
ever in a request body, and only its keyed digest is recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from piguard.api.deps import Who, context
from piguard.consent import Guardian
from piguard.consent.capability import Consent
from piguard.installation import Installation

Kind = Literal["general", "sensitive", "provision", "public_disclosure", "cross_border"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuardianIn(_Strict):
    relationship: Literal["father", "mother", "legal_guardian"]
    id_number: str | None = Field(default=None, max_length=32)
    identity_ref: str | None = Field(default=None, max_length=80)


class GrantIn(_Strict):
    purposes: list[str] = Field(min_length=1, max_length=32)
    kinds: list[Kind] = Field(default=["general"], min_length=1)
    channel: str = Field(min_length=1, max_length=64)
    notice_version: int | None = Field(default=None, ge=1)
    evidence_ref: str | None = Field(default=None, max_length=200)
    recipient: str | None = Field(default=None, max_length=200)
    given_at: datetime | None = None
    guardian: GuardianIn | None = None


class WithdrawIn(_Strict):
    purposes: list[str] | None = Field(default=None, max_length=32)
    kind: Kind | None = None
    channel: str = Field(min_length=1, max_length=64)
    evidence_ref: str | None = Field(default=None, max_length=200)


class RefuseIn(_Strict):
    purposes: list[str] = Field(min_length=1, max_length=32)
    channel: str = Field(min_length=1, max_length=64)


class MarketingIn(_Strict):
    opt_out: bool
    personalised: bool
    delete_tags: bool = False
    channel: str = Field(default="api", min_length=1, max_length=64)


class NoticeIn(_Strict):
    title: str = Field(min_length=1, max_length=200)
    text_zh: str = Field(min_length=1, max_length=200_000)
    text_en: str = Field(min_length=1, max_length=200_000)
    kind: Literal["privacy", "children"] = "privacy"
    material: bool = False
    purposes_changed: list[str] = Field(default_factory=list, max_length=64)
    effective_at: datetime | None = None


def build_router(inst: Installation) -> APIRouter:
    """The consent routes under ``/v1``; each runs one declared operation of the consent
    capability through the gate. Consent and preferences are recorded for the relationship,
    not read for a purpose, so every context has an empty purpose."""
    consent = inst.capability(Consent)
    router = APIRouter(prefix="/v1", tags=["consent"])

    def guardian(body: GuardianIn | None) -> Guardian | None:
        if body is None:
            return None
        if body.id_number:
            return consent.guardian(body.relationship, body.id_number)
        return Guardian(body.relationship, body.identity_ref or "")

    @router.get("/notices")
    def list_notices(request: Request, who: Who, texts: bool = False) -> dict[str, Any]:
        return {"notices": [n.as_dict(texts=texts) for n in consent.notices(context(request, who))]}

    @router.post("/notices", status_code=201)
    def publish_notice(body: NoticeIn, request: Request, who: Who) -> dict[str, Any]:
        notice = consent.publish_notice(
            context(request, who),
            body.text_zh,
            body.text_en,
            title=body.title,
            kind=body.kind,
            material=body.material,
            purposes_changed=body.purposes_changed,
            effective_at=body.effective_at,
        )
        return notice.as_dict()

    @router.get("/customers/{customer_id}/consent")
    def show(customer_id: str, request: Request, who: Who) -> dict[str, Any]:
        return consent.show(context(request, who), customer_id)

    @router.post("/customers/{customer_id}/consent", status_code=201)
    def grant(customer_id: str, body: GrantIn, request: Request, who: Who) -> dict[str, Any]:
        records = consent.grant(
            context(request, who),
            customer_id,
            body.purposes,
            channel=body.channel,
            kinds=body.kinds,
            notice_version=body.notice_version,
            evidence_ref=body.evidence_ref,
            recipient=body.recipient,
            given_at=body.given_at,
            guardian=guardian(body.guardian),
        )
        return {"recorded": [r.as_dict() for r in records]}

    @router.post("/customers/{customer_id}/consent/withdraw")
    def withdraw(customer_id: str, body: WithdrawIn, request: Request, who: Who) -> dict[str, Any]:
        result = consent.withdraw(
            context(request, who),
            customer_id,
            body.purposes or None,
            kind=body.kind,
            channel=body.channel,
            evidence_ref=body.evidence_ref,
        )
        return result.as_dict()

    @router.post("/customers/{customer_id}/consent/refuse", status_code=201)
    def refuse(customer_id: str, body: RefuseIn, request: Request, who: Who) -> dict[str, Any]:
        refused = consent.refuse(context(request, who), customer_id, body.purposes, channel=body.channel)
        return refused.as_dict()

    @router.get("/customers/{customer_id}/marketing")
    def get_marketing(customer_id: str, request: Request, who: Who) -> dict[str, Any]:
        return consent.marketing(context(request, who), customer_id).as_dict()

    @router.put("/customers/{customer_id}/marketing")
    def put_marketing(customer_id: str, body: MarketingIn, request: Request, who: Who) -> dict[str, Any]:
        pref = consent.set_marketing(
            context(request, who),
            customer_id,
            body.opt_out,
            body.personalised,
            channel=body.channel,
            delete_tags=body.delete_tags,
        )
        return pref.as_dict()

    return router
