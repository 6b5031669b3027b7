"""Customer search, the customer and record pages, and the unmask flow — all through the gate.

Search values are posted in form bodies and never put in a URL; pages are addressed by
customer and record ids (random tokens) only, and their titles name no customer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.gate import FieldView, RequestContext
from piguard.readers import template_csv
from piguard.validate.scalars import format_money
from piguard.web import i18n
from piguard.web.core import Console, Staff

#: How many matches one console search lists.
SEARCH_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Row:
    """One field of a record as the page shows it."""

    name: str
    label: str
    value: str | None
    level: str
    rule: str
    unmaskable: bool
    needs_grant: bool
    needs_step_up: bool
    #: Why it shows as it does, in the page's language (``rule`` is the catalog's own text).
    explain: str = ""
    #: Shown masked and no grant can change that for this role: the roles that see it in clear
    #: (whom to ask), or "" when none does.
    never_clear: bool = False
    ask: str = ""
    #: Shown masked and checkable by value (the "核对" form: yes or no, never the value).
    matchable: bool = False


def status_of(exc: errors.Error) -> int:
    if isinstance(exc, errors.NotFound):
        return 404
    if isinstance(exc, errors.QuotaExceeded):
        return 429
    if isinstance(exc, errors.AccessDenied):
        return 403
    return 422


def register(router: APIRouter, console: Console) -> None:
    """Add the customer routes."""
    staff_dep = Depends(console.staff)
    catalog = console.catalog

    def default_purpose(staff: Staff, asked: str | None) -> str:
        purposes = staff.purposes
        if asked and (asked in purposes or not purposes):
            return asked
        if "service" in purposes:
            return "service"
        return purposes[0] if purposes else (asked or "service")

    def searchable(staff: Staff, lang: str) -> list[tuple[str, str]]:
        """Customer fields this role may search by for at least one of its purposes."""
        out = []
        for fname, fdef in catalog.record_types["customer"].fields.items():
            if not fdef.searchable:
                continue
            levels = set()
            for purpose in staff.purposes or ["service"]:
                ctx = RequestContext(staff.actor, purpose, client="console")
                try:
                    levels.add(console.gate.decider.static(ctx, "customer", fdef).level)
                except errors.Error:
                    continue
            if levels - {"deny"} or (staff.can("administer") and not staff.purposes):
                out.append((fname, i18n.label(fdef.label, lang, fname)))
        return out

    def rows_of(
        ctx: RequestContext, staff: Staff, record_type: str, views: dict[str, FieldView]
    ) -> list[Row]:
        rows = []
        t = i18n.translator(staff.lang)
        trained = console.gate.decider.training_reason(ctx.actor) is None
        for name, view in views.items():
            fdef = catalog.field(record_type, name)
            cls = catalog.classes[fdef.cls]
            static = console.gate.decider.static(ctx, record_type, fdef)
            unmaskable = view.level == "masked" and static.level == "clear"
            needs_grant = unmaskable and (
                cls.clear_requires_approval or fdef.sensitive or "grant" in view.rule
            )
            needs_step_up = unmaskable and "step-up" in view.rule
            # Say so when a grant could never help, and who does see it (issue 11.14).
            never = view.level == "masked" and static.level != "clear"
            policy = console.gate.decider.policy
            clear_roles = policy.clear_roles(record_type, fdef) if never else []
            others = [r for r in clear_roles if r != staff.actor.role]
            ask = [i18n.term("role", r, staff.lang, console.catalog) for r in others]
            rows.append(
                Row(
                    name=name,
                    label=i18n.label(fdef.label, staff.lang, name),
                    # Amounts as people read them (¥1,234.50); the stored value is the plain decimal.
                    value=format_money(view.value)
                    if view.value and view.level == "clear" and fdef.type == "money"
                    else view.value,
                    level=view.level,
                    rule=view.rule,
                    unmaskable=unmaskable,
                    needs_grant=needs_grant,
                    needs_step_up=needs_step_up,
                    explain=t(
                        _explain(
                            "granted" if "; grant " in view.rule else view.level,
                            static.level,
                            static.mask,
                            unmaskable,
                            needs_step_up,
                            trained,
                        )
                    ),
                    never_clear=never,
                    ask="、".join(ask) if staff.lang == "zh" else ", ".join(ask),
                    matchable=view.level == "masked" and not fdef.free_text and staff.can("read"),
                )
            )
        return rows

    def record_page(
        request: Request, staff: Staff, customer_id: str, record_type: str, record_id: str, asked: str | None
    ) -> HTMLResponse:
        purpose = default_purpose(staff, asked)
        ctx = console.ctx(request, staff, purpose)
        values: dict[str, Any] = {
            "customer_id": customer_id,
            "record_type": record_type,
            "record_id": record_id,
            "purpose": purpose,
            "rows": [],
            "records": [],
            "error": None,
            "stepped_up": console.access.stepped_up(staff.actor),
        }
        status = 200
        try:
            if record_type not in catalog.record_types:
                raise errors.NotFound("no such record type")
            views = console.gate.read(ctx, record_type, record_id)
            values["rows"] = rows_of(ctx, staff, record_type, views)
        except errors.Error as exc:
            values["error"] = console.say(staff, exc)
            status = status_of(exc)
        if record_type == "customer" and status == 200 and staff.can("list"):
            try:
                refs = console.gate.customer_records(ctx, customer_id)
                values["records"] = [r for r in refs if r.record_type != "customer"]
            except errors.Error as exc:
                values["records_error"] = console.say(staff, exc)
        title = "customer.title" if record_type == "customer" else "record.title"
        return console.render(request, "record.html", title=title, staff=staff, status=status, **values)

    @router.get("/search")
    def search_form(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        return console.render(
            request,
            "search.html",
            title="search.title",
            staff=staff,
            fields=searchable(staff, staff.lang),
            purpose=default_purpose(staff, None),
            chosen="",
            results=None,
            error=None,
        )

    @router.post("/search")
    async def search(request: Request) -> Response:
        form = await console.posted(request)
        return await _threaded(search_now, request, dict(form))

    def search_now(request: Request, form: dict[str, Any]) -> HTMLResponse:
        staff = console.staff(request)
        field = str(form.get("field") or "")
        purpose = default_purpose(staff, str(form.get("purpose") or "") or None)
        value = str(form.get("value") or "")[:1000]
        results = None
        error = None
        status = 200
        try:
            refs = console.gate.search(
                console.ctx(request, staff, purpose), "customer", field, value, limit=SEARCH_LIMIT
            )
            ids = sorted({r.customer_id for r in refs})
            # Masked name and mobile beside each id, so two matches can be told apart: each is a
            # read through the gate (recorded, quota-counted), masked even for a role seeing clear.
            summaries = console.gate.summaries(console.ctx(request, staff, purpose), ids)
            results = [(cid, summaries.get(cid) or {}) for cid in ids]
        except errors.Error as exc:
            error = console.say(staff, exc)
            status = status_of(exc)
        # The value typed is deliberately not echoed back: the page holds ids, not what was sought.
        return console.render(
            request,
            "search.html",
            title="search.title",
            staff=staff,
            fields=searchable(staff, staff.lang),
            purpose=purpose,
            chosen=field,
            results=results,
            error=error,
            status=status,
        )

    @router.get("/import-template/{record_type}")
    def import_template(record_type: str, staff: Staff = staff_dep) -> Response:
        """The empty import file of a record type, headers in the staff member's language (the
        catalog's labels only: no customer data, so nothing to record)."""
        console.require(staff, "write")
        if record_type not in console.catalog.record_types:
            raise errors.NotFound("no such record type")
        text = template_csv(console.catalog, record_type, "zh" if staff.lang == "zh" else "en")
        return Response(
            text.encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{record_type}-{staff.lang}.csv"'},
        )

    @router.get("/customers/{customer_id}")
    def customer(
        customer_id: str, request: Request, purpose: str | None = None, staff: Staff = staff_dep
    ) -> HTMLResponse:
        return record_page(request, staff, customer_id, "customer", customer_id, purpose)

    @router.get("/customers/{customer_id}/records/{record_type}/{record_id}")
    def record(
        customer_id: str,
        record_type: str,
        record_id: str,
        request: Request,
        purpose: str | None = None,
        staff: Staff = staff_dep,
    ) -> HTMLResponse:
        return record_page(request, staff, customer_id, record_type, record_id, purpose)

    @router.post("/match")
    async def match(request: Request) -> Response:
        form = await console.posted(request)
        return await _threaded(match_now, request, dict(form))

    def match_now(request: Request, form: dict[str, Any]) -> Response:
        """Check a stated value against a masked field: yes or no, flashed; the value is neither
        echoed nor kept (post, redirect, get: it is not in the next page either)."""
        staff = console.staff(request)
        customer_id = str(form.get("customer_id") or "")[:128]
        field = str(form.get("field") or "")[:64]
        value = str(form.get("value") or "")[:200]
        purpose = default_purpose(staff, str(form.get("purpose") or "") or None)
        t = i18n.translator(staff.lang)
        session = staff.session
        if not value.strip():
            session.flash("error", t("match.empty"))
        else:
            try:
                fdef = catalog.record_types["customer"].fields.get(field)
                label = i18n.label(fdef.label, staff.lang, field) if fdef else field
                found = console.gate.match(console.ctx(request, staff, purpose), customer_id, field, value)
                session.flash(
                    "ok" if found else "info", t("match.yes" if found else "match.no").format(field=label)
                )
            except errors.Error as exc:
                session.flash("error", console.say(staff, exc))
        return console.redirect(f"/customers/{customer_id}?purpose={purpose}")

    @router.post("/unmask")
    async def unmask(request: Request) -> Response:
        form = await console.posted(request)
        fields = [str(f) for f in form.getlist("fields")][:200]
        return await _threaded(unmask_now, request, dict(form), fields)

    def unmask_now(request: Request, form: dict[str, Any], fields: list[str]) -> Response:
        staff = console.staff(request)
        customer_id = str(form.get("customer_id") or "")[:128]
        record_type = str(form.get("record_type") or "customer")[:64]
        record_id = str(form.get("record_id") or customer_id)[:128]
        purpose = default_purpose(staff, str(form.get("purpose") or "") or None)
        back = f"/customers/{customer_id}"
        if record_type != "customer":
            back += f"/records/{record_type}/{record_id}"
        back += f"?purpose={purpose}"
        t = i18n.translator(staff.lang)
        session = staff.session
        names = [f for f in fields if f.startswith(record_type + ".")]
        if not names:
            session.flash("error", t("unmask.pick"))
            return console.redirect(back)
        totp = str(form.get("totp") or "").strip()[:16]
        actor = staff.actor
        try:
            if totp:
                console.access.step_up(actor, totp, address=request.client.host if request.client else None)
                session.flash("ok", t("unmask.stepped_up"))
            grant_hinted = set(str(f) for f in form.get("grant_fields", "").split(",") if f)
            needs_grant = [n for n in names if n in grant_hinted or _needs_grant(console, n)]
            if needs_grant:
                minutes = (
                    int(str(form.get("minutes") or "60")) if str(form.get("minutes") or "").isdigit() else 60
                )
                # The account service files the request and records it (grant_request).
                console.access.request_grant(
                    actor,
                    kind="clear",
                    purpose=purpose,
                    reason=str(form.get("reason") or "")[:500],
                    customer_id=customer_id,
                    fields=needs_grant,
                    minutes=max(1, min(minutes, 480)),
                    client="console",
                )
                session.flash("ok", t("unmask.requested"))
        except errors.Error as exc:
            session.flash("error", console.say(staff, exc))
        return console.redirect(back)


def _explain(level: str, static: str, mask: str, unmaskable: bool, step_up: bool, trained: bool) -> str:
    """The message key saying why a field shows at ``level`` (from the decision's facts, not its text)."""
    if level == "granted":
        return "rule.clear_grant"
    if level == "clear":
        return "rule.clear"
    if level == "deny":
        return "rule.deny"
    if mask == "never":
        return "rule.never"
    if not trained and static == "clear":
        return "rule.masked_training"
    if unmaskable:
        return "rule.masked_step_up" if step_up else "rule.masked_grant"
    return "rule.masked_role"


def _needs_grant(console: Console, qualified: str) -> bool:
    record_type, _, name = qualified.partition(".")
    try:
        fdef = console.catalog.field(record_type, name)
    except (KeyError, errors.Error):
        return False
    return fdef.sensitive or console.catalog.classes[fdef.cls].clear_requires_approval


async def _threaded(fn: Callable[..., Response], *args: Any) -> Response:
    """Run a blocking page function (the gate talks to the database) off the event loop."""
    return await run_in_threadpool(fn, *args)
