"""RFC 7807 problem responses. The only place errors become HTTP status codes."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from piguard import errors

STATUS: list[tuple[type[errors.Error], int, str]] = [
    (errors.AuthenticationFailed, 401, "Authentication required"),
    (errors.QuotaExceeded, 429, "Quota exceeded"),
    (errors.ConsentRequired, 403, "Consent required"),
    (errors.AccessDenied, 403, "Access denied"),
    (errors.ValidationError, 422, "Invalid input"),
    (errors.CatalogError, 422, "Invalid catalog"),
    (errors.NotFound, 404, "Not found"),
    (errors.Conflict, 409, "Conflict"),
    (errors.VaultSealed, 503, "Vault sealed"),
    (errors.AuditFailure, 503, "Audit unavailable"),
    (errors.InvalidCiphertext, 500, "Integrity failure"),
]

MEDIA_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str, code: str, **extra: object) -> JSONResponse:
    body: dict[str, object] = {
        "type": f"https://piguard.invalid/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


async def piguard_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.Error)
    for kind, status, title in STATUS:
        if isinstance(exc, kind):
            extra: dict[str, object] = {}
            if isinstance(exc, errors.ValidationError) and exc.field:
                extra["field"] = exc.field
            return problem(status, title, str(exc), exc.code, **extra)
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
