"""Oversight pages: the home page, the dashboard, the audit viewer and the alerts list.

The trail is read through the :class:`~piguard.gate.trail.Trail` capability only, so every
look at it is authorised and recorded by the gate like a look at data.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.calendar import LOCAL_TZ
from piguard.gate.trail import Trail
from piguard.web import charts, i18n, stats
from piguard.web.core import Console, Staff

PAGE = 100
#: Most entries one export of a filtered view holds (a segment export has no such bound).
EXPORT_LIMIT = 10_000
#: Outcomes the viewer filters by (the entry's decision).
OUTCOMES = ("allow", "deny")
EXPORT_COLUMNS = [
    "seq",
    "time",
    "actor_id",
    "actor_name",
    "role",
    "action",
    "purpose",
    "customer_ref",
    "record_type",
    "fields",
    "decision",
    "rule",
    "result",
    "client",
]


def _severity_status(label: str, lang: str) -> str:
    """A dashboard alert bucket (``"high / open"``) in ``lang``."""
    severity, _, status = label.partition(" / ")
    return f"{i18n.term('severity', severity, lang)} / {i18n.term('status', status, lang)}"


def _digits(value: str | None) -> str:
    text = (value or "").strip()[:12]
    return text if text.isdigit() else ""


def _export_row(e: Any, who: dict[str, str]) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "time": e.time,
        "actor_id": e.actor_id,
        "actor_name": who.get(e.actor_id, ""),
        "role": e.role,
        "action": e.action,
        "purpose": e.purpose,
        "customer_ref": e.customer_ref,
        "record_type": e.record_type,
        "fields": " ".join(e.fields),
        "decision": e.decision,
        "rule": e.rule,
        "result": e.result,
        "client": e.client,
    }


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
            chart_roles=charts.hbars(
                [(i18n.term("role", r, staff.lang, console.catalog), n) for r, n in figs.by_role],
                title=t("dash.by_role"),
            ),
            chart_denied=charts.bars(figs.denied_per_day, title=t("dash.denied"), colour="#b0412f"),
            chart_alerts=charts.hbars(
                [(_severity_status(k, staff.lang), n) for k, n in figs.alerts],
                title=t("dash.alerts"),
                colour="#c08a1e",
            ),
        )

    def names(ids: set[str]) -> dict[str, str]:
        """Staff names for principal ids (system jobs and unknown ids keep their id)."""
        out: dict[str, str] = {}
        for pid in ids:
            if not pid or pid.startswith(("system", "name:", "anonymous")):
                continue
            try:
                out[pid] = str(console.access.principal(pid)["name"])
            except errors.Error:
                continue
        return out

    def audit_filters(request: Request) -> dict[str, str]:
        q = request.query_params
        return {
            "customer_id": (q.get("customer_id") or "")[:128],
            "actor": (q.get("actor") or "")[:64],
            "action": (q.get("action") or "")[:64],
            "outcome": str(q.get("outcome")) if q.get("outcome") in OUTCOMES else "",
            "since": (q.get("since") or "")[:10],
            "until": (q.get("until") or "")[:10],
            "from_seq": _digits(q.get("from_seq")),
            "to_seq": _digits(q.get("to_seq")),
        }

    def query_args(filters: dict[str, str]) -> dict[str, Any]:
        """The trail query of a filtered view (newest first).

        :raises ValidationError: a malformed date.
        """
        actor_id = filters["actor"] or None
        if actor_id:
            try:
                actor_id = str(console.access.principal(actor_id)["id"])
            except errors.NotFound:
                pass
        return {
            "customer_id": filters["customer_id"] or None,
            "actor": actor_id,
            "action": filters["action"] or None,
            "decision": filters["outcome"] or None,
            "since": _date(filters["since"]),
            "until": _date(filters["until"], end=True),
            "after_seq": int(filters["from_seq"]) - 1 if filters["from_seq"] else None,
            "through_seq": int(filters["to_seq"]) if filters["to_seq"] else None,
            "newest_first": True,
        }

    @router.get("/audit")
    def audit(request: Request, before: int | None = None, staff: Staff = staff_dep) -> HTMLResponse:
        console.require(staff, "audit")
        filters = audit_filters(request)
        entries: list[Any] = []
        error = None
        status = 200
        ctx = console.ctx(request, staff, "")
        try:
            args = query_args(filters)
            if before is not None:
                args["through_seq"] = min(before - 1, args["through_seq"] or before - 1)
            # The trail records this query itself (audit_query, with its match count).
            entries = trail.query(ctx, limit=PAGE, **args)
        except errors.AccessDenied:
            raise
        except errors.Error as exc:
            error, status = console.say(staff, exc), 422
        customers: dict[str, str] = {}
        if filters["customer_id"] and entries:
            # The trail holds keyed references only; the one customer asked for is named back.
            customers[trail.customer_ref(ctx, filters["customer_id"])] = filters["customer_id"]
        query = urlencode({k: v for k, v in filters.items() if v})
        return console.render(
            request,
            "audit.html",
            title="audit.title",
            staff=staff,
            status=status,
            enabled=True,
            entries=entries,
            filters=filters,
            actions=sorted(
                {*i18n.TERMS["audit_action"], *(str(op["name"]) for op in console.gate.operations())}
            ),
            who=names({e.actor_id for e in entries}),
            customers=customers,
            error=error,
            query=query,
            older=entries[-1].seq if len(entries) == PAGE else None,
        )

    @router.get("/audit/export")
    def audit_export(request: Request, format: str = "csv", staff: Staff = staff_dep) -> Response:
        console.require(staff, "audit")
        filters = audit_filters(request)
        try:
            args = query_args(filters)
        except errors.Error as exc:
            raise errors.ValidationError(console.say("en", exc), "date") from None
        # Through the gate's audit_export operation: authorised, and recorded with its count.
        entries = trail.export_view(console.ctx(request, staff, ""), limit=EXPORT_LIMIT, **args)
        who = names({e.actor_id for e in entries})
        rows = [_export_row(e, who) for e in entries]
        stamp = console.clock.now().astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M")
        if format == "jsonl":
            body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
            media, name = "application/x-ndjson", f"audit-{stamp}.jsonl"
        else:
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
            # A BOM so that Excel on Chinese Windows opens it as UTF-8.
            body, media, name = "\ufeff" + out.getvalue(), "text/csv; charset=utf-8", f"audit-{stamp}.csv"
        return Response(
            body,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
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
            who=names({a.principal_id for a in rows} | {a.acked_by or "" for a in rows}),
            summary=lambda a: i18n.alert_summary(a.rule, a.detail, a.summary, staff.lang),
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
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect("/alerts")
