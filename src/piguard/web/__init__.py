"""The staff console: server-rendered pages (Jinja2, autoescaped), vendored assets, zh/en.

:func:`mount_console` adds it under ``/console`` to the app the composition root
(:mod:`piguard.server`) builds; none of its routes is part of the OpenAPI schema. One module
per capability: ``customers`` (records), ``oversight`` (the audit trail), ``approvals``
(grants), ``admin`` (accounts), ``auth`` (sign-in), ``requests`` (the rights desk), ``compliance``
(the officer's evidence). Every page reaches data through the gate and its capabilities
(:class:`piguard.gate.Gate`) and nothing below it.
"""

from __future__ import annotations

import os
from datetime import timedelta

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from piguard import errors
from piguard.installation import Installation
from piguard.web import (
    admin,
    approvals,
    auth,
    compliance,
    customers,
    incidents,
    lifecycle,
    oversight,
    requests,
    sharing,
    stays,
)
from piguard.web.core import HERE, PREFIX, Console, CsrfRefused, NeedLogin
from piguard.web.i18n import translator

__all__ = ["Console", "mount_console"]

#: Default idle timeout; ``PIGUARD_CONSOLE_IDLE_MINUTES`` overrides it.
IDLE_MINUTES = 15


def mount_console(app: FastAPI, inst: Installation, *, idle_timeout: timedelta | None = None) -> Console:
    """Add the console routes, its static files and its error pages to ``app``."""
    if idle_timeout is None:
        idle_timeout = timedelta(minutes=int(os.environ.get("PIGUARD_CONSOLE_IDLE_MINUTES", IDLE_MINUTES)))
    console = Console(inst, idle_timeout=idle_timeout)
    router = APIRouter(prefix=PREFIX)
    for module in (
        auth,
        customers,
        approvals,
        oversight,
        admin,
        requests,
        stays,
        lifecycle,
        compliance,
        incidents,
        sharing,
    ):
        module.register(router, console)
    app.include_router(router, include_in_schema=False)
    app.mount(PREFIX + "/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.state.console = console
    console.router = router

    async def need_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NeedLogin)
        target = PREFIX + "/login" + ("?m=expired" if exc.expired else "")
        return RedirectResponse(target, status_code=303)

    async def csrf_refused(request: Request, exc: Exception) -> Response:
        t = translator(console.lang(request))
        return HTMLResponse(f"<!doctype html><title>403</title><p>{t('csrf.refused')}</p>", status_code=403)

    app.add_exception_handler(NeedLogin, need_login)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    _page_errors(app, console)
    return console


def _page_errors(app: FastAPI, console: Console) -> None:
    """Console pages answer refusals with an HTML page; the API keeps its problem documents."""
    previous = app.exception_handlers.get(errors.Error)

    async def handler(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(PREFIX + "/") and isinstance(exc, errors.Error):
            from piguard.web.customers import status_of

            return console.render(
                request,
                "error.html",
                title="common.error",
                message=console.say(console.lang(request), exc),
                status=status_of(exc),
            )
        assert previous is not None
        result = previous(request, exc)
        response: Response = await result if hasattr(result, "__await__") else result
        return response

    app.add_exception_handler(errors.Error, handler)

    previous_http = app.exception_handlers.get(StarletteHTTPException)

    async def http_error(request: Request, exc: Exception) -> Response:
        # A console address that matches no route (or a method it lacks) is a page in the
        # user's language, like every other console answer; the API keeps its problem JSON.
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith(PREFIX + "/") or request.url.path == PREFIX:
            key = "common.not_found" if exc.status_code == 404 else "common.error"
            t = translator(console.lang(request))
            return console.render(
                request, "error.html", title="common.error", message=t(key), status=exc.status_code
            )
        if previous_http is None:
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, exc)
        result = previous_http(request, exc)
        response: Response = await result if hasattr(result, "__await__") else result
        return response

    app.add_exception_handler(StarletteHTTPException, http_error)
