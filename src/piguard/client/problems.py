"""Problem documents back into :mod:`piguard.errors` exceptions (the inverse of ``api/problems.py``)."""

from __future__ import annotations

from typing import Any

import httpx

from piguard import errors
from piguard.client.models import RetryLater

#: Problem ``code`` -> exception class taking a single reason.
_BY_CODE: dict[str, type[errors.Error]] = {
    "unauthenticated": errors.AuthenticationFailed,
    "quota": errors.QuotaExceeded,
    "consent": errors.ConsentRequired,
    "forbidden": errors.AccessDenied,
    "not_found": errors.NotFound,
    "conflict": errors.Conflict,
    "storage": errors.StorageError,
    "sealed": errors.VaultSealed,
    "audit": errors.AuditFailure,
    "crypto": errors.CryptoError,
    "integrity": errors.IntegrityError,
    "config": errors.ConfigError,
}


def error_from_problem(response: httpx.Response) -> errors.Error:
    """The exception a non-2xx ``response`` stands for (its ``detail`` as the message)."""
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("code", ""))
    detail = str(body.get("detail") or response.reason_phrase or f"HTTP {response.status_code}")
    if code == "rate_limited" or (response.status_code == 429 and code != "quota"):
        return RetryLater(detail, float(response.headers.get("retry-after", "1")))
    if code in ("validation", "request", "catalog", "too_large") or response.status_code in (413, 422):
        field = body.get("field")
        return errors.ValidationError(detail, str(field) if field else None)
    kind = _BY_CODE.get(code)
    if kind is None:
        kind = {
            401: errors.AuthenticationFailed,
            403: errors.AccessDenied,
            404: errors.NotFound,
            409: errors.Conflict,
        }.get(response.status_code, errors.Error)
    if issubclass(kind, errors.AccessDenied):
        return kind(detail)
    return kind(detail)
