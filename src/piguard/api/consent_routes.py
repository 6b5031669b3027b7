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

from piguard.consent import ConsentLedger, Guardian
from piguard.installation import Installation
from piguard.service import RequestContext

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


def ledger_for(inst: Installation) -> ConsentLedger:
    return inst.consent


def build_router(inst: Installation, auth_dependency: Callable[..., Any]) -> APIRouter:
    """The consent routes under ``/v1``; every route requires ``auth_dependency``."""
    ledger = ledger_for(inst)
    router = APIRouter(prefix="/v1", tags=["consent"])
    # A default, not a local Annotated alias: with postponed annotations FastAPI resolves
    # annotation strings in the module namespace, where a local alias does not exist.
    auth = Depends(auth_dependency)

    def operator(who: Any) -> str:
        return str(getattr(who, "id", "api"))

    def ctx(who: Any) -> RequestContext:
        # Consent and preferences are recorded for the relationship, not read for a purpose.
        return RequestContext(who, "", client="api")

    gate = inst.service

    def guardian(body: GuardianIn | None) -> Guardian | None:
        if body is None:
            return None
        if body.id_number:
            return ledger.guardian(body.relationship, body.id_number)
        return Guardian(body.relationship, body.identity_ref or "")

    @router.get("/notices")
    def list_notices(texts: bool = False, who: Any = auth) -> dict[str, Any]:
        return {"notices": [n.as_dict(texts=texts) for n in ledger.notices()]}

    @router.post("/notices", status_code=201)
    def publish_notice(body: NoticeIn, who: Any = auth) -> dict[str, Any]:
        notice = gate.administer(
            ctx(who),
            "notice_publish",
            lambda: ledger.publish_notice(
                body.text_zh,
                body.text_en,
                title=body.title,
                operator=operator(who),
                kind=body.kind,
                material=body.material,
                purposes_changed=body.purposes_changed,
                effective_at=body.effective_at,
            ),
            detail={"kind": body.kind, "material": body.material},
        )
        return notice.as_dict()

    @router.get("/customers/{customer_id}/consent")
    def show(customer_id: str, who: Any = auth) -> dict[str, Any]:
        return gate.about_customer(
            ctx(who),
            "read",
            "consent_show",
            customer_id,
            lambda: {
                "state": ledger.state(customer_id).as_dict(ledger.today()),
                "history": [r.as_dict() for r in ledger.history(customer_id)],
                "may_ask": {p: ledger.may_ask(customer_id, p) for p in sorted(inst.catalog.purposes)},
            },
        )

    @router.post("/customers/{customer_id}/consent", status_code=201)
    def grant(customer_id: str, body: GrantIn, who: Any = auth) -> dict[str, Any]:
        records = gate.about_customer(
            ctx(who),
            "write",
            "consent_grant",
            customer_id,
            lambda: ledger.grant(
                customer_id,
                body.purposes,
                channel=body.channel,
                operator=operator(who),
                kinds=body.kinds,
                notice_version=body.notice_version,
                evidence_ref=body.evidence_ref,
                recipient=body.recipient,
                given_at=body.given_at,
                guardian=guardian(body.guardian),
            ),
            detail={"purposes": sorted(body.purposes), "kinds": sorted(body.kinds)},
        )
        return {"recorded": [r.as_dict() for r in records]}

    @router.post("/customers/{customer_id}/consent/withdraw")
    def withdraw(customer_id: str, body: WithdrawIn, who: Any = auth) -> dict[str, Any]:
        result = gate.about_customer(
            ctx(who),
            "write",
            "consent_withdraw",
            customer_id,
            lambda: ledger.withdraw(
                customer_id,
                body.purposes or None,
                kind=body.kind,
                channel=body.channel,
                operator=operator(who),
                evidence_ref=body.evidence_ref,
            ),
            detail={"purposes": sorted(body.purposes or []), "kind": body.kind},
        )
        return result.as_dict()

    @router.post("/customers/{customer_id}/consent/refuse", status_code=201)
    def refuse(customer_id: str, body: RefuseIn, who: Any = auth) -> dict[str, Any]:
        return gate.about_customer(
            ctx(who),
            "write",
            "consent_refuse",
            customer_id,
            lambda: ledger.refuse(customer_id, body.purposes, channel=body.channel, operator=operator(who)),
            detail={"purposes": sorted(body.purposes)},
        ).as_dict()

    @router.get("/customers/{customer_id}/marketing")
    def get_marketing(customer_id: str, who: Any = auth) -> dict[str, Any]:
        return gate.about_customer(
            ctx(who),
            "read",
            "marketing_show",
            customer_id,
            lambda: ledger.state(customer_id).marketing.as_dict(),
        )

    @router.put("/customers/{customer_id}/marketing")
    def put_marketing(customer_id: str, body: MarketingIn, who: Any = auth) -> dict[str, Any]:
        pref = gate.about_customer(
            ctx(who),
            "write",
            "marketing_set",
            customer_id,
            lambda: ledger.set_marketing(
                customer_id,
                body.opt_out,
                body.personalised,
                channel=body.channel,
                operator=operator(who),
                delete_tags=body.delete_tags,
            ),
            detail={"opt_out": body.opt_out, "personalised": body.personalised},
        )
        return pref.as_dict()

    return router
