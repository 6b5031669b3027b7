"""The front desk's stays page: register a stay, check it in (ID number or approval), check out.

A registered stay shows the desk nothing; checking in proves the guest: the ID number the guest
states is typed into a password field, posted in the form body, compared by the gate and never
echoed or kept; or the desk asks for a check-in approval that another person decides on the
approvals page. Every action runs a declared operation of the gate's stays capability.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.web import i18n
from piguard.web.core import Console, Staff


def register(router: APIRouter, console: Console) -> None:
    """Add the stays routes."""
    staff_dep = Depends(console.staff)

    def purpose_of(staff: Staff, asked: object) -> str:
        text = str(asked or "")
        if text in staff.purposes:
            return text
        return "service" if "service" in staff.purposes else (staff.purposes[0] if staff.purposes else "")

    @router.get("/stays")
    def stays_page(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        console.require(staff, "write")
        return console.render(
            request, "stays.html", title="stays.title", staff=staff, purpose=purpose_of(staff, None)
        )

    @router.post("/stays/{action}")
    async def stays_post(action: str, request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(act, request, action, form)

    def act(request: Request, action: str, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "write")
        t = i18n.translator(staff.lang)
        session = staff.session
        purpose = purpose_of(staff, form.get("purpose"))
        ctx = console.ctx(request, staff, purpose)
        stays = console.gate.stays
        stay_id = str(form.get("stay_id") or "").strip()[:128]
        customer_id = str(form.get("customer_id") or "").strip()[:128]
        try:
            if action == "register":
                values = {
                    "room_no": str(form.get("room_no") or "")[:16],
                    "check_in": str(form.get("check_in") or ""),
                    "check_out": str(form.get("check_out") or "") or None,
                }
                ref = stays.register(ctx, customer_id, {k: v for k, v in values.items() if v})
                session.flash("ok", t("stays.registered").format(stay=ref.record_id))
            elif action == "check-in":
                number = str(form.get("id_number") or "")[:64] or None
                grant = str(form.get("grant_id") or "").strip()[:64] or None
                stays.check_in(ctx, stay_id, id_number=number, grant_id=grant)
                session.flash("ok", t("stays.checked_in").format(stay=stay_id))
            elif action == "check-out":
                stays.check_out(ctx, stay_id)
                session.flash("ok", t("stays.checked_out").format(stay=stay_id))
            elif action == "ask":
                made = console.access.request_grant(
                    staff.actor,
                    kind="check_in",
                    purpose=purpose,
                    reason=str(form.get("reason") or "")[:500],
                    customer_id=customer_id,
                    client="console",
                )
                session.flash("ok", t("stays.asked").format(grant=made["id"]))
            else:
                raise errors.NotFound("no such action")
        except errors.Error as exc:
            session.flash("error", console.say(staff, exc))
        return console.redirect("/stays")
