"""Administration: staff users, roles (read-only, from the catalog), API clients, training records.

Every change goes through :class:`~piguard.access.AccessControl`, which checks the
``administer`` action and records the change. Secrets it returns (a new user's password and
TOTP secret, a client's API key) are shown once, in the POST response, never in a URL.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.catalog.vocabulary import BUILTIN_ROLES
from piguard.web import i18n
from piguard.web.core import Console, Staff

USER_OPS = ("disable", "enable", "unlock", "reset", "approve")


def _day(value: Any, name: str) -> date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise errors.ValidationError("use YYYY-MM-DD", name) from None


def register(router: APIRouter, console: Console) -> None:
    """Add the administration routes."""
    staff_dep = Depends(console.staff)
    access = console.access
    roles = sorted(r for r in console.catalog.roles if r not in BUILTIN_ROLES)
    least_role = console.least_privileged_role(roles)

    def users_page(
        request: Request,
        staff: Staff,
        *,
        created: dict[str, Any] | None = None,
        reset: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> HTMLResponse:
        console.require(staff, "administer")
        return console.render(
            request,
            "users.html",
            title="users.title",
            staff=staff,
            users=access.list_principals(staff.actor, "staff"),
            roles=roles,
            least_role=least_role,
            created=created,
            reset=reset,
            error=error,
            status=422 if error else 200,
        )

    @router.get("/admin/users")
    def users(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        return users_page(request, staff)

    @router.post("/admin/users")
    async def add_user(request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(add_user_now, request, form)

    def add_user_now(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        try:
            created = access.add_user(
                staff.actor,
                str(form.get("name") or "")[:64],
                str(form.get("role") or "")[:64],
                totp=form.get("totp") == "on",
            )
        except errors.Error as exc:
            return users_page(request, staff, error=console.say(staff, exc))
        return users_page(request, staff, created=created)

    @router.post("/admin/users/{name}/{op}")
    async def user_op(name: str, op: str, request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(user_op_now, request, name, op, form)

    def user_op_now(request: Request, name: str, op: str, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        t = i18n.translator(staff.lang)
        if op == "reset":
            # The one-time password goes in this response only (never a flash, a URL or a log).
            try:
                out = access.reset_credentials(staff.actor, name[:64])
            except errors.Error as exc:
                return users_page(request, staff, error=console.say(staff, exc))
            return users_page(request, staff, reset=out)
        try:
            if op == "disable":
                reason = str(form.get("reason") or "disabled by an administrator")[:500]
                access.disable(staff.actor, name[:64], reason)
            elif op == "enable":
                access.enable(staff.actor, name[:64])
            elif op == "unlock":
                access.unlock(staff.actor, name[:64])
            elif op == "approve":
                access.approve_account(staff.actor, name[:64])
            else:
                raise errors.NotFound("no such operation")
            staff.session.flash("ok", t("users.done"))
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect("/admin/users")

    @router.get("/admin/roles")
    def roles_page(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        console.require(staff, "administer", "audit")
        return console.render(
            request,
            "roles.html",
            title="roles.title",
            staff=staff,
            roles=[console.catalog.roles[r] for r in roles],
        )

    @router.get("/admin/jobs")
    def jobs_page(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        # Names, periods, nodes and times only: the lease rows hold no customer data.
        console.require(staff, "administer", "audit")
        return console.render(
            request, "jobs.html", title="jobs.title", staff=staff, jobs=console.inst.jobs.overview()
        )

    def clients_page(
        request: Request, staff: Staff, *, created: dict[str, Any] | None = None, error: str | None = None
    ) -> HTMLResponse:
        console.require(staff, "administer")
        return console.render(
            request,
            "clients.html",
            title="clients.title",
            staff=staff,
            clients=access.list_principals(staff.actor, "client"),
            roles=roles,
            least_role=least_role,
            created=created,
            error=error,
            status=422 if error else 200,
        )

    @router.get("/admin/clients")
    def clients(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        return clients_page(request, staff)

    @router.post("/admin/clients")
    async def add_client(request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(add_client_now, request, form)

    def add_client_now(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        raw = str(form.get("days") or "").strip()
        try:
            created = access.add_client(
                staff.actor,
                str(form.get("name") or "")[:64],
                str(form.get("role") or "")[:64],
                days=int(raw) if raw.isdigit() else None,
            )
        except errors.Error as exc:
            return clients_page(request, staff, error=console.say(staff, exc))
        return clients_page(request, staff, created=created)

    @router.post("/admin/clients/{name}/revoke")
    async def revoke_client(name: str, request: Request) -> Response:
        await console.posted(request)
        return await run_in_threadpool(revoke_now, request, name)

    def revoke_now(request: Request, name: str) -> Response:
        staff = console.staff(request)
        try:
            access.revoke_client(staff.actor, name[:64])
            staff.session.flash("ok", i18n.translator(staff.lang)("users.done"))
        except errors.Error as exc:
            staff.session.flash("error", console.say(staff, exc))
        return console.redirect("/admin/clients")

    def training_page(request: Request, staff: Staff, *, error: str | None = None) -> HTMLResponse:
        entries = access.list_training(staff.actor)
        names = {}
        if staff.can("administer") or staff.can("audit"):
            try:
                names = {u["id"]: u["name"] for u in access.list_principals(staff.actor, "staff")}
            except errors.AccessDenied:
                names = {}
        return console.render(
            request,
            "training.html",
            title="training.title",
            staff=staff,
            entries=entries,
            names=names,
            today=access.training.today().isoformat(),
            error=error,
            status=422 if error else 200,
        )

    @router.get("/admin/training")
    def training(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        return training_page(request, staff)

    @router.post("/admin/training")
    async def record_training(request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(record_training_now, request, form)

    def record_training_now(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        raw_score = str(form.get("score") or "").strip()
        try:
            completed = _day(form.get("completed_on"), "completed_on")
            if completed is None:
                raise errors.ValidationError("required", "completed_on")
            access.record_training(
                staff.actor,
                str(form.get("user") or "")[:64],
                kind=str(form.get("kind") or "course"),
                course=str(form.get("course") or "")[:128],
                completed_on=completed,
                score=int(raw_score) if raw_score.isdigit() else None,
                valid_until=_day(form.get("valid_until"), "valid_until"),
            )
        except errors.Error as exc:
            return training_page(request, staff, error=console.say(staff, exc))
        staff.session.flash("ok", i18n.translator(staff.lang)("training.recorded"))
        return console.redirect("/admin/training")
