"""The HTTP API (FastAPI). Every route reaches customer data through the gate only.

Every request is authenticated on its own (``Authorization: Bearer`` with a session token,
an API key or the bootstrap token; or ``X-API-Key``) through
:meth:`piguard.access.AccessControl.authenticate`, so a disabled user or a revoked key is
refused on the very next call. Transport hardening (body limits, rate limits, security
headers, metrics) lives in :mod:`piguard.api.hardening`; the staff console in
:mod:`piguard.web`.
"""

from __future__ import annotations

import tempfile
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from piguard import __version__, errors
from piguard.api import problems
from piguard.api.hardening import BodyTooLarge, Hardening, Limits, Metrics, RateLimited, RateLimiter
from piguard.api.routers import capability_routers
from piguard.installation import Installation
from piguard.service import RequestContext
from piguard.vault.model import Actor
from piguard.vault.readers import read_stream

MAX_IMPORT_BYTES = 64 << 20


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateRequest(Strict):
    purpose: str = Field(min_length=1, max_length=64)
    values: dict[str, str | int | float | None]
    customer_id: str | None = Field(default=None, max_length=64)


class UpdateRequest(Strict):
    purpose: str = Field(min_length=1, max_length=64)
    values: dict[str, str | int | float | None]


class SearchRequest(Strict):
    record_type: str = "customer"
    field: str = Field(min_length=1, max_length=64)
    value: str = Field(max_length=1000)
    purpose: str = Field(min_length=1, max_length=64)
    limit: int = Field(default=50, ge=1, le=500)


class EraseRequest(Strict):
    reason: str = Field(min_length=1, max_length=500)
    purpose: str = Field(default="service", min_length=1, max_length=64)


class RecordRefOut(BaseModel):
    id: str
    customer_id: str
    type: str


class RecordOut(BaseModel):
    id: str
    type: str
    fields: dict[str, str | None]
    levels: dict[str, str]


class SearchOut(BaseModel):
    matches: list[RecordRefOut]


class Rejected(BaseModel):
    row: int
    field: str | None
    reason: str


class ImportOut(BaseModel):
    accepted: int
    rejected: list[Rejected]
    ids: list[str]


class EraseOut(BaseModel):
    erased: str
    records_deleted: int
    key_destroyed: bool


_bearer = HTTPBearer(auto_error=False, description="A session token, an API key or the bootstrap token.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API client's key.")


def current_actor(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
    api_key: Annotated[str | None, Security(_api_key)] = None,
) -> Actor:
    """Authenticate this request's credential, then charge the principal's rate-limit bucket.

    :raises AuthenticationFailed: no credential, or one :meth:`AccessControl.authenticate` refuses.
    :raises RateLimited: the principal is over its request rate (whatever token it uses).
    """
    inst: Installation = request.app.state.inst
    token = bearer.credentials.strip() if bearer is not None else (api_key or "").strip()
    if not token:
        raise errors.AuthenticationFailed("missing bearer token")
    # Checked against the database on every request: a disabled user or revoked key is refused
    # on the very next call.
    actor = inst.access.authenticate(token)
    limiter: RateLimiter = request.app.state.limiter
    limiter.charge(f"p:{actor.id}")
    return actor


Who = Annotated[Actor, Depends(current_actor)]


def context(request: Request, who: Actor, purpose: str) -> RequestContext:
    client = request.client.host if request.client else None
    return RequestContext(who, purpose, client="api", address=client)


def ready(inst: Installation) -> dict[str, str]:
    """Check that the parts a request needs answer: the data database and the keyring.

    :raises VaultSealed: no keyring loaded. :raises StorageError: the database does not answer.
    """
    checks: dict[str, str] = {}
    try:
        with inst.db.read() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver failure means "not ready", reported without its message
        raise errors.StorageError("data database unavailable") from exc
    checks["database"] = "ok"
    if getattr(inst, "keyring", None) is None:
        raise errors.VaultSealed()
    checks["keyring"] = "ok"
    checks["audit"] = "ok" if getattr(inst, "audit", None) is not None else "memory"
    return checks


def create_app(inst: Installation, *, limits: Limits | None = None, console: bool = True) -> FastAPI:
    """Build the API (and, unless ``console`` is false, the staff console) over an opened installation.

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
    limits = limits or Limits.from_env()
    app.state.inst = inst
    app.state.limits = limits
    app.state.limiter = RateLimiter(limits.rate_per_second, limits.burst)
    app.state.metrics = Metrics()
    app.add_middleware(Hardening, limits=limits, limiter=app.state.limiter, metrics=app.state.metrics)
    service = inst.service

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        """Readiness: the database answers and the keyring is loaded (503 problem otherwise)."""
        return JSONResponse({"status": "ready", "checks": ready(inst)})

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Prometheus metrics: counts by route template and status; never paths, ids or values."""
        return Response(generate_latest(app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post("/v1/records/{record_type}", status_code=201, response_model=RecordRefOut, tags=["records"])
    def create_record(record_type: str, body: CreateRequest, request: Request, who: Who) -> RecordRefOut:
        ref = service.create(
            context(request, who, body.purpose), record_type, body.values, customer_id=body.customer_id
        )
        return RecordRefOut(id=ref.record_id, customer_id=ref.customer_id, type=ref.record_type)

    @app.get("/v1/records/{record_type}/{record_id}", response_model=RecordOut, tags=["records"])
    def read_record(
        record_type: str,
        record_id: str,
        request: Request,
        who: Who,
        purpose: Annotated[str, Query(min_length=1, max_length=64)],
        fields: Annotated[str | None, Query(max_length=2000)] = None,
    ) -> RecordOut:
        names = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
        views = service.read(context(request, who, purpose), record_type, record_id, names)
        return RecordOut(
            id=record_id,
            type=record_type,
            fields={k: v.value for k, v in views.items()},
            levels={k: v.level for k, v in views.items()},
        )

    @app.patch("/v1/records/{record_type}/{record_id}", response_model=RecordRefOut, tags=["records"])
    def update_record(
        record_type: str, record_id: str, body: UpdateRequest, request: Request, who: Who
    ) -> RecordRefOut:
        ref = service.update(context(request, who, body.purpose), record_type, record_id, body.values)
        return RecordRefOut(id=ref.record_id, customer_id=ref.customer_id, type=ref.record_type)

    @app.post("/v1/search", response_model=SearchOut, tags=["records"])
    def search(body: SearchRequest, request: Request, who: Who) -> SearchOut:
        # Search values travel in the body, never in the URL, so they stay out of access logs.
        refs = service.search(
            context(request, who, body.purpose), body.record_type, body.field, body.value, limit=body.limit
        )
        return SearchOut(
            matches=[
                RecordRefOut(id=r.record_id, customer_id=r.customer_id, type=r.record_type) for r in refs
            ]
        )

    @app.get("/v1/customers/{customer_id}/records", response_model=list[RecordRefOut], tags=["records"])
    def customer_records(
        customer_id: str,
        request: Request,
        who: Who,
        purpose: Annotated[str, Query(min_length=1, max_length=64)],
    ) -> list[RecordRefOut]:
        refs = service.customer_records(context(request, who, purpose), customer_id)
        return [RecordRefOut(id=r.record_id, customer_id=r.customer_id, type=r.record_type) for r in refs]

    @app.post("/v1/customers/{customer_id}/erase", response_model=EraseOut, tags=["records"])
    def erase(customer_id: str, body: EraseRequest, request: Request, who: Who) -> EraseOut:
        count = service.erase(context(request, who, body.purpose), customer_id, reason=body.reason)
        return EraseOut(erased=customer_id, records_deleted=count, key_destroyed=True)

    @app.post("/v1/import/{record_type}", response_model=ImportOut, tags=["records"])
    async def import_rows(
        record_type: str,
        request: Request,
        who: Who,
        purpose: Annotated[str, Query(min_length=1, max_length=64)],
        format: Annotated[str, Query(pattern="^(csv|jsonl)$")] = "jsonl",
    ) -> ImportOut:
        # The body is spooled to an anonymous temporary file that is already unlinked, so imported
        # plaintext never lingers on disk under a name, and is gone when the handle closes.
        size = 0
        with tempfile.TemporaryFile() as spool:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_IMPORT_BYTES:
                    raise errors.ValidationError("import body larger than 64 MiB", "body")
                spool.write(chunk)
            spool.seek(0)
            report = service.import_rows(
                context(request, who, purpose), record_type, read_stream(spool, format)
            )
        return ImportOut(
            accepted=report.accepted,
            rejected=[Rejected(row=r.row, field=r.field, reason=r.reason) for r in report.rejected],
            ids=report.ids,
        )

    @app.get("/v1/keys/status", tags=["keys"])
    def key_status(request: Request, who: Who) -> dict[str, Any]:
        return service.key_status(context(request, who, ""))

    @app.post("/v1/keys/rotate", tags=["keys"])
    def rotate(request: Request, who: Who) -> dict[str, int]:
        return service.rotate_keys(context(request, who, ""))

    @app.post("/v1/keys/{version}/retire", tags=["keys"])
    def retire(version: int, request: Request, who: Who) -> dict[str, int]:
        service.retire_key(context(request, who, ""), version)
        return {"retired": version}

    for router in capability_routers(inst, current_actor):
        app.include_router(router, responses=problems.RESPONSES)
    if console:
        # Imported here: the console (Jinja2) is an edge of its own that API-only users never load.
        from piguard.web import mount_console

        mount_console(app, inst)

        @app.get("/", include_in_schema=False)
        def root() -> RedirectResponse:
            return RedirectResponse("/console/", status_code=303)

    return app
