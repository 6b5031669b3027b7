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
from piguard.rights.model import CHANNELS, RELATIONS, RELATIONSHIPS, REQUEST_TYPES, STATUSES
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
            relationships=RELATIONSHIPS,
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
            request, "request.html", title="requests.case", staff=staff, case=case, error=None, steps=STEPS,
            correctable=_correctable(console, staff.lang) if case.type == "correction" else [],
        )  # fmt: skip

    @router.get("/requests/{case_id}/letter")
    def letter(case_id: str, request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        """The written refusal, to print (its own page: the document as issued)."""
        ctx = console.ctx(request, staff, "")
        try:
            page = rights().letter(ctx, case_id[:64], lang=staff.lang)
        except errors.Error as exc:
            return console.render(
                request, "request.html", title="requests.case", staff=staff, case=None,
                error=console.say(staff, exc), steps=STEPS,
            )  # fmt: skip
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

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
                relationship=str(form.get("relationship") or "")[:16] or None,
                requester=_requester(form),
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
                stated = {
                    name: str(form.get(f"stated_{name}") or "").strip()[:200]
                    for name in ("name", "resident_id", "mobile")
                    if str(form.get(f"stated_{name}") or "").strip()
                }
                purpose = str(form.get("purpose") or "")[:64]
                r.verify(
                    console.ctx(request, staff, purpose), case_id,
                    code=str(form.get("code") or "")[:12] or "-", stated=stated,
                )  # fmt: skip
            elif step == "verify_in_person":
                r.verify(ctx, case_id, in_person=True)
            elif step in ("pause", "resume", "extend", "refuse"):
                getattr(r, step)(ctx, case_id, reason=reason)
            elif step == "complete":
                r.complete(ctx, case_id, note=reason or None, changes=_corrections(form) or None)
            else:
                raise errors.NotFound("no such step")
            staff.session.flash("ok", t(f"requests.done.{step}"))
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect(f"/requests/{case_id}")


def _correctable(console: Console, lang: str) -> list[dict[str, Any]]:
    """The catalog's record types and fields, labelled in ``lang``, for the correction rows."""
    return [
        {
            "name": rt.name,
            "label": i18n.term("record_type", rt.name, lang, console.catalog),
            "fields": [
                {"name": f.name, "label": i18n.label(f.label, lang, f.name)} for f in rt.fields.values()
            ],
        }
        for rt in console.catalog.record_types.values()
    ]


def _corrections(form: dict[str, Any]) -> list[dict[str, Any]]:
    """A correction's changes as typed on the case page: up to three ``record_type.field`` and
    value rows, grouped by record (the profile unless a record id is given for another type)."""
    record_id = str(form.get("change_record_id") or "").strip()[:128] or None
    grouped: dict[str, dict[str, Any]] = {}
    for i in range(3):
        qualified = str(form.get(f"change_field_{i}") or "")[:200]
        record_type, _, field = qualified.partition(".")
        if not record_type or not field:
            continue
        rid = None if record_type == "customer" else record_id
        change = grouped.setdefault(record_type, {"record_type": record_type, "record_id": rid, "values": {}})
        change["values"][field] = str(form.get(f"change_value_{i}") or "")[:2000]
    return list(grouped.values())


def _requester(form: dict[str, Any]) -> dict[str, str] | None:
    """A guardian's or relative's own identity, as typed at intake (sealed by the capability)."""
    name = str(form.get("requester_name") or "").strip()[:200]
    document = str(form.get("requester_document") or "").strip()[:200]
    return {"name": name, "document": document} if name or document else None
