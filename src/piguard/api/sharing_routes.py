"""HTTP routes of governed sharing: partners, agreements, impact assessments, shares, public
disclosures, anonymised extracts, the transfer log and partners' deletion notices (issue 15).

Each route runs one declared operation of :class:`~piguard.sharing.Sharing`. A share's or an
extract's content (desensitised CSV or JSON Lines) is returned once, in the response, beside its
signed manifest; piguard keeps only its hash.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from piguard.api.deps import Who, context
from piguard.installation import Installation
from piguard.sharing import Sharing


class PartnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    uscc: str | None = Field(default=None, max_length=40)
    contact: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2)
    role: Literal["entrusted", "recipient", "joint"]
    #: A foreign judicial or law-enforcement body (never a recipient abroad, R-SHR-7).
    authority: bool = False
    security_basis: str = Field(min_length=1, max_length=64)
    assessed_on: date
    assessment_expires: date
    assessor: str = Field(min_length=1, max_length=200)
    #: The partner's endpoint for deletion notices (signed JSON POSTs); https:// only.
    notify_url: str | None = Field(default=None, max_length=500)


class AgreementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partner_id: str = Field(min_length=1, max_length=40)
    type: Literal["entrustment", "provision", "joint", "cross_border"]
    purpose: str = Field(min_length=1, max_length=64)
    #: Each field the agreement names and its rule: a rule name or ``{"rule", "params"}``.
    fields: dict[str, str | dict[str, Any]] = Field(min_length=1, max_length=64)
    method: str = Field(min_length=1, max_length=200)
    safeguards: str = Field(min_length=1, max_length=2000)
    starts_on: date
    ends_on: date
    document_sha256: str = Field(min_length=64, max_length=64)
    sub_entrustment: bool = False
    mechanism: Literal["security_assessment", "certification", "standard_contract", "exemption"] | None = None
    destination: str | None = Field(default=None, min_length=2, max_length=2)


class EndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["returned", "deleted"] | None = None
    evidence_sha256: str | None = Field(default=None, min_length=64, max_length=64)


class SuspendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sections: dict[str, str] = Field(max_length=16)
    conclusion: Literal["acceptable", "acceptable_with_measures", "not_acceptable"]
    reviewer: str = Field(min_length=1, max_length=200)
    assessed_on: date
    valid_until: date
    agreement_id: str | None = Field(default=None, max_length=40)
    purpose: str | None = Field(default=None, max_length=64)


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agreement_id: str = Field(min_length=1, max_length=40)
    fields: list[str] = Field(min_length=1, max_length=64)
    customers: list[str] | None = Field(default=None, max_length=200_000)
    all: bool = False
    format: Literal["csv", "jsonl"] = "csv"
    #: An approved export grant: a share of more customers than the threshold needs one (R-USE-3).
    grant_id: str | None = Field(default=None, max_length=64)


class DisclosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: A catalog purpose that requires the separate ``public_disclosure`` consent (R-SHR-8).
    purpose: str = Field(min_length=1, max_length=64)
    #: Each field disclosed and its rule: a rule name or ``{"rule", "params"}`` (no pseudonyms).
    fields: dict[str, str | dict[str, Any]] = Field(min_length=1, max_length=64)
    #: Where it is published (a web page, a notice board), a short text.
    medium: str = Field(min_length=1, max_length=200)
    customers: list[str] | None = Field(default=None, max_length=200_000)
    all: bool = False
    format: Literal["csv", "jsonl"] = "csv"
    grant_id: str | None = Field(default=None, max_length=64)


class ShareRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agreement_id: str = Field(min_length=1, max_length=40)
    fields: list[str] = Field(min_length=1, max_length=64)
    customers: list[str] | None = Field(default=None, max_length=200_000)
    all: bool = False
    format: Literal["csv", "jsonl"] = "csv"


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool = True


class ExtractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(min_length=1, max_length=64)
    fields: list[str] = Field(min_length=1, max_length=64)
    quasi: list[str] = Field(min_length=1, max_length=16)
    sensitive: str | None = Field(default=None, max_length=64)
    k: int = Field(default=5, ge=2, le=1000)
    l: int | None = Field(default=None, ge=2, le=100)  # noqa: E741 - the literature's name
    customers: list[str] | None = Field(default=None, max_length=200_000)
    format: Literal["csv", "jsonl"] = "csv"


def build_router(inst: Installation) -> APIRouter:
    """The sharing routes under ``/v1``."""
    sharing = inst.capability(Sharing)
    router = APIRouter(prefix="/v1", tags=["sharing"])

    @router.post("/partners", status_code=201)
    def add_partner(body: PartnerIn, request: Request, who: Who) -> dict[str, Any]:
        """Register a partner (a Chinese one with a valid unified social credit code)."""
        return sharing.add_partner(
            context(request, who),
            name=body.name,
            uscc_code=body.uscc,
            contact=body.contact,
            country=body.country,
            role=body.role,
            authority=body.authority,
            security_basis=body.security_basis,
            assessed_on=body.assessed_on,
            assessment_expires=body.assessment_expires,
            notify_url=body.notify_url,
            assessor=body.assessor,
        ).as_dict()

    @router.get("/partners")
    def list_partners(request: Request, who: Who) -> dict[str, Any]:
        return {"partners": [p.as_dict() for p in sharing.partners(context(request, who))]}

    @router.get("/partners/{partner_id}")
    def show_partner(partner_id: str, request: Request, who: Who) -> dict[str, Any]:
        return sharing.partners(context(request, who), partner_id[:40])[0].as_dict()

    @router.post("/agreements", status_code=201)
    def add_agreement(body: AgreementIn, request: Request, who: Who) -> dict[str, Any]:
        """Record an agreement: its exact fields and how each leaves (R-SHR-1)."""
        return sharing.add_agreement(
            context(request, who),
            partner_id=body.partner_id,
            type=body.type,
            purpose=body.purpose,
            fields=body.fields,
            method=body.method,
            safeguards=body.safeguards,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            document_sha256=body.document_sha256,
            sub_entrustment=body.sub_entrustment,
            mechanism=body.mechanism,
            destination=body.destination,
        ).as_dict()

    @router.get("/agreements")
    def list_agreements(
        request: Request, who: Who, partner_id: str | None = Query(default=None, max_length=40)
    ) -> dict[str, Any]:
        found = sharing.agreements(context(request, who), partner_id=partner_id)
        return {"agreements": [a.as_dict() for a in found]}

    @router.get("/agreements/{agreement_id}")
    def show_agreement(agreement_id: str, request: Request, who: Who) -> dict[str, Any]:
        return sharing.agreements(context(request, who), agreement_id[:40])[0].as_dict()

    @router.post("/agreements/{agreement_id}/end")
    def end_agreement(agreement_id: str, body: EndIn, request: Request, who: Who) -> dict[str, Any]:
        """End an agreement; an entrustment's end records the return-or-delete evidence (R-DST-5)."""
        return sharing.end_agreement(
            context(request, who),
            agreement_id[:40],
            outcome=body.outcome,
            evidence_sha256=body.evidence_sha256,
        ).as_dict()

    @router.post("/agreements/{agreement_id}/suspend")
    def suspend_agreement(agreement_id: str, body: SuspendIn, request: Request, who: Who) -> dict[str, Any]:
        return sharing.suspend(context(request, who), agreement_id[:40], reason=body.reason).as_dict()

    @router.post("/assessments", status_code=201)
    def add_assessment(body: AssessmentIn, request: Request, who: Who) -> dict[str, Any]:
        """Record a PIPIA (GB/T 39335-2020 sections), the next version for its agreement or purpose."""
        return sharing.add_assessment(
            context(request, who),
            sections=body.sections,
            conclusion=body.conclusion,
            reviewer=body.reviewer,
            assessed_on=body.assessed_on,
            valid_until=body.valid_until,
            agreement_id=body.agreement_id,
            purpose=body.purpose,
        ).as_dict()

    @router.get("/assessments")
    def list_assessments(
        request: Request, who: Who, agreement_id: str | None = Query(default=None, max_length=40)
    ) -> dict[str, Any]:
        found = sharing.assessments(context(request, who), agreement_id=agreement_id)
        return {"assessments": [a.as_dict() for a in found]}

    @router.get("/assessments/{assessment_id}")
    def show_assessment(assessment_id: str, request: Request, who: Who) -> dict[str, Any]:
        return sharing.assessments(context(request, who), assessment_id[:40])[0].as_dict()

    @router.post("/shares", status_code=201)
    def share(body: ShareIn, request: Request, who: Who) -> dict[str, Any]:
        """Share under an agreement: one gate decision; the desensitised content is returned once."""
        result = sharing.share(
            context(request, who),
            body.agreement_id,
            fields=body.fields,
            customers=body.customers,
            all_customers=body.all,
            output=body.format,
            grant_id=body.grant_id,
        )
        return {**result.as_dict(), "content": result.content.decode()}

    @router.post("/share-requests", status_code=201)
    def request_share(body: ShareRequestIn, request: Request, who: Who) -> dict[str, Any]:
        """Ask for a share; another person approves it, then the requester downloads it once."""
        return sharing.request_share(
            context(request, who),
            body.agreement_id,
            fields=body.fields,
            customers=body.customers,
            all_customers=body.all,
            output=body.format,
        )

    @router.get("/share-requests")
    def list_share_requests(
        request: Request,
        who: Who,
        state: Literal["pending", "approved", "refused", "done"] | None = None,
    ) -> dict[str, Any]:
        return {"requests": sharing.share_requests(context(request, who), state=state)}

    @router.post("/share-requests/{request_id}/decide")
    def decide_share(request_id: str, body: DecisionIn, request: Request, who: Who) -> dict[str, Any]:
        """Approve or refuse a share request: never one's own (separation of duties)."""
        return sharing.decide_share(context(request, who), request_id[:40], approve=body.approve)

    @router.post("/share-requests/{request_id}/download")
    def download_share(request_id: str, request: Request, who: Who) -> dict[str, Any]:
        """The one download of an approved share, by its requester (the share runs now)."""
        result = sharing.download(context(request, who), request_id[:40])
        return {**result.as_dict(), "content": result.content.decode()}

    @router.post("/disclosures", status_code=201)
    def disclose(body: DisclosureIn, request: Request, who: Who) -> dict[str, Any]:
        """Disclose publicly, with each customer's separate consent and a PIPIA (R-SHR-8); the
        desensitised content is returned once."""
        result = sharing.disclose(
            context(request, who),
            purpose=body.purpose,
            fields=body.fields,
            medium=body.medium,
            customers=body.customers,
            all_customers=body.all,
            output=body.format,
            grant_id=body.grant_id,
        )
        return {**result.as_dict(), "content": result.content.decode()}

    @router.post("/extracts", status_code=201)
    def extract(body: ExtractIn, request: Request, who: Who) -> dict[str, Any]:
        """An anonymised extract: refused unless k (and l) are reached, measured by pycanon."""
        result = sharing.extract(
            context(request, who, body.purpose),
            fields=body.fields,
            quasi=body.quasi,
            sensitive=body.sensitive,
            k=body.k,
            l=body.l,
            customers=body.customers,
            output=body.format,
        )
        return {**result.as_dict(), "content": result.content.decode()}

    @router.get("/transfers")
    def list_transfers(
        request: Request,
        who: Who,
        partner_id: str | None = Query(default=None, max_length=40),
        customer_id: str | None = Query(default=None, max_length=128),
    ) -> dict[str, Any]:
        """The transfer log (R-SHR-4), by partner or customer."""
        found = sharing.transfers(context(request, who), partner_id=partner_id, customer_id=customer_id)
        return {"transfers": found}

    @router.get("/deletion-notices")
    def list_notices(request: Request, who: Who, pending: bool = False) -> dict[str, Any]:
        """Partners told to delete an erased customer's data, and their acknowledgements."""
        return {"notices": sharing.notices(context(request, who), pending=pending)}

    @router.post("/deletion-notices/{notice_id}/ack")
    def acknowledge(notice_id: str, request: Request, who: Who) -> dict[str, Any]:
        sharing.acknowledge(context(request, who), notice_id[:40])
        return {"acknowledged": notice_id[:40]}

    return router
