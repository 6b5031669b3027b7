"""RFC 9457 (formerly 7807) problem responses. The only place errors become HTTP status codes.

Every error the API gives is a problem document, whatever the input that caused it: the
writer (:func:`problem_bytes`) never fails on odd text (a lone surrogate from an undecodable
upload, say), and :func:`internal_error` is the last resort for anything unforeseen; it says
only that something failed, never what the input was.
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from piguard import errors

STATUS: list[tuple[type[errors.Error], int, str]] = [
    (errors.AuthenticationFailed, 401, "Authentication required"),
    (errors.QuotaExceeded, 429, "Quota exceeded"),
    (errors.TooManyAttempts, 429, "Too many requests"),
    (errors.ConsentRequired, 403, "Consent required"),
    (errors.AccessDenied, 403, "Access denied"),
    (errors.ValidationError, 422, "Invalid input"),
    (errors.CatalogError, 422, "Invalid catalog"),
    (errors.NotFound, 404, "Not found"),
    (errors.Conflict, 409, "Conflict"),
    (errors.VaultSealed, 503, "Vault sealed"),
    (errors.StoreBusy, 503, "Database busy"),
    (errors.AuditFailure, 503, "Audit unavailable"),
    (errors.UnknownKey, 404, "Unknown key"),
    (errors.KeyRetired, 409, "Key retired"),
    (errors.KeyProviderError, 503, "Key provider unavailable"),
    (errors.InvalidCiphertext, 500, "Integrity failure"),
    # A backup or sealed file that fails its check is bad input the caller named, not our failure.
    (errors.IntegrityError, 422, "Damaged file"),
]

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://piguard.invalid/problems/"


class Problem(BaseModel):
    """An RFC 7807 problem document, as every error response carries it."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str


def _doc(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {MEDIA_TYPE: {}}}


#: Error responses every API route may give; merged into each route's OpenAPI entry so that
#: clients (and schemathesis) know the problem shape of each status.
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("Malformed request"),
    401: _doc("Missing, invalid or expired credentials"),
    403: _doc("The gate refused"),
    404: _doc("No such object"),
    409: _doc("Conflict"),
    413: _doc("Request body too large"),
    422: _doc("Invalid input"),
    429: _doc("Rate limit or quota exceeded (see Retry-After)"),
    503: _doc("Vault sealed, database busy or audit unavailable (a busy refusal carries Retry-After)"),
}


log = logging.getLogger("piguard.api")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _safe(value: object) -> object:
    """``value`` with every string made encodable: a lone surrogate (what an undecodable byte
    becomes under ``surrogateescape``) is replaced by U+FFFD, so the writer cannot fail on it."""
    if isinstance(value, str):
        return value if value.isascii() else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {str(_safe(k)): _safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _safe(str(value))


def problem_bytes(status: int, title: str, detail: str, code: str, **extra: object) -> bytes:
    """The JSON body of a problem document; never raises, whatever the strings hold."""
    body: dict[str, object] = {
        "type": f"{TYPE_BASE}{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    return json.dumps(_safe(body), ensure_ascii=False, allow_nan=False).encode("utf-8")


class ProblemResponse(JSONResponse):
    """A JSON response that renders through :func:`problem_bytes`'s safe encoding."""

    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(_safe(content), ensure_ascii=False, allow_nan=False).encode("utf-8")


def problem(
    status: int, title: str, detail: str, code: str, *, headers: dict[str, str] | None = None, **extra: object
) -> JSONResponse:
    body: dict[str, object] = {
        "type": f"{TYPE_BASE}{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    out = dict(headers or {})
    if status == 401:
        out["WWW-Authenticate"] = "Bearer"
    return ProblemResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=out or None)


def internal_problem() -> bytes:
    """The body of the last-resort 500: it names no input, no exception text, no value."""
    return problem_bytes(500, "Internal error", "internal error", "internal")


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Last resort for an exception no other handler maps: a 500 problem.

    Only the exception's type and the route template are logged: an exception's text may
    quote input (a codec error quotes the character it choked on).
    """
    route = getattr(request.scope.get("route"), "path", "<unmatched>")
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, route)
    return problem(500, "Internal error", "internal error", "internal")


async def piguard_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.Error)
    for kind, status, title in STATUS:
        if isinstance(exc, kind):
            if isinstance(exc, errors.ValidationError) and exc.field:
                return problem(status, title, str(exc), exc.code, field=exc.field)
            after = getattr(exc, "retry_after", None)
            if isinstance(exc, errors.TooManyAttempts | errors.StoreBusy | errors.AuditFailure) and after:
                # A refusal that passes: say when to come back (whole seconds, at least 1).
                retry = str(max(1, math.ceil(after)))
                return problem(status, title, str(exc), exc.code, headers={"Retry-After": retry})
            return problem(status, title, str(exc), exc.code)
    return problem(500, "Internal error", "internal error", exc.code)


async def request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Pydantic's messages may echo input values; report only where and what kind of problem.
    issues = [{"loc": [str(p) for p in e.get("loc", ())], "type": e.get("type", "")} for e in exc.errors()]
    where = ", ".join(".".join(i["loc"]) for i in issues) or "request"
    return problem(422, "Invalid request", f"invalid request at {where}", "request", errors=issues)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, str(exc.detail), str(exc.detail), "http")


async def rate_limited(request: Request, exc: Exception) -> JSONResponse:
    """429 with ``Retry-After`` (whole seconds, at least 1) for a rate-limited request."""
    retry = max(1, math.ceil(float(getattr(exc, "retry_after", 1.0))))
    return problem(
        429,
        "Too many requests",
        "rate limit exceeded: slow down",
        "rate_limited",
        headers={"Retry-After": str(retry)},
    )


async def body_too_large(request: Request, exc: Exception) -> JSONResponse:
    limit = int(getattr(exc, "limit", 0))
    return problem(413, "Request too large", f"request body larger than {limit} bytes", "too_large")
