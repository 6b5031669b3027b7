"""HTTP routes of hotel stays: register, check in, check out (issue 11, item 5).

A registered stay grants the front desk no row scope; ``check-in`` proves the guest, by the ID
number they state (sent in the body, never in a URL; compared, never stored) or by an approved
check-in grant (``POST /v1/grants`` with ``kind: check_in``, decided by a second person).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from piguard.api.deps import Who, context
from piguard.installation import Installation


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(_Strict):
    purpose: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=128)
    values: dict[str, str | int | float | None]


class CheckInRequest(_Strict):
    purpose: str = Field(min_length=1, max_length=64)
    #: The guest's stated resident ID or passport number; compared with the record, never kept.
    id_number: str | None = Field(default=None, max_length=64)
    #: Or an approved check-in grant of the caller for this guest.
    grant_id: str | None = Field(default=None, max_length=64)


class CheckOutRequest(_Strict):
    purpose: str = Field(min_length=1, max_length=64)


class StayOut(BaseModel):
    stay_id: str
    customer_id: str | None = None
    status: str
    method: str | None = None


def build_router(inst: Installation) -> APIRouter:
    """The stays routes under ``/v1``, over the gate's built-in stays capability."""
    stays = inst.gate.stays
    router = APIRouter(prefix="/v1", tags=["stays"])

    @router.post("/stays", status_code=201, response_model=StayOut)
    def register_stay(body: RegisterRequest, request: Request, who: Who) -> StayOut:
        ref = stays.register(context(request, who, body.purpose), body.customer_id, body.values)
        return StayOut(stay_id=ref.record_id, customer_id=ref.customer_id, status="registered")

    @router.post("/stays/{stay_id}/check-in", response_model=StayOut)
    def check_in(stay_id: str, body: CheckInRequest, request: Request, who: Who) -> StayOut:
        done: dict[str, Any] = stays.check_in(
            context(request, who, body.purpose), stay_id, id_number=body.id_number, grant_id=body.grant_id
        )
        return StayOut(**done)

    @router.post("/stays/{stay_id}/check-out", response_model=StayOut)
    def check_out(stay_id: str, body: CheckOutRequest, request: Request, who: Who) -> StayOut:
        return StayOut(**stays.check_out(context(request, who, body.purpose), stay_id))

    return router
