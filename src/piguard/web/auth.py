"""Sign in (password + TOTP), sign out, language switch, and new credentials after a reset.

``/console/reset`` is where a user whose credentials an administrator reset sets new ones:
the one-time password first (it is used up there), then a new password and a first code of
the new TOTP secret, shown on that page once (:class:`~piguard.access.resets.Resets`). There
is no session yet, so its forms carry the login page's double-submitted token.
"""

from __future__ import annotations

import secrets
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.access.resets import Enrolment
from piguard.web.core import Console, CsrfRefused, safe_next
from piguard.web.i18n import LANGS, translator
from piguard.web.session import COOKIE, LANG_COOKIE, PRELOGIN_COOKIE, same

#: Messages the login page may show, chosen by a fixed code in its URL (never free text).
NOTICES = {"expired": "login.expired", "out": "login.logged_out", "reset": "reset.done"}


def qr_svg(uri: str) -> str:
    """The ``otpauth://`` URI as an inline SVG QR code (no script, no external image)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, border=2))


def register(router: APIRouter, console: Console) -> None:
    """Add the sign-in routes."""

    def login_page(request: Request, *, error: str | None = None, status: int = 200) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        response = console.render(
            request,
            "login.html",
            title="login.title",
            status=status,
            prelogin=token,
            notice=NOTICES.get(request.query_params.get("m", "")),
            error=error,
        )
        console.set_prelogin(response, request, token)
        return response

    def prelogin_checked(request: Request, form: Any) -> None:
        console.check_origin(request)
        cookie = request.cookies.get(PRELOGIN_COOKIE, "")
        sent = form.get("prelogin")
        if not cookie or not isinstance(sent, str) or not same(sent, cookie):
            raise CsrfRefused()

    def reset_page(
        request: Request,
        *,
        enrolment: Enrolment | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        response = console.render(
            request,
            "reset.html",
            title="reset.title",
            status=status,
            prelogin=token,
            enrolment=enrolment,
            qr=qr_svg(enrolment.totp_uri) if enrolment is not None else "",
            error=error,
        )
        console.set_prelogin(response, request, token)
        return response

    def said(request: Request, exc: errors.Error, key: str) -> str:
        # English keeps the service's own words; other languages get the page's text.
        return str(exc) if console.lang(request) == "en" else translator(console.lang(request))(key)

    @router.get("/reset")
    def reset_form(request: Request) -> HTMLResponse:
        return reset_page(request)

    @router.post("/reset")
    async def reset_begin(request: Request) -> Response:
        form = await request.form()
        prelogin_checked(request, form)
        name, one_time = (str(form.get(k) or "")[:256] for k in ("name", "one_time"))
        try:
            enrolment = await run_in_threadpool(console.access.begin_reset, name[:64], one_time.strip())
        except errors.AuthenticationFailed as exc:
            return reset_page(request, error=said(request, exc, "reset.failed"), status=401)
        return reset_page(request, enrolment=enrolment)

    @router.post("/reset/complete")
    async def reset_complete(request: Request) -> Response:
        form = await request.form()
        prelogin_checked(request, form)
        ticket, password, repeat, code = (
            str(form.get(k) or "")[:1024] for k in ("ticket", "password", "repeat", "totp")
        )
        return await run_in_threadpool(reset_complete_now, request, ticket, password, repeat, code)

    def reset_complete_now(request: Request, ticket: str, password: str, repeat: str, code: str) -> Response:
        try:
            enrolment = console.access.resets.enrolment(ticket)
        except errors.AuthenticationFailed as exc:
            return reset_page(request, error=said(request, exc, "reset.expired"), status=401)
        t = translator(console.lang(request))
        if password != repeat:
            return reset_page(request, enrolment=enrolment, error=t("reset.mismatch"), status=422)
        try:
            console.access.complete_reset(ticket, password, code.strip()[:16])
        except errors.ValidationError as exc:
            # The only rule a new password can break here is the length (credentials.Passwords).
            return reset_page(
                request, enrolment=enrolment, error=said(request, exc, "reset.weak"), status=422
            )
        except errors.AuthenticationFailed as exc:
            return reset_page(
                request, enrolment=enrolment, error=said(request, exc, "reset.bad_code"), status=401
            )
        response = RedirectResponse(console.prefix_path("/login?m=reset"), status_code=303)
        response.delete_cookie(PRELOGIN_COOKIE, path="/console")
        return response

    @router.get("/login")
    def login_form(request: Request) -> HTMLResponse:
        return login_page(request)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        prelogin_checked(request, form)
        name, password, totp = (str(form.get(k) or "")[:1024] for k in ("name", "password", "totp"))
        address = request.client.host if request.client else None
        try:
            # argon2id is deliberately slow: keep it off the event loop.
            login = await run_in_threadpool(
                lambda: console.access.login(name[:64], password, totp.strip()[:16] or None, address=address)
            )
        except errors.AuthenticationFailed as exc:
            try:
                # A failed sign-in counts against the address, as a failed API login does.
                await run_in_threadpool(console.access.charge_unauthenticated, address)
            except errors.TooManyAttempts as limited:
                return login_page(request, error=console.say(console.lang(request), limited), status=429)
            # One message for every failure (wrong name, password, code, backing off), in the page's
            # language; English keeps the service's own words.
            lang = console.lang(request)
            text = str(exc) if lang == "en" else translator(lang)("login.failed")
            return login_page(request, error=text, status=401)
        # The session is a database row (every node sees it): written off the event loop.
        value, _ = await run_in_threadpool(console.sessions.create, login.token, login.actor.id)
        response = RedirectResponse(console.prefix_path("/"), status_code=303)
        console.set_session_cookie(response, request, value)
        response.delete_cookie(PRELOGIN_COOKIE, path="/console")
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        await console.posted(request)
        staff = await run_in_threadpool(console.staff, request)
        await run_in_threadpool(console.access.logout, staff.actor)
        await run_in_threadpool(console.sessions.drop, request.cookies.get(COOKIE))
        response = RedirectResponse(console.prefix_path("/login?m=out"), status_code=303)
        response.delete_cookie(COOKIE, path="/console")
        return response

    @router.get("/lang/{code}")
    def switch_language(code: str, request: Request) -> Response:
        response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        if code in LANGS:
            response.set_cookie(
                LANG_COOKIE,
                code,
                max_age=365 * 86400,
                httponly=True,
                samesite="strict",
                secure=console.secure(request),
                path="/console",
            )
        return response
