"""The rights desk: the queue of data-subject requests and complaints, a case page, intake.

The queue lists open cases overdue and soonest due first, with filters; a case page shows its
timeline and the actions the staff member's role allows (verify in person or by code, pause,
resume, extend, refuse, complete); intake takes a request in on a caller's behalf. Every
action runs one operation of the :class:`~piguard.rights.Rights` capability.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.calendar import LOCAL_TZ
from piguard.rights import Rights
from piguard.rights.model import CHANNELS, RELATIONS, REQUEST_TYPES, STATUSES
from piguard.web import i18n
from piguard.web.core import Console, Staff

#: The steps a case page offers, each with the one operation it runs.
STEPS = ("send_code", "verify_code", "verify_in_person", "pause", "resume", "extend", "refuse", "complete")


def register(router: APIRouter, console: Console) -> None:
    """Add the rights desk routes."""
    staff_dep = Depends(console.staff)

    def rights() -> Rights:
        return console.capability(Rights)

    @router.get("/requests")
    def queue(
        request: Request,
        status: str | None = None,
        type: str | None = None,
        overdue: bool = False,
        staff: Staff = staff_dep,
    ) -> HTMLResponse:
        ctx = console.ctx(request, staff, "")
        error = None
        cases: list[Any] = []
        try:
            cases = rights().find(
                ctx,
                status=status if status in STATUSES else None,
                type=type if type in REQUEST_TYPES else None,
                overdue=overdue,
            )
        except errors.Error as exc:
            error = console.say(staff, exc)
        today = datetime.now(LOCAL_TZ).date()
        return console.render(
            request, "requests.html", title="requests.title", staff=staff, cases=cases, error=error,
            statuses=STATUSES, types=REQUEST_TYPES, channels=CHANNELS, relations=RELATIONS,
            chosen={"status": status or "", "type": type or "", "overdue": overdue}, today=today,
        )  # fmt: skip

    @router.get("/requests/{case_id}")
    def case_page(case_id: str, request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        ctx = console.ctx(request, staff, "")
        try:
            case = rights().show(ctx, case_id[:64])
        except errors.Error as exc:
            return console.render(
                request, "request.html", title="requests.case", staff=staff, case=None,
                error=console.say(staff, exc), steps=STEPS,
            )  # fmt: skip
        return console.render(
            request, "request.html", title="requests.case", staff=staff, case=case, error=None, steps=STEPS
        )

    @router.post("/requests")
    async def intake(request: Request) -> Response:
        form = await console.posted(request)
        return await run_in_threadpool(intake_now, request, dict(form))

    def intake_now(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        t = i18n.translator(staff.lang)
        try:
            case = rights().open(
                console.ctx(request, staff, ""),
                str(form.get("customer_id") or "").strip()[:128],
                str(form.get("type") or "")[:32],
                channel=str(form.get("channel") or "")[:16],
                relation=str(form.get("relation") or "self")[:16],
            )
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
            return console.redirect("/requests")
        staff.session.flash("ok", t("requests.opened"))
        return console.redirect(f"/requests/{case.id}")

    @router.post("/requests/{case_id}/{step}")
    async def act(case_id: str, step: str, request: Request) -> Response:
        form = await console.posted(request)
        return await run_in_threadpool(act_now, request, case_id[:64], step, dict(form))

    def act_now(request: Request, case_id: str, step: str, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        t = i18n.translator(staff.lang)
        ctx = console.ctx(request, staff, "")
        reason = str(form.get("reason") or "")[:2000]
        r = rights()
        try:
            if step == "send_code":
                r.send_code(ctx, case_id)
            elif step == "verify_code":
                r.verify(ctx, case_id, code=str(form.get("code") or "")[:12] or "-")
            elif step == "verify_in_person":
                r.verify(ctx, case_id, in_person=True)
            elif step in ("pause", "resume", "extend", "refuse"):
                getattr(r, step)(ctx, case_id, reason=reason)
            elif step == "complete":
                r.complete(ctx, case_id, note=reason or None)
            else:
                raise errors.NotFound("no such step")
            staff.session.flash("ok", t(f"requests.done.{step}"))
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect(f"/requests/{case_id}")
