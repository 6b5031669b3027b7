"""HTTP routes of compliance evidence under ``/v1/compliance``: live checks, the record of
processing, governance records, the signed report and the evidence bundle.

Each route runs one declared operation of :class:`~piguard.compliance.Compliance`; what they
return holds catalog names, counts and record ids, never a customer value.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from piguard.api.deps import Who, context
from piguard.compliance import Compliance
from piguard.installation import Installation

MEDIA = {".json": "application/json", ".html": "text/html; charset=utf-8", ".pdf": "application/pdf",
         ".sig": "text/plain"}  # fmt: skip


class OfficerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    #: The published contact (an address, a telephone line of the office).
    contact: str = Field(min_length=1, max_length=256)
    published: bool = True
    since: date | None = None


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=200_000)
    scope: Literal["general", "minors", "incident", "security", "retention", "rights"] = "general"
    effective_on: date | None = None


class AuditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: Literal["general", "minors"]
    completed_on: date
    auditor: str = Field(min_length=1, max_length=128)
    result: Literal["passed", "findings", "failed"]
    reference: str = Field(default="", max_length=200)


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    formats: list[Literal["json", "html", "pdf"]] = Field(default=["json", "html", "pdf"], min_length=1)


def build_router(inst: Installation) -> APIRouter:
    """The compliance routes under ``/v1/compliance``."""
    compliance = inst.capability(Compliance)
    router = APIRouter(prefix="/v1/compliance", tags=["compliance"])

    @router.get("/checks")
    def run_checks(
        request: Request, who: Who, id: str | None = Query(default=None, max_length=16)
    ) -> dict[str, Any]:
        """Run the live checks (those of requirement ``id`` only, if given)."""
        results = compliance.check(context(request, who), requirement=id)
        return {"checks": [r.as_dict() for r in results]}

    @router.get("/ropa")
    def ropa(request: Request, who: Who) -> dict[str, Any]:
        """The record of processing activities (R-AUD-4) as JSON."""
        return compliance.ropa(context(request, who))

    @router.post("/reports", status_code=201)
    def create_report(body: ReportIn, request: Request, who: Who) -> dict[str, Any]:
        """Generate, sign and keep a compliance report (every requirement, its status and evidence)."""
        done = compliance.report(context(request, who), formats=body.formats)
        return {k: v for k, v in done.items() if k not in ("files", "dir")} | {
            "files": [Path(f).name for f in done["files"]]
        }

    @router.get("/reports")
    def list_reports(request: Request, who: Who) -> dict[str, Any]:
        found = compliance.reports(context(request, who))
        return {"reports": [{k: v for k, v in r.items() if k != "dir"} for r in found]}

    @router.get("/reports/{report_id}/files/{name}")
    def report_file(report_id: str, name: str, request: Request, who: Who) -> Response:
        """One file of a kept report (``manifest.json`` and ``manifest.sig`` included)."""
        data = compliance.report_file(context(request, who), report_id[:64], name[:64])
        return Response(data, media_type=MEDIA.get(Path(name).suffix, "application/octet-stream"))

    @router.post("/bundle")
    def bundle(request: Request, who: Who) -> Response:
        """The signed evidence bundle (a ZIP) for an auditor."""
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "evidence.zip"
            compliance.bundle(context(request, who), out)
            data = out.read_bytes()
        return Response(data, media_type="application/zip")

    @router.get("/governance")
    def governance(request: Request, who: Who) -> dict[str, Any]:
        """The PI officer, policies in force and their history, audits and the audit schedule."""
        return compliance.governance(context(request, who))

    @router.put("/officer")
    def set_officer(body: OfficerIn, request: Request, who: Who) -> dict[str, Any]:
        return compliance.set_officer(
            context(request, who), name=body.name, contact=body.contact, published=body.published,
            since=body.since,
        )  # fmt: skip

    @router.post("/policies", status_code=201)
    def publish_policy(body: PolicyIn, request: Request, who: Who) -> dict[str, Any]:
        return compliance.publish_policy(
            context(request, who), body.name, title=body.title, text=body.text, scope=body.scope,
            effective_on=body.effective_on,
        )  # fmt: skip

    @router.get("/policies/{name}")
    def show_policy(
        name: str, request: Request, who: Who, version: int | None = Query(default=None, ge=1)
    ) -> dict[str, Any]:
        return compliance.policy_text(context(request, who), name[:64], version)

    @router.post("/audits", status_code=201)
    def record_audit(body: AuditIn, request: Request, who: Who) -> dict[str, Any]:
        return compliance.record_audit(
            context(request, who), scope=body.scope, completed_on=body.completed_on,
            auditor=body.auditor, result=body.result, reference=body.reference,
        )  # fmt: skip

    return router
