"""The sharing page: the partner register, agreements, impact assessments, the transfer log and
partners' pending deletion notices (issue 15), in zh/en; an officer may suspend an agreement.

Shares from the console follow the four-eyes path: the sharing officer requests one, another
person whose role may approve the requester's decides it (never the requester: separation of
duties), and the requester downloads it once, a ZIP with the desensitised content and its signed
manifest. The share runs at that download, as one gate decision; piguard keeps only its hash.

Each list runs a declared operation of :class:`~piguard.sharing.Sharing`; nothing here shows a
customer value (the log names fields, rules, counts and hashes).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.sharing import Sharing
from piguard.web import i18n
from piguard.web.core import Console, Staff


def register(router: APIRouter, console: Console) -> None:
    """Add the sharing routes."""
    staff_dep = Depends(console.staff)

    def sharing() -> Sharing:
        return console.capability(Sharing)

    @router.get("/sharing")
    def sharing_page(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        console.require(staff, "approve", "audit", "export")
        ctx = console.ctx(request, staff, "")
        capability = sharing()
        # The register and the log are for roles that approve or audit; a sharing officer (export)
        # sees the share requests and asks for new ones.
        overseer = staff.can("approve") or staff.can("audit")
        return console.render(
            request,
            "sharing.html",
            title="sharing.title",
            staff=staff,
            overseer=overseer,
            partners=capability.partners(ctx) if overseer else [],
            agreements=capability.agreements(ctx) if overseer else [],
            assessments=capability.assessments(ctx) if overseer else [],
            transfers=capability.transfers(ctx)[:100] if overseer else [],
            notices=capability.notices(ctx, pending=True) if overseer else [],
            requests=(
                capability.share_requests(ctx)[:100] if staff.can("export") or staff.can("approve") else []
            ),
            today=console.gate.today(),
        )

    @router.post("/sharing/requests")
    async def request_share(request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(request_now, request, form)

    def request_now(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "export")
        t = i18n.translator(staff.lang)
        everyone = bool(form.get("all"))
        ids = [line.strip() for line in str(form.get("customers") or "").splitlines() if line.strip()]
        try:
            sharing().request_share(
                console.ctx(request, staff, ""),
                str(form.get("agreement") or "").strip()[:40],
                fields=str(form.get("fields") or "").split(","),
                customers=None if everyone else ids,
                all_customers=everyone,
                output=str(form.get("format") or "csv"),
            )
            staff.session.flash("ok", t("sharing.requested"))
        except (errors.ValidationError, errors.AccessDenied) as exc:
            staff.session.flash("error", str(exc))
        return console.redirect("/sharing")

    @router.post("/sharing/requests/{request_id}/decide")
    async def decide(request_id: str, request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(decide_now, request, request_id[:40], form)

    def decide_now(request: Request, request_id: str, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "approve")
        t = i18n.translator(staff.lang)
        approve = form.get("decision") != "refuse"
        try:
            sharing().decide_share(console.ctx(request, staff, ""), request_id, approve=approve)
            key = "sharing.approved" if approve else "sharing.refused"
            staff.session.flash("ok", t(key))
        except (errors.Conflict, errors.NotFound, errors.AccessDenied) as exc:
            staff.session.flash("error", str(exc))
        return console.redirect("/sharing")

    @router.post("/sharing/requests/{request_id}/download")
    async def download(request_id: str, request: Request) -> Response:
        await console.posted(request)
        return await run_in_threadpool(download_now, request, request_id[:40])

    def download_now(request: Request, request_id: str) -> Response:
        staff = console.staff(request)
        console.require(staff, "export")
        try:
            result = sharing().download(console.ctx(request, staff, ""), request_id)
        except (errors.NotFound, errors.AccessDenied, errors.ValidationError) as exc:
            staff.session.flash("error", str(exc))
            return console.redirect("/sharing")
        suffix = "csv" if result.manifest["format"] == "csv" else "jsonl"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{result.transfer_id}.{suffix}", result.content)
            archive.writestr(
                f"{result.transfer_id}.manifest.json",
                json.dumps(
                    {"manifest": result.manifest, "signature": result.signature}, ensure_ascii=False, indent=2
                ),
            )
        return Response(
            buffer.getvalue(),
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{result.transfer_id}.zip"',
                "Cache-Control": "no-store",
            },
        )

    @router.post("/sharing/agreements/{agreement_id}/suspend")
    async def suspend(agreement_id: str, request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(suspend_now, request, agreement_id[:40], form)

    def suspend_now(request: Request, agreement_id: str, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "approve")
        t = i18n.translator(staff.lang)
        try:
            sharing().suspend(
                console.ctx(request, staff, ""),
                agreement_id,
                reason=str(form.get("reason") or "incident")[:64],
            )
            staff.session.flash("ok", t("sharing.suspended").format(agreement=agreement_id))
        except (errors.ValidationError, errors.Conflict, errors.NotFound, errors.AccessDenied) as exc:
            staff.session.flash("error", str(exc))
        return console.redirect("/sharing")
