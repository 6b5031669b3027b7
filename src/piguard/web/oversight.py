"""Oversight pages: the home page, the dashboard, the audit viewer and the alerts list.

The trail is read through the :class:`~piguard.gate.trail.Trail` capability only, so every
look at it is authorised and recorded by the gate like a look at data.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.calendar import LOCAL_TZ
from piguard.gate.trail import Trail
from piguard.web import charts, i18n, stats
from piguard.web.core import Console, Staff

PAGE = 100


def _date(value: str | None, *, end: bool = False) -> datetime | None:
    """A ``YYYY-MM-DD`` filter as the start (or the end) of that day in Beijing time."""
    if not value:
        return None
    try:
        day = datetime.strptime(value[:10], "%Y-%m-%d").date()
    except ValueError:
        raise errors.ValidationError("use YYYY-MM-DD", "date") from None
    moment = datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
    return moment + timedelta(days=1) if end else moment


def register(router: APIRouter, console: Console) -> None:
    """Add the oversight routes."""
    staff_dep = Depends(console.staff)
    trail = console.capability(Trail)

    @router.get("/")
    def home(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        me = console.access.whoami(staff.actor)
        pending = 0
        if staff.can("approve") and staff.role is not None:
            pending = sum(
                1
                for g in console.access.list_grants(staff.actor, status="pending")
                if g["requester_id"] != staff.actor.id and g["requester_role"] in staff.role.can_approve
            )
        # Templates for staff who write records: the catalog's record types, by name.
        templates = sorted(console.catalog.record_types) if staff.can("write") else []
        return console.render(
            request, "home.html", title="home.title", staff=staff, me=me, pending=pending, templates=templates
        )

    @router.get("/dashboard")
    def dashboard(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        console.require(staff, "audit", "administer")
        t = i18n.translator(staff.lang)
        figs = stats.figures(trail, console.ctx(request, staff, ""), console.clock.now())
        return console.render(
            request,
            "dashboard.html",
            title="dash.title",
            staff=staff,
            figs=figs,
            chart_days=charts.bars(figs.per_day, title=t("dash.per_day")),
            chart_roles=charts.hbars(figs.by_role, title=t("dash.by_role")),
            chart_denied=charts.bars(figs.denied_per_day, title=t("dash.denied"), colour="#b0412f"),
            chart_alerts=charts.hbars(figs.alerts, title=t("dash.alerts"), colour="#c08a1e"),
        )

    @router.get("/audit")
    def audit(
        request: Request,
        customer_id: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
        after: int | None = None,
        staff: Staff = staff_dep,
    ) -> HTMLResponse:
        console.require(staff, "audit")
        filters = {
            "customer_id": (customer_id or "")[:128],
            "actor": (actor or "")[:64],
            "action": (action or "")[:64],
            "since": (since or "")[:10],
            "until": (until or "")[:10],
        }
        entries: list[Any] = []
        error = None
        status = 200
        try:
            actor_id = filters["actor"] or None
            if actor_id:
                try:
                    actor_id = str(console.access.principal(actor_id)["id"])
                except errors.NotFound:
                    pass
            # The trail records this query itself (audit_query, with its match count).
            entries = trail.query(
                console.ctx(request, staff, ""),
                customer_id=filters["customer_id"] or None,
                actor=actor_id,
                action=filters["action"] or None,
                since=_date(filters["since"]),
                until=_date(filters["until"], end=True),
                after_seq=after,
                limit=PAGE,
            )
        except errors.AccessDenied:
            raise
        except errors.Error as exc:
            error, status = str(exc), 422
        return console.render(
            request,
            "audit.html",
            title="audit.title",
            staff=staff,
            status=status,
            enabled=True,
            entries=entries,
            filters=filters,
            error=error,
            next_after=entries[-1].seq if len(entries) == PAGE else None,
        )

    @router.get("/alerts")
    def alerts(request: Request, status: str | None = None, staff: Staff = staff_dep) -> HTMLResponse:
        console.require(staff, "audit")
        chosen = status if status in ("open", "acknowledged") else None
        rows = trail.alerts(console.ctx(request, staff, ""), status=chosen, limit=500)
        return console.render(
            request,
            "alerts.html",
            title="alerts.title",
            staff=staff,
            enabled=True,
            alerts=rows,
            chosen=chosen or "",
        )

    @router.post("/alerts/{alert_id}/ack")
    async def ack(alert_id: str, request: Request) -> Response:
        form = await console.posted(request)
        return await run_in_threadpool(ack_now, request, alert_id, str(form.get("comment") or "")[:2000])

    def ack_now(request: Request, alert_id: str, comment: str) -> Response:
        staff = console.staff(request)
        console.require(staff, "audit")
        t = i18n.translator(staff.lang)
        try:
            trail.ack(console.ctx(request, staff, ""), alert_id[:64], comment)
            staff.session.flash("ok", t("alerts.acked"))
        except errors.Error as exc:
            staff.session.flash("error", str(exc))
        return console.redirect("/alerts")
