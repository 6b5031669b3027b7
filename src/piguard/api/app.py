"""The HTTP API (FastAPI). Every route reaches customer data through the gate only.

Authentication here is the bootstrap administrator token until staff accounts land;
the token is compared to a hash stored in the home's settings.
"""

from __future__ import annotations

import tempfile
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from piguard import __version__, errors
from piguard.api import problems
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


def current_actor(request: Request, authorization: Annotated[str | None, Header()] = None) -> Actor:
    """Authenticate the bearer token of this request (checked on every request)."""
    inst: Installation = request.app.state.inst
    if not authorization or not authorization.lower().startswith("bearer "):
        raise errors.AuthenticationFailed("missing bearer token")
    # Checked against the database on every request: a disabled user or revoked key is refused
    # on the very next call.
    return inst.access.authenticate(authorization[7:].strip())


Who = Annotated[Actor, Depends(current_actor)]


def context(request: Request, who: Actor, purpose: str) -> RequestContext:
    client = request.client.host if request.client else None
    return RequestContext(who, purpose, client="api", address=client)


def create_app(inst: Installation) -> FastAPI:
    """Build the API over an opened installation."""
    app = FastAPI(
        title="piguard API",
        version=__version__,
        description="Customer personal-information vault: every call passes one enforcement gate.",
    )
    app.add_exception_handler(errors.Error, problems.piguard_error)
    app.add_exception_handler(RequestValidationError, problems.request_validation_error)
    app.add_exception_handler(StarletteHTTPException, problems.http_error)
    app.state.inst = inst
    service = inst.service

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

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
        app.include_router(router)
    return app
