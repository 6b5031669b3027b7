"""HTTP routes of the records capability: create, read, update, search, list, erase, import, keys.

Every route runs one declared operation of the gate (``inst.gate``); the caller is the one
:data:`~piguard.api.deps.Who` of every router. Search values travel in request bodies, never
in URLs.
"""

from __future__ import annotations

import io
import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from piguard import errors
from piguard.api.deps import Who, context
from piguard.consent.importing import COLUMNS as CONSENT_COLUMNS
from piguard.installation import Installation
from piguard.readers import Columns, read_stream, template_csv, write_rejects

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
    #: Each match with the caller's masked name and mobile (each one a recorded, quota-counted read).
    summary: bool = True


class MatchRequest(Strict):
    """A value the caller states (on the phone, say), to check against the customer's field."""

    purpose: str = Field(min_length=1, max_length=64)
    record_type: str = "customer"
    field: str = Field(min_length=1, max_length=64)
    value: str = Field(min_length=1, max_length=1000)


class MatchAnswer(BaseModel):
    match: bool


class ExportRequest(Strict):
    purpose: str = Field(min_length=1, max_length=64)
    grant_id: str = Field(min_length=1, max_length=64)
    record_ids: list[str] = Field(min_length=1, max_length=10_000)
    fields: list[str] | None = Field(default=None, max_length=200)


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


class ExportOut(BaseModel):
    rows: list[RecordOut]


class MatchOut(RecordRefOut):
    summary: dict[str, str | None] | None = Field(
        default=None,
        description="The customer's name and mobile, always masked (even for a role that sees them in "
        "clear), read through the gate (recorded, quota-counted); null when not asked for or not readable.",
    )


class SearchOut(BaseModel):
    matches: list[MatchOut]


class Rejected(BaseModel):
    row: int
    field: str | None
    reason: str


class ImportOut(BaseModel):
    accepted: int
    rejected: list[Rejected]
    ids: list[str]
    dry_run: bool = False
    #: Only with ``rejects=true``. It holds the values the caller sent, so it is built in memory
    #: for this response and kept nowhere.
    rejected_file: str | None = Field(
        default=None,
        description="With rejects=true: the rejected rows as CSV (the caller's own values, with "
        "row number and reasons) to fix and upload again; not stored anywhere.",
    )


class EraseOut(BaseModel):
    erased: str
    records_deleted: int
    key_destroyed: bool


def build_router(inst: Installation) -> APIRouter:
    """The records and keys routes under ``/v1``, over the installation's gate."""
    gate = inst.gate
    router = APIRouter(prefix="/v1")

    @router.post("/records/{record_type}", status_code=201, response_model=RecordRefOut, tags=["records"])
    def create_record(record_type: str, body: CreateRequest, request: Request, who: Who) -> RecordRefOut:
        ref = gate.create(
            context(request, who, body.purpose), record_type, body.values, customer_id=body.customer_id
        )
        return RecordRefOut(id=ref.record_id, customer_id=ref.customer_id, type=ref.record_type)

    @router.get("/records/{record_type}/{record_id}", response_model=RecordOut, tags=["records"])
    def read_record(
        record_type: str,
        record_id: str,
        request: Request,
        who: Who,
        purpose: Annotated[str, Query(min_length=1, max_length=64)],
        fields: Annotated[str | None, Query(max_length=2000)] = None,
    ) -> RecordOut:
        names = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
        views = gate.read(context(request, who, purpose), record_type, record_id, names)
        return RecordOut(
            id=record_id,
            type=record_type,
            fields={k: v.value for k, v in views.items()},
            levels={k: v.level for k, v in views.items()},
        )

    @router.patch("/records/{record_type}/{record_id}", response_model=RecordRefOut, tags=["records"])
    def update_record(
        record_type: str, record_id: str, body: UpdateRequest, request: Request, who: Who
    ) -> RecordRefOut:
        ref = gate.update(context(request, who, body.purpose), record_type, record_id, body.values)
        return RecordRefOut(id=ref.record_id, customer_id=ref.customer_id, type=ref.record_type)

    @router.post("/search", response_model=SearchOut, tags=["records"])
    def search(body: SearchRequest, request: Request, who: Who) -> SearchOut:
        # Search values travel in the body, never in the URL, so they stay out of access logs.
        refs = gate.search(
            context(request, who, body.purpose), body.record_type, body.field, body.value, limit=body.limit
        )
        ctx = context(request, who, body.purpose)
        summaries = gate.summaries(ctx, [r.customer_id for r in refs]) if body.summary else {}
        return SearchOut(
            matches=[
                MatchOut(
                    id=r.record_id,
                    customer_id=r.customer_id,
                    type=r.record_type,
                    summary=summaries.get(r.customer_id),
                )
                for r in refs
            ]
        )

    @router.post("/customers/{customer_id}/match", response_model=MatchAnswer, tags=["records"])
    def match(customer_id: str, body: MatchRequest, request: Request, who: Who) -> MatchAnswer:
        """Does the stated value equal the customer's field? Yes or no only (the value travels in
        the body and is neither stored nor logged). On a field the caller sees only masked each
        check is a probe under the hourly probe budget (429 once spent)."""
        found = gate.match(
            context(request, who, body.purpose),
            customer_id,
            body.field,
            body.value,
            record_type=body.record_type,
        )
        return MatchAnswer(match=found)

    @router.get("/customers/{customer_id}/records", response_model=list[RecordRefOut], tags=["records"])
    def customer_records(
        customer_id: str,
        request: Request,
        who: Who,
        purpose: Annotated[str, Query(min_length=1, max_length=64)],
    ) -> list[RecordRefOut]:
        refs = gate.customer_records(context(request, who, purpose), customer_id)
        return [RecordRefOut(id=r.record_id, customer_id=r.customer_id, type=r.record_type) for r in refs]

    @router.post("/export/{record_type}", response_model=ExportOut, tags=["records"])
    def export(record_type: str, body: ExportRequest, request: Request, who: Who) -> ExportOut:
        """Export records under an approved, single-use export grant (R-USE-3); values masked (R-USE-4).
        Rows the caller may not process (scope, consent) are refused and recorded, not returned."""
        rows = inst.gate.records.exports.export_pairs(
            context(request, who, body.purpose),
            record_type,
            body.record_ids,
            grant_id=body.grant_id,
            fields=body.fields,
        )
        return ExportOut(
            rows=[
                RecordOut(
                    id=rid,
                    type=record_type,
                    fields={k: v.value for k, v in row.items()},
                    levels={k: v.level for k, v in row.items()},
                )
                for rid, row in rows
            ]
        )

    @router.post("/customers/{customer_id}/erase", response_model=EraseOut, tags=["records"])
    def erase(customer_id: str, body: EraseRequest, request: Request, who: Who) -> EraseOut:
        count = gate.erase(context(request, who, body.purpose), customer_id, reason=body.reason)
        return EraseOut(erased=customer_id, records_deleted=count, key_destroyed=True)

    @router.get(
        "/import/{record_type}/template",
        tags=["records"],
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}, "description": "An empty import file (CSV)"}},
    )
    def import_template(
        record_type: str,
        who: Who,
        lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
        consent: bool = False,
    ) -> Response:
        """An import file with only the header row: each column's zh or en label (with ``consent``,
        the consent evidence columns too). Catalog labels only: no customer data."""
        text = template_csv(inst.catalog, record_type, lang, CONSENT_COLUMNS if consent else ())
        return Response(
            text.encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{record_type}-{lang}.csv"'},
        )

    @router.post("/import/{record_type}", response_model=ImportOut, tags=["records"])
    async def import_rows(
        record_type: str,
        request: Request,
        who: Who,
        purpose: Annotated[str, Query(min_length=1, max_length=64)],
        format: Annotated[str, Query(pattern="^(csv|jsonl|xlsx)$")] = "jsonl",
        encoding: Annotated[str | None, Query(max_length=16, pattern="^[A-Za-z0-9_-]+$")] = None,
        dry_run: bool = False,
        rejects: bool = False,
        lang: Annotated[str, Query(pattern="^(zh|en)$")] = "en",
    ) -> ImportOut:
        """Import a CSV (UTF-8 or GB18030, detected), .xlsx or JSON Lines body; headers are field
        names or their zh/en labels. ``dry_run`` checks every row and writes nothing; ``rejects``
        returns the rejected rows as CSV with their reasons."""
        # The headers each column may have (raises for a record type the catalog lacks: the catalog's
        # names are no secret, its templates are served to every caller).
        columns = Columns.for_record_type(inst.catalog, record_type)
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
            report = gate.import_rows(
                context(request, who, purpose),
                record_type,
                read_stream(spool, format, columns, encoding=encoding),
                dry_run=dry_run,
            )
            rejected_file = None
            if rejects:
                reasons: dict[int, list[str]] = {}
                for r in report.rejected:
                    reasons.setdefault(r.row, []).append(f"{r.field}: {r.reason}" if r.field else r.reason)
                spool.seek(0)
                out = io.StringIO()
                write_rejects(spool, format, reasons, out, encoding=encoding, lang=lang)
                rejected_file = out.getvalue()
        return ImportOut(
            accepted=report.accepted,
            rejected=[Rejected(row=r.row, field=r.field, reason=r.reason) for r in report.rejected],
            ids=report.ids,
            dry_run=dry_run,
            rejected_file=rejected_file,
        )

    @router.get("/keys/status", tags=["keys"])
    def key_status(request: Request, who: Who) -> dict[str, Any]:
        return gate.key_status(context(request, who))

    @router.post("/keys/rotate", tags=["keys"])
    def rotate(request: Request, who: Who) -> dict[str, int]:
        return gate.rotate_keys(context(request, who))

    @router.post("/reindex", tags=["keys"])
    def reindex(request: Request, who: Who) -> dict[str, int]:
        """Rebuild the blind index after an upgrade changed how values are matched (idempotent)."""
        return gate.reindex(context(request, who))

    @router.post("/keys/{version}/retire", tags=["keys"])
    def retire(version: int, request: Request, who: Who) -> dict[str, int]:
        gate.retire_key(context(request, who), version)
        return {"retired": version}

    return router
