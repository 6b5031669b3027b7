"""HTTP routes of the consent ledger: notices, consent grant/withdraw/show, marketing preferences.

Mounted by :func:`piguard.api.app.create_app` with ``app.include_router(build_router(inst, actor))``.
Customer ids travel in paths (they are random tokens, not PI); a guardian's ID number only
ever in a request body, and only its keyed digest is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from piguard.consent import Guardian
from piguard.consent.capability import Consent
from piguard.gate import RequestContext
from piguard.installation import Installation
from piguard.vault.model import Actor

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


def build_router(inst: Installation, auth_dependency: Callable[..., Any]) -> APIRouter:
    """The consent routes under ``/v1``; every route requires ``auth_dependency`` and runs one
    declared operation of the consent capability through the gate."""
    consent = inst.capability(Consent)
    router = APIRouter(prefix="/v1", tags=["consent"])
    # A default, not a local Annotated alias: with postponed annotations FastAPI resolves
    # annotation strings in the module namespace, where a local alias does not exist.
    auth = Depends(auth_dependency)

    def ctx(who: Actor) -> RequestContext:
        # Consent and preferences are recorded for the relationship, not read for a purpose.
        return RequestContext(who, "", client="api")

    def guardian(body: GuardianIn | None) -> Guardian | None:
        if body is None:
            return None
        if body.id_number:
            return consent.guardian(body.relationship, body.id_number)
        return Guardian(body.relationship, body.identity_ref or "")

    @router.get("/notices")
    def list_notices(texts: bool = False, who: Actor = auth) -> dict[str, Any]:
        return {"notices": [n.as_dict(texts=texts) for n in consent.notices(ctx(who))]}

    @router.post("/notices", status_code=201)
    def publish_notice(body: NoticeIn, who: Actor = auth) -> dict[str, Any]:
        notice = consent.publish_notice(
            ctx(who),
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
    def show(customer_id: str, who: Actor = auth) -> dict[str, Any]:
        return consent.show(ctx(who), customer_id)

    @router.post("/customers/{customer_id}/consent", status_code=201)
    def grant(customer_id: str, body: GrantIn, who: Actor = auth) -> dict[str, Any]:
        records = consent.grant(
            ctx(who),
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
    def withdraw(customer_id: str, body: WithdrawIn, who: Actor = auth) -> dict[str, Any]:
        result = consent.withdraw(
            ctx(who),
            customer_id,
            body.purposes or None,
            kind=body.kind,
            channel=body.channel,
            evidence_ref=body.evidence_ref,
        )
        return result.as_dict()

    @router.post("/customers/{customer_id}/consent/refuse", status_code=201)
    def refuse(customer_id: str, body: RefuseIn, who: Actor = auth) -> dict[str, Any]:
        return consent.refuse(ctx(who), customer_id, body.purposes, channel=body.channel).as_dict()

    @router.get("/customers/{customer_id}/marketing")
    def get_marketing(customer_id: str, who: Actor = auth) -> dict[str, Any]:
        return consent.marketing(ctx(who), customer_id).as_dict()

    @router.put("/customers/{customer_id}/marketing")
    def put_marketing(customer_id: str, body: MarketingIn, who: Actor = auth) -> dict[str, Any]:
        pref = consent.set_marketing(
            ctx(who),
            customer_id,
            body.opt_out,
            body.personalised,
            channel=body.channel,
            delete_tags=body.delete_tags,
        )
        return pref.as_dict()

    return router
