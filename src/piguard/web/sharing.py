"""The sharing page: the partner register, agreements, impact assessments, the transfer log and
partners' pending deletion notices (issue 15), in zh/en; an officer may suspend an agreement.

Each list runs a declared operation of :class:`~piguard.sharing.Sharing`; nothing here shows a
customer value (the log names fields, rules, counts and hashes).
"""

from __future__ import annotations

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
        console.require(staff, "approve", "audit")
        ctx = console.ctx(request, staff, "")
        capability = sharing()
        return console.render(
            request,
            "sharing.html",
            title="sharing.title",
            staff=staff,
            partners=capability.partners(ctx),
            agreements=capability.agreements(ctx),
            assessments=capability.assessments(ctx),
            transfers=capability.transfers(ctx)[:100],
            notices=capability.notices(ctx, pending=True),
            today=console.gate.today(),
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
