"""Sign in (password + TOTP), sign out, language switch."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.web.core import Console, CsrfRefused, safe_next
from piguard.web.i18n import LANGS
from piguard.web.session import COOKIE, LANG_COOKIE, PRELOGIN_COOKIE, same

#: Messages the login page may show, chosen by a fixed code in its URL (never free text).
NOTICES = {"expired": "login.expired", "out": "login.logged_out"}


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

    @router.get("/login")
    def login_form(request: Request) -> HTMLResponse:
        return login_page(request)

    @router.post("/login")
    async def login(request: Request) -> Response:
        console.check_origin(request)
        form = await request.form()
        cookie = request.cookies.get(PRELOGIN_COOKIE, "")
        sent = form.get("prelogin")
        if not cookie or not isinstance(sent, str) or not same(sent, cookie):
            raise CsrfRefused()
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
                return login_page(request, error=str(limited), status=429)
            return login_page(request, error=str(exc), status=401)
        value, _ = console.sessions.create(login.token, login.actor.id)
        response = RedirectResponse(console.prefix_path("/"), status_code=303)
        console.set_session_cookie(response, request, value)
        response.delete_cookie(PRELOGIN_COOKIE, path="/console")
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        await console.posted(request)
        staff = await run_in_threadpool(console.staff, request)
        await run_in_threadpool(console.access.logout, staff.actor)
        console.sessions.drop(request.cookies.get(COOKIE))
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
