"""HTTP routes of data-subject requests and complaints: ``/v1/requests``, ``/v1/complaints``.

Each route runs one declared operation of the :class:`~piguard.rights.Rights` capability, so
the gate authorises it for the caller's role and records it; cases carry no PI (the customer
is an id; contact details are read by the outbox when it sends).
"""

from __future__ import annotations

import html
from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from piguard.api.deps import Who, context
from piguard.installation import Installation
from piguard.rights import Rights

RequestTypeIn = Literal[
    "access", "portability", "correction", "deletion", "explanation", "restriction", "withdrawal",
    "marketing_optout", "account_closure",
]  # fmt: skip
ChannelIn = Literal["web", "phone", "counter", "letter", "email"]
StatusIn = Literal["received", "verified", "paused", "completed", "refused"]


class RequesterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    #: The ID document's type and number (and, for a relative, the death certificate's).
    document: str = Field(min_length=1, max_length=200)


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record_type: str = Field(min_length=1, max_length=64)
    record_id: str | None = Field(default=None, min_length=1, max_length=128)
    values: dict[str, str | None] = Field(min_length=1, max_length=200)


class InstructionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    no_relatives: bool


class OpenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=128)
    type: RequestTypeIn
    channel: ChannelIn
    received: datetime | None = None
    requester_relation: Literal["self", "guardian", "relative"] = "self"
    source: str | None = Field(default=None, min_length=1, max_length=64)
    #: A guardian's or close relative's relationship to the customer (PIPL 49, Minors Regs 33).
    relationship: (
        Literal["spouse", "parent", "child", "sibling", "grandparent", "grandchild", "legal_guardian"] | None
    ) = None
    #: Who the guardian or relative is, as their own ID document shows (sealed in the case).
    requester: RequesterIn | None = None


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=128)
    channel: ChannelIn
    received: datetime | None = None


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str | None = Field(default=None, min_length=1, max_length=12)
    in_person: bool = False
    #: What the requester states of the profile (field name → value), matched yes/no, never shown.
    stated: dict[str, str] | None = Field(default=None, max_length=5)
    #: The purpose under which the stated values are matched (the caller's role must read them for it).
    purpose: str | None = Field(default=None, min_length=1, max_length=64)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, min_length=1, max_length=2000)
    #: For a restriction request: the purposes the customer restricts or objects to.
    purposes: list[str] | None = Field(default=None, max_length=50)
    #: For a correction: the corrected values, all checked before any is written.
    changes: list[ChangeIn] | None = Field(default=None, max_length=50)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(min_length=1, max_length=2000)


def build_router(inst: Installation) -> APIRouter:
    """The rights routes under ``/v1``."""
    rights = inst.capability(Rights)
    router = APIRouter(prefix="/v1", tags=["rights"])

    def listing(request: Request, who: Who, kind: str, **filters: Any) -> dict[str, Any]:
        found = rights.find(context(request, who), **filters)
        return {"cases": [c.as_dict() for c in found if c.kind == kind]}

    @router.post("/requests", status_code=201)
    def open_request(body: OpenIn, request: Request, who: Who) -> dict[str, Any]:
        """Take a data-subject request in; the answer carries its due date (a Beijing date)."""
        return rights.open(
            context(request, who), body.customer_id, body.type, channel=body.channel, received=body.received,
            relation=body.requester_relation, source=body.source, relationship=body.relationship,
            requester=body.requester.model_dump() if body.requester else None,
        ).as_dict()  # fmt: skip

    @router.get("/requests")
    def list_requests(
        request: Request,
        who: Who,
        status: StatusIn | None = None,
        type: RequestTypeIn | None = None,
        customer_id: str | None = Query(default=None, max_length=128),
        overdue: bool = False,
        due_before: date | None = None,
        limit: int = Query(default=200, ge=1, le=1000),
    ) -> dict[str, Any]:
        """Requests, overdue and soonest due first."""
        return listing(
            request, who, "request", status=status, type=type, customer_id=customer_id, overdue=overdue,
            due_before=due_before, limit=limit,
        )  # fmt: skip

    @router.get("/requests/{case_id}")
    def show_request(case_id: str, request: Request, who: Who) -> dict[str, Any]:
        return rights.show(context(request, who), case_id).as_dict()

    @router.post("/requests/{case_id}/send-code")
    def send_code(case_id: str, request: Request, who: Who) -> dict[str, Any]:
        """Send the requester a one-time code at the contact on record."""
        return rights.send_code(context(request, who), case_id).as_dict()

    @router.post("/requests/{case_id}/verify")
    def verify(case_id: str, body: VerifyIn, request: Request, who: Who) -> dict[str, Any]:
        """Verify the requester: the one-time code (with the values they state, for a request that hands
        out or destroys data), or in person at the counter."""
        return rights.verify(
            context(request, who, body.purpose or ""), case_id, code=body.code, in_person=body.in_person,
            stated=body.stated,
        ).as_dict()  # fmt: skip

    @router.post("/requests/{case_id}/pause")
    def pause(case_id: str, body: ReasonIn, request: Request, who: Who) -> dict[str, Any]:
        return rights.pause(context(request, who), case_id, reason=body.reason).as_dict()

    @router.post("/requests/{case_id}/resume")
    def resume(case_id: str, body: ReasonIn, request: Request, who: Who) -> dict[str, Any]:
        return rights.resume(context(request, who), case_id, reason=body.reason).as_dict()

    @router.post("/requests/{case_id}/extend")
    def extend(case_id: str, body: ReasonIn, request: Request, who: Who) -> dict[str, Any]:
        return rights.extend(context(request, who), case_id, reason=body.reason).as_dict()

    @router.post("/requests/{case_id}/refuse")
    def refuse(case_id: str, body: ReasonIn, request: Request, who: Who) -> dict[str, Any]:
        """Refuse with the reason; the requester is told it and the remedy."""
        return rights.refuse(context(request, who), case_id, reason=body.reason).as_dict()

    @router.post("/requests/{case_id}/complete")
    def complete(case_id: str, body: CompleteIn, request: Request, who: Who) -> dict[str, Any]:
        """Fulfil the request; the answer says what was produced or erased."""
        return rights.complete(
            context(request, who), case_id, note=body.note, purposes=body.purposes,
            changes=[c.model_dump() for c in body.changes] if body.changes else None,
        )  # fmt: skip

    @router.get("/requests/{case_id}/letter", response_class=HTMLResponse)
    def letter(case_id: str, request: Request, who: Who, lang: Literal["zh", "en"] = "zh") -> HTMLResponse:
        """The written refusal (a minor's, a guardian's or a relative's request), to print or post."""
        return HTMLResponse(
            rights.letter(context(request, who), case_id, lang=lang), headers={"Cache-Control": "no-store"}
        )

    @router.put("/customers/{customer_id}/rights-instructions")
    def instruct(customer_id: str, body: InstructionIn, request: Request, who: Who) -> dict[str, Any]:
        """Record what the customer arranged for after their death (PIPL 49: no relatives' access)."""
        return rights.instruct(context(request, who), customer_id, no_relatives=body.no_relatives)

    @router.post("/complaints", status_code=201)
    def open_complaint(body: ComplaintIn, request: Request, who: Who) -> dict[str, Any]:
        """Take a complaint in (15 working days; routed to the PI officer)."""
        return rights.open(
            context(request, who), body.customer_id, "complaint", channel=body.channel, received=body.received
        ).as_dict()

    @router.get("/complaints")
    def list_complaints(
        request: Request, who: Who, status: StatusIn | None = None, overdue: bool = False
    ) -> dict[str, Any]:
        return listing(request, who, "complaint", status=status, type="complaint", overdue=overdue)

    @router.get("/complaints/{case_id}")
    def show_complaint(case_id: str, request: Request, who: Who) -> dict[str, Any]:
        return rights.show(context(request, who), case_id).as_dict()

    @router.post("/complaints/{case_id}/close")
    def close_complaint(case_id: str, body: CloseIn, request: Request, who: Who) -> dict[str, Any]:
        """Close a complaint with its outcome."""
        return rights.complete(context(request, who), case_id, note=body.outcome)

    @router.get("/packages/{token}", response_model=None)
    def package(
        token: str, format: Literal["json", "html"] = "json", lang: Literal["zh", "en"] = "zh"
    ) -> Response:
        """A customer's copy behind its one-time link (no sign-in: the link is the credential; it
        works once, until it expires). ``format=html`` gives a readable page, in ``lang``."""
        doc = rights.download(token[:128])
        if format == "json":
            return JSONResponse(doc, headers={"Cache-Control": "no-store"})
        return HTMLResponse(_page(doc, lang), headers={"Cache-Control": "no-store"})

    return router


_WORDS = {
    "zh": ("您的个人信息副本", "生成时间", "记录", "字段", "值", "未提供（安全原因）", "内容摘要"),
    "en": ("Your copy of your personal information", "Generated", "Record", "Field", "Value",
           "Withheld (security)", "Content hash"),
}  # fmt: skip


def _page(doc: dict[str, Any], lang: str) -> str:
    """The readable form of a copy: every value escaped (a copy holds what the customer typed)."""
    title, generated, record, field, value, withheld, content_hash = _WORDS[lang]
    e = html.escape
    parts = [
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><meta charset="utf-8">',
        f"<title>{e(title)}</title><h1>{e(title)}</h1>",
        f"<p>{e(generated)}: {e(str(doc.get('generated_at', '')))}</p>",
    ]
    for rec in doc.get("records", []):
        parts.append(
            f"<h2>{e(record)}: {e(str(rec['record_type']))} <code>{e(str(rec['record_id']))}</code></h2>"
        )
        parts.append(f"<table><tr><th>{e(field)}</th><th>{e(value)}</th></tr>")
        for name, val in rec["fields"].items():
            parts.append(f"<tr><td>{e(str(name))}</td><td>{e(str(val))}</td></tr>")
        parts.append("</table>")
    if doc.get("withheld"):
        parts.append(f"<p>{e(withheld)}: {e(', '.join(doc['withheld']))}</p>")
    parts.append(f"<p>{e(content_hash)}: <code>{e(str(doc.get('content_hash', '')))}</code></p>")
    return "".join(parts)
