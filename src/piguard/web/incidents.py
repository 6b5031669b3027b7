"""The incident desk: the register (with the form to open one) and an incident's page (facts,
timeline, clocks, affected counts by field and level, notices, containment).

Every action runs one operation of the :class:`~piguard.incidents.Incidents` capability; the
pages name customers by count only, never one by one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.calendar import LOCAL_TZ
from piguard.catalog.vocabulary import DATA_ACTIONS
from piguard.incidents import Incidents
from piguard.incidents.grading import GRADES
from piguard.incidents.model import CATEGORIES, STAGES
from piguard.web import i18n
from piguard.web.core import Console, Staff

#: The steps an incident page offers, each with the one operation it runs.
STEPS = ("update", "scope", "grade", "notify", "contain", "close")


def _time(text: str, field: str) -> datetime | None:
    """A ``datetime-local`` field (Beijing time, no zone) as an aware instant."""
    if not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise errors.ValidationError("not a date and time", field) from None
    return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)


def register(router: APIRouter, console: Console) -> None:
    """Add the incident desk routes."""
    staff_dep = Depends(console.staff)

    def incidents() -> Incidents:
        return console.capability(Incidents)

    def page(request: Request, staff: Staff, **kw: Any) -> HTMLResponse:
        return console.render(
            request, kw.pop("template"), title=kw.pop("title"), staff=staff, grades=GRADES,
            stages=STAGES[:-1], categories=CATEGORIES, actions=sorted(DATA_ACTIONS), **kw,
        )  # fmt: skip

    @router.get("/incidents")
    def register_page(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        ctx = console.ctx(request, staff, "")
        found: list[dict[str, Any]] = []
        error = None
        try:
            found = incidents().find(ctx)
        except errors.Error as exc:
            error = console.say(staff, exc)
        return page(
            request, staff, template="incidents.html", title="incidents.title", found=found, error=error
        )

    @router.post("/incidents")
    async def open_incident(request: Request) -> Response:
        form = await console.posted(request)
        return await run_in_threadpool(open_now, request, dict(form))

    def open_now(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        t = i18n.translator(staff.lang)
        try:
            discovered = _time(str(form.get("discovered") or ""), "discovered") or datetime.now(LOCAL_TZ)
            opened = incidents().open(
                console.ctx(request, staff, ""),
                title=str(form.get("title") or "")[:4000],
                discovered=discovered,
                occurred=_time(str(form.get("occurred") or ""), "occurred"),
                category=str(form.get("category") or "other")[:64],
                cause_known=bool(form.get("cause_known")),
                texts={"description": str(form.get("description") or "")[:4000]},
            )
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
            return console.redirect("/incidents")
        staff.session.flash("ok", t("incidents.opened"))
        return console.redirect(f"/incidents/{opened['id']}")

    @router.get("/incidents/{incident_id}")
    def incident_page(incident_id: str, request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        ctx = console.ctx(request, staff, "")
        try:
            shown = incidents().show(ctx, incident_id[:64])
        except errors.Error as exc:
            return page(
                request, staff, template="incident.html", title="incidents.case", incident=None,
                error=console.say(staff, exc),
            )  # fmt: skip
        return page(
            request, staff, template="incident.html", title="incidents.case", incident=shown, error=None,
            profile=incidents().profile,
        )  # fmt: skip

    @router.post("/incidents/{incident_id}/{step}")
    async def act(incident_id: str, step: str, request: Request) -> Response:
        form = await console.posted(request)
        return await run_in_threadpool(act_now, request, incident_id[:64], step, dict(form))

    def act_now(request: Request, incident_id: str, step: str, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        t = i18n.translator(staff.lang)
        ctx = console.ctx(request, staff, "")
        why = str(form.get("justification") or "")[:4000]
        inc = incidents()
        try:
            if step == "update":
                texts = {
                    k: str(form[k])[:4000]
                    for k in ("cause", "harm", "measures", "contact", "place", "delay_reason")
                    if str(form.get(k) or "").strip()
                }
                stage = str(form.get("stage") or "") or None
                inc.update(ctx, incident_id, justification=why, stage=stage, texts=texts or None)
            elif step == "scope":
                names = [n.strip() for n in str(form.get("actors") or "").split(",") if n.strip()][:20]
                actors = [str(console.inst.access.principal(n)["id"]) for n in names]
                chosen = [a for a in sorted(DATA_ACTIONS) if form.get(f"action_{a}")] or sorted(DATA_ACTIONS)
                inc.scope(
                    ctx, incident_id, actors=actors, since=_time(str(form.get("since") or ""), "since"),
                    until=_time(str(form.get("until") or ""), "until"), actions=chosen,
                )  # fmt: skip
            elif step == "grade":
                confirm = str(form.get("confirm") or "") or None
                inc.grade(ctx, incident_id, confirm=confirm, justification=why)
            elif step == "notify":
                mode = str(form.get("mode") or "draft")[:8]
                inc.notify(ctx, incident_id, mode=mode, locale=staff.lang, skip_reason=why or None)
            elif step == "contain":
                inc.contain(
                    ctx, incident_id, freeze=str(form.get("freeze") or "").strip()[:64] or None,
                    suspend_partner=str(form.get("partner") or "").strip()[:64] or None,
                    rotate_keys=form.get("rotate") == "1", justification=why,
                )  # fmt: skip
            elif step == "close":
                inc.close(ctx, incident_id, justification=why)
            else:
                raise errors.NotFound("no such step")
            staff.session.flash("ok", t(f"incidents.done.{step}"))
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect(f"/incidents/{incident_id}")
