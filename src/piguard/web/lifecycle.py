"""The console's life-cycle pages: retention rules with what is due, the runs' destruction
records, legal holds, and backups.

Every page and button runs a declared operation (``retention_*``, ``destruction_list``,
``destruction_export``, ``hold_*``, ``backup_*``) as the signed-in staff
member, so the gate decides who sees and does what and every step is audited. The pages name
customers by id only; hold reasons stay sealed (only a hold's own page, for those who decide on
holds, would open them).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.backup import Backups
from piguard.lifecycle import Lifecycle
from piguard.web import i18n
from piguard.web.core import Console, Staff


def _rules(console: Console) -> list[dict[str, Any]]:
    """The catalog's retention rules with the record types and fields each governs."""
    catalog = console.catalog
    used: dict[str, list[str]] = {}
    for rt_name, spec in catalog.record_types.items():
        if spec.retention:
            used.setdefault(spec.retention, []).append(rt_name)
        for name, fdef in spec.fields.items():
            rule = getattr(fdef, "retention", None)
            if rule:
                used.setdefault(rule, []).append(f"{rt_name}.{name}")
    out = []
    for name, rule in sorted(catalog.retention_rules.items()):
        keep = f"{rule.duration_years}y" if rule.duration_years is not None else f"{rule.duration_days}d"
        out.append(
            {
                "name": name,
                "keep": keep,
                "anchor": rule.anchor,
                "end": rule.action,
                "floor": f"{rule.legal_floor_years}y" if rule.legal_floor_years else "",
                "basis": rule.basis,
                "applies": sorted(used.get(name, [])),
            }
        )
    return out


def register(router: APIRouter, console: Console) -> None:
    """Add the retention, holds and backups routes."""
    staff_dep = Depends(console.staff)

    def lifecycle() -> Lifecycle:
        return console.capability(Lifecycle)

    def backups() -> Backups:
        return console.capability(Backups)

    def attempt(staff: Staff, call: Any) -> tuple[Any, str | None]:
        try:
            return call(), None
        except errors.Error as exc:
            return None, console.say(staff, exc)

    @router.get("/retention")
    def retention_page(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        console.require(staff, "audit", "administer")
        ctx = console.ctx(request, staff, "")
        raw = request.query_params.get("as_of") or ""
        as_of: date | None = None
        error = None
        try:
            as_of = date.fromisoformat(raw) if raw else None
        except ValueError:
            error = i18n.translator(staff.lang)("retention.bad_date")
        plan, plan_error = attempt(staff, lambda: lifecycle().plan(ctx, as_of=as_of))
        records, records_error = attempt(staff, lambda: lifecycle().destructions(ctx, limit=50))
        # Reviews (approve or audit) and statistics (audit or administer): each its own operation,
        # shown only to the roles the gate lets through.
        waiting = counted = None
        if staff.can("approve") or staff.can("audit"):
            waiting, _ = attempt(staff, lambda: lifecycle().reviews(ctx, limit=200))
        if staff.can("audit") or staff.can("administer"):
            counted, _ = attempt(staff, lambda: lifecycle().statistics(ctx))
        return console.render(
            request,
            "retention.html",
            title="retention.title",
            staff=staff,
            rules=_rules(console),
            plan=plan,
            records=records or [],
            reviews=waiting,
            statistics=counted,
            today=console.gate.today().isoformat(),
            error=error or plan_error or records_error,
            as_of=raw,
        )

    @router.get("/retention/records/{record_id}")
    def destruction_record(record_id: str, request: Request, staff: Staff = staff_dep) -> Response:
        console.require(staff, "audit", "administer")
        ctx = console.ctx(request, staff, "")
        try:
            document = lifecycle().destruction(ctx, record_id[:40])
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
            return console.redirect("/retention")
        # The signed document as it is: downloaded, it verifies offline (piguard retention verify-record).
        body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{document["id"]}.json"'},
        )

    @router.post("/retention/run")
    async def retention_run(request: Request) -> Response:
        await console.posted(request)
        return await run_in_threadpool(_run, request)

    def _run(request: Request) -> Response:
        staff = console.staff(request)
        console.require(staff, "administer")
        t = i18n.translator(staff.lang)
        try:
            done = lifecycle().run(console.ctx(request, staff, ""))
            staff.session.flash(
                "ok", t("retention.ran").format(destroyed=done["destroyed"], held=done["held"])
            )
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect("/retention")

    @router.post("/retention/reviews/{review_id}/decide")
    async def retention_decide(review_id: str, request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(_decide, request, review_id, form)

    def _decide(request: Request, review_id: str, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        t = i18n.translator(staff.lang)
        decision = "keep" if form.get("decision") == "keep" else "destroy"
        try:
            raw = str(form.get("keep_until") or "")
            lifecycle().decide(
                console.ctx(request, staff, ""),
                review_id[:64],
                decision,
                reason=str(form.get("reason") or "")[:2000],
                keep_until=date.fromisoformat(raw) if raw and decision == "keep" else None,
            )
            staff.session.flash("ok", t("retention.decided").format(review=review_id[:64]))
        except ValueError:
            staff.session.flash("error", t("retention.bad_date"))
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect("/retention")

    @router.get("/holds")
    def holds_page(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        console.require(staff, "audit", "approve", "erase")
        ctx = console.ctx(request, staff, "")
        showing_all = request.query_params.get("all") == "1"
        found, error = attempt(staff, lambda: lifecycle().find(ctx, active=None if showing_all else True))
        today = console.gate.today()
        return console.render(
            request,
            "holds.html",
            title="holds.title",
            staff=staff,
            holds=[h.as_dict(today) for h in found or []],
            error=error,
            showing_all=showing_all,
        )

    @router.post("/holds")
    async def place_hold(request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(_place, request, form)

    def _place(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        t = i18n.translator(staff.lang)
        try:
            review = str(form.get("review_on") or "")
            hold = lifecycle().place(
                console.ctx(request, staff, ""),
                str(form.get("customer_id") or "").strip()[:128],
                reason=str(form.get("reason") or "")[:2000],
                matter=str(form.get("matter") or "").strip()[:64] or None,
                review_on=date.fromisoformat(review) if review else None,
            )
            staff.session.flash("ok", t("holds.placed").format(hold=hold.id))
        except ValueError:
            staff.session.flash("error", t("retention.bad_date"))
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect("/holds")

    @router.post("/holds/{hold_id}/release")
    async def release_hold(hold_id: str, request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(_release, request, hold_id, form)

    def _release(request: Request, hold_id: str, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        t = i18n.translator(staff.lang)
        try:
            lifecycle().release(
                console.ctx(request, staff, ""), hold_id[:64], reason=str(form.get("reason") or "")[:2000]
            )
            staff.session.flash("ok", t("holds.released").format(hold=hold_id[:64]))
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect("/holds")

    @router.get("/backups")
    def backups_page(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        console.require(staff, "administer")
        found, error = attempt(staff, lambda: backups().listing(console.ctx(request, staff, "")))
        return console.render(
            request, "backups.html", title="backups.title", staff=staff, backups=found or [], error=error
        )

    @router.post("/backups/{action}")
    async def backups_post(action: str, request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(_backup, request, action, form)

    def _backup(request: Request, action: str, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "administer")
        t = i18n.translator(staff.lang)
        ctx = console.ctx(request, staff, "")
        name = str(form.get("name") or "").strip()[:64]
        try:
            if action == "create":
                done = backups().create(ctx, backups().directory(name))
                staff.session.flash(
                    "ok", t("backups.created").format(name=name, customers=done["counts"]["customers"])
                )
            elif action == "verify":
                checked = backups().verify(ctx, backups().directory(name))
                staff.session.flash(
                    "ok", t("backups.verified").format(name=name, records=checked["sample"]["records"])
                )
            else:
                raise errors.NotFound("no such action")
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect("/backups")
