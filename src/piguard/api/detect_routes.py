"""HTTP routes of the detector (issue 7, point 5): find and mask PI in free text.

Mounted by :mod:`piguard.api.routers`; both routes take their caller from the one
:data:`~piguard.api.deps.Who` of every router. Both routes
take the text in the request body (never in the URL), bounded to
:data:`MAX_BODY_BYTES`; the answers carry types, offsets, scores and masked
replacements, never the raw values found. The detector never reads the vault.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from piguard.api.deps import Who
from piguard.detect import ALL_TYPES, Detector, default_detector
from piguard.detect.settings import DetectionSettings
from piguard.errors import ValidationError

__all__ = ["MAX_BODY_BYTES", "build_router"]

#: Largest request body accepted by the detector routes (1 MiB).
MAX_BODY_BYTES = 1 << 20


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DetectIn(_Strict):
    text: str
    # Checked by the detector (unknown types -> 422, naming the types only).
    types: list[str] | None = Field(default=None, max_length=len(ALL_TYPES))
    mode: Literal["default", "bulk"] = "default"


class MaskIn(DetectIn):
    audience: Literal["staff", "customer"] = "staff"


async def _read_body(request: Request, model: type[DetectIn]) -> Any:
    # The limit is enforced while reading, so a huge body is never held whole;
    # a lying Content-Length is caught by the same count.
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail=f"request body over {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail=f"request body over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    try:
        return model.model_validate(json.loads(b"".join(chunks)))
    except (ValueError, PydanticValidationError) as exc:
        # Say what is wrong without echoing the input (it may be PI).
        errors = (
            exc.errors(include_url=False, include_context=False, include_input=False)
            if isinstance(exc, PydanticValidationError)
            else None
        )
        raise HTTPException(
            status_code=422, detail=errors if errors is not None else "body is not valid JSON"
        ) from None


def _detector(inst: Any) -> Detector:
    overrides = getattr(getattr(inst, "settings", None), "detection", None)
    if not overrides:
        return default_detector()
    return DetectionSettings.shipped().merged(overrides).detector()


def build_router(inst: Any) -> APIRouter:
    """The detector routes under ``/v1``; every route requires an authenticated caller.

    :param inst: the installation, or None (tests): only its settings are read,
        ``Settings.detection`` (per-type thresholds, context words over the shipped
        ones, as ``piguard scan --settings`` takes them); the detector never reads the vault.
    :raises ConfigError: if the installation's detection settings are invalid.
    """
    router = APIRouter(prefix="/v1", tags=["detect"])
    detector = _detector(inst)

    @router.post("/detect")
    async def detect(request: Request, who: Who) -> dict[str, Any]:
        """Find PI in ``text``: ``{"findings": [{"type", "start", "end", "score"}]}``."""
        body = await _read_body(request, DetectIn)
        try:
            # CPU-bound: off the event loop.
            findings = await run_in_threadpool(detector.detect, body.text, types=body.types, mode=body.mode)
        except ValidationError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        return {"findings": [f.as_dict() for f in findings]}

    @router.post("/mask")
    async def mask(request: Request, who: Who) -> dict[str, Any]:
        """Mask PI in ``text``: ``{"text", "replacements": [{"type", "start", "end", "replacement"}]}``."""
        body = await _read_body(request, MaskIn)
        try:
            result = await run_in_threadpool(
                detector.mask_text, body.text, audience=body.audience, types=body.types, mode=body.mode
            )
        except ValidationError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        return result.as_dict()

    return router
