"""The HTTP API (FastAPI). Every route reaches customer data through the gate only.

Every request is authenticated on its own by :func:`piguard.api.deps.current_actor`
(``Authorization: Bearer`` with a session token, an API key or the bootstrap token; or
``X-API-Key``), so a disabled user or a revoked key is refused on the very next call. The
routes live in one router module per capability, mounted by :mod:`piguard.api.routers`;
transport hardening (body limits, rate limits, security headers, metrics) lives in
:mod:`piguard.api.hardening`. The staff console is not part of this app: the composition
root :mod:`piguard.server` mounts it beside the API.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from piguard import __version__, errors
from piguard.api import deps, problems
from piguard.api.hardening import BodyTooLarge, Hardening, Limits, Metrics, RateLimited, RateLimiter
from piguard.api.routers import capability_routers
from piguard.installation import Installation


def create_app(inst: Installation, *, limits: Limits | None = None) -> FastAPI:
    """Build the API over an opened installation (the console is mounted by :mod:`piguard.server`).

    :param limits: body and rate limits (default: :meth:`Limits.from_env`).
    """
    app = FastAPI(
        title="piguard API",
        version=__version__,
        description=(
            "Customer personal-information vault: every call passes one enforcement gate. "
            "Errors are RFC 7807 problems (application/problem+json). Search values travel in "
            "request bodies, never in URLs."
        ),
        # Swagger UI and ReDoc load scripts from a CDN, which the content security policy forbids;
        # the schema itself is served at /openapi.json.
        docs_url=None,
        redoc_url=None,
        responses=problems.RESPONSES,
    )
    app.add_exception_handler(errors.Error, problems.piguard_error)
    app.add_exception_handler(RequestValidationError, problems.request_validation_error)
    app.add_exception_handler(StarletteHTTPException, problems.http_error)
    app.add_exception_handler(RateLimited, problems.rate_limited)
    app.add_exception_handler(BodyTooLarge, problems.body_too_large)
    # The last resort for whatever escapes the hardening middleware's own (see hardening.py).
    app.add_exception_handler(Exception, problems.internal_error)
    limits = limits or Limits.from_env()
    app.state.inst = inst
    app.state.limits = limits
    limiter = RateLimiter(
        inst.node_state.token_buckets(limits.rate_per_second, limits.burst)
        if limits.rate_per_second > 0
        else None
    )
    deps.bind(app, inst.access, limiter)
    app.state.metrics = Metrics()
    app.add_middleware(Hardening, limits=limits, limiter=limiter, metrics=app.state.metrics)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        """Readiness: the database answers and the keyring is loaded (503 problem otherwise)."""
        return JSONResponse({"status": "ready", "checks": inst.ready()})

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Prometheus metrics: counts by route template and status; never paths, ids or values."""
        return Response(generate_latest(app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    for router in capability_routers(inst):
        app.include_router(router, responses=problems.RESPONSES)
    return app
