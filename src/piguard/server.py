"""The composition root of ``piguard serve``: the HTTP API and the staff console in one app.

The API (:mod:`piguard.api`) and the console (:mod:`piguard.web`) are edges that know
nothing of each other; this module builds the API and mounts the console beside it, and the
CLI's ``serve`` command runs what it returns. So ``cli`` imports neither ``api`` nor ``web``,
and ``api`` does not import ``web``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from piguard.api.app import create_app
from piguard.api.hardening import Limits
from piguard.installation import Installation
from piguard.web import mount_console
from piguard.web.privacy import mount_privacy_centre

__all__ = ["create_server"]


def create_server(
    inst: Installation, *, limits: Limits | None = None, console: bool = True, owns: bool = False
) -> FastAPI:
    """The API over an opened installation and, unless ``console`` is false, the staff console
    under ``/console`` (``/`` then redirects there).

    :param limits: body and rate limits (default: :meth:`Limits.from_env`).
    :param owns: the server closes the installation when it stops (``piguard serve``): after
        the last request, on SIGTERM and SIGINT too, so the shutdown checkpoint signs every
        entry written (uvicorn re-raises the signal after its graceful stop, so code after
        ``uvicorn.run`` would never run).
    """
    app = create_app(inst, limits=limits)
    if owns:
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(application: Any) -> AsyncIterator[None]:
            # The app keeps no lifespan state of its own (nothing is passed on).
            async with inner(application):
                yield
            inst.close()

        app.router.lifespan_context = lifespan
    if console:
        mount_console(app, inst)
        # The customer privacy centre: its own cookie, CSP and pages, under /privacy.
        mount_privacy_centre(app, inst)

        @app.get("/", include_in_schema=False)
        def root() -> RedirectResponse:
            return RedirectResponse("/console/", status_code=303)

    return app
