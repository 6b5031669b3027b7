"""The approvals inbox: grant requests an approver may decide, and one's own requests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.web import i18n
from piguard.web.core import Console, Staff


def register(router: APIRouter, console: Console) -> None:
    """Add the approvals routes."""
    staff_dep = Depends(console.staff)
    access = console.access

    def names(ids: set[str]) -> dict[str, str]:
        out = {}
        for pid in ids:
            try:
                out[pid] = str(access.principal(pid)["name"])
            except errors.Error:
                out[pid] = pid
        return out

    def may_decide(staff: Staff, grant: dict[str, Any]) -> bool:
        role = staff.role
        return (
            grant["requester_id"] != staff.actor.id
            and role is not None
            and "approve" in role.actions
            and grant["requester_role"] in role.can_approve
        )

    @router.get("/approvals")
    def approvals(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        visible = access.list_grants(staff.actor)
        inbox = [g for g in visible if g["status"] == "pending" and may_decide(staff, g)]
        mine = [g for g in visible if g["requester_id"] == staff.actor.id][-50:]
        mine.reverse()
        who = names({g["requester_id"] for g in inbox + mine})
        return console.render(
            request,
            "approvals.html",
            title="approvals.title",
            staff=staff,
            inbox=inbox,
            mine=mine,
            who=who,
            # Deciding needs a fresh step-up: without one, each decision form asks for a TOTP code.
            stepped_up=access.stepped_up(staff.actor),
        )

    @router.post("/approvals/{grant_id}")
    async def decide(grant_id: str, request: Request) -> Response:
        form = await console.posted(request)
        return await run_in_threadpool(decide_now, request, grant_id, dict(form))

    def decide_now(request: Request, grant_id: str, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        t = i18n.translator(staff.lang)
        approve = form.get("decision") == "approve"
        raw = str(form.get("minutes") or "")
        totp = str(form.get("totp") or "").strip()[:16]
        try:
            actor = staff.actor
            if totp:
                access.step_up(actor, totp, address=request.client.host if request.client else None)
                # Re-read the session so the decision sees the step-up just proved.
                actor = access.authenticate(staff.session.token)
            access.decide_grant(
                actor, grant_id[:64], approve=approve, minutes=int(raw) if raw.isdigit() else None
            )
            staff.session.flash("ok", t("approvals.approved" if approve else "approvals.denied"))
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect("/approvals")
