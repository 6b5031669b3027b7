"""The composition root of ``piguard serve``: the HTTP API and the staff console in one app.

The API (:mod:`piguard.api`) and the console (:mod:`piguard.web`) are edges that know
nothing of each other; this module builds the API and mounts the console beside it, and the
CLI's ``serve`` command runs what it returns. So ``cli`` imports neither ``api`` nor ``web``,
and ``api`` does not import ``web``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from piguard.api.app import create_app
from piguard.api.hardening import Limits
from piguard.installation import Installation
from piguard.web import mount_console
from piguard.web.privacy import mount_privacy_centre

__all__ = ["HOME_ENV", "JOB_INTERVAL_ENV", "create_server", "node_app"]

#: Where a worker process of ``piguard serve --workers N`` finds its home.
HOME_ENV = "PIGUARD_HOME"
#: Seconds between job ticks on each node (0: this node ticks no jobs).
JOB_INTERVAL_ENV = "PIGUARD_JOB_INTERVAL"


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


def node_app() -> FastAPI:
    """One worker of ``piguard serve --workers N`` (a uvicorn app factory, one call per process).

    Each worker opens the home named by :data:`HOME_ENV` itself, owns that installation (a clean
    stop signs its shutdown checkpoint) and ticks the job runner; workers share nothing but the
    database, so rules, sessions and leases hold across them as across machines.
    """
    from piguard.jobs.ticker import JobTicker

    inst = Installation(Path(os.environ[HOME_ENV]))
    app = create_server(inst, owns=True)
    interval = float(os.environ.get(JOB_INTERVAL_ENV, "30"))
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[None]:
        ticker = JobTicker(inst.jobs, interval).start() if interval > 0 else None
        try:
            async with inner(application):
                yield
        finally:
            if ticker is not None:
                ticker.stop()

    app.router.lifespan_context = lifespan
    return app
