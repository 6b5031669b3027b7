"""The :class:`Client`: one method per API operation, over :mod:`httpx`."""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from types import TracebackType
from typing import IO, Any, Literal

import httpx

from piguard.client.models import ImportResult, Record, RecordRef
from piguard.client.problems import error_from_problem

Scalar = str | int | float | None


class Client:
    """A piguard API client.

    :param base_url: e.g. ``https://piguard.internal:8700``.
    :param token: a session token (from :meth:`login`) or the bootstrap token.
    :param api_key: an API client's key (sent as ``X-API-Key``); use this or ``token``.
    :param verify: TLS verification: True, an :class:`ssl.SSLContext` (e.g. trusting the development
        certificate: ``ssl.create_default_context(cafile="<home>/tls/dev-cert.pem")``), or False.
    :param http: an existing :class:`httpx.Client` to use (tests pass a TestClient).
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        verify: bool | ssl.SSLContext = True,
        http: httpx.Client | None = None,
    ) -> None:
        self.token = token
        self.api_key = api_key
        self._owned = http is None
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout, verify=verify)

    # ------------------------------------------------------------------ plumbing

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._owned:
            self.http.close()

    def _headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.api_key:
            return {"X-API-Key": self.api_key}
        return {}

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        content: bytes | IO[bytes] | Iterable[bytes] | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON, or raise the :mod:`piguard.errors` type.

        :raises piguard.errors.Error: a subclass matching the problem document.
        """
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        response = self.http.request(
            method, path, json=json, params=clean or None, content=content, headers=self._headers()
        )
        if response.status_code >= 400:
            raise error_from_problem(response)
        return response.json() if response.content else None

    # ------------------------------------------------------------------ sessions

    def login(self, name: str, password: str, totp: str | None = None) -> dict[str, Any]:
        """Sign in as a staff user; later calls use the session token."""
        out: dict[str, Any] = self._call(
            "POST", "/v1/auth/login", json={"name": name, "password": password, "totp": totp}
        )
        self.token = str(out["token"])
        return out

    def logout(self) -> None:
        self._call("POST", "/v1/auth/logout")
        self.token = None

    def step_up(self, totp: str) -> dict[str, Any]:
        """Prove a fresh TOTP code: clear access to step-up fields opens for a while."""
        out: dict[str, Any] = self._call("POST", "/v1/auth/step-up", json={"totp": totp})
        return out

    def whoami(self) -> dict[str, Any]:
        out: dict[str, Any] = self._call("GET", "/v1/whoami")
        return out

    def health(self) -> bool:
        return bool(self._call("GET", "/healthz")["status"] == "ok")

    # ------------------------------------------------------------------ records

    def create(
        self, record_type: str, values: Mapping[str, Scalar], *, purpose: str, customer_id: str | None = None
    ) -> RecordRef:
        body = {"purpose": purpose, "values": dict(values), "customer_id": customer_id}
        return RecordRef.from_json(self._call("POST", f"/v1/records/{record_type}", json=body))

    def read(
        self, record_type: str, record_id: str, *, purpose: str, fields: Iterable[str] | None = None
    ) -> Record:
        params = {"purpose": purpose, "fields": ",".join(fields) if fields is not None else None}
        return Record.from_json(self._call("GET", f"/v1/records/{record_type}/{record_id}", params=params))

    def update(
        self, record_type: str, record_id: str, values: Mapping[str, Scalar], *, purpose: str
    ) -> RecordRef:
        body = {"purpose": purpose, "values": dict(values)}
        return RecordRef.from_json(self._call("PATCH", f"/v1/records/{record_type}/{record_id}", json=body))

    def search(
        self, field: str, value: str, *, purpose: str, record_type: str = "customer", limit: int = 50
    ) -> list[RecordRef]:
        """Exact search; the value travels in the request body, never in the URL."""
        body = {
            "record_type": record_type,
            "field": field,
            "value": value,
            "purpose": purpose,
            "limit": limit,
        }
        return [RecordRef.from_json(m) for m in self._call("POST", "/v1/search", json=body)["matches"]]

    def match(
        self, customer_id: str, field: str, value: str, *, purpose: str, record_type: str = "customer"
    ) -> bool:
        """Does ``value`` equal the customer's field? Yes or no only (a probe when the field is
        seen masked; :class:`~piguard.errors.QuotaExceeded` once the hour's budget is spent)."""
        body = {"record_type": record_type, "field": field, "value": value, "purpose": purpose}
        return bool(self._call("POST", f"/v1/customers/{customer_id}/match", json=body)["match"])

    def customer_records(self, customer_id: str, *, purpose: str) -> list[RecordRef]:
        rows = self._call("GET", f"/v1/customers/{customer_id}/records", params={"purpose": purpose})
        return [RecordRef.from_json(r) for r in rows]

    def import_rows(
        self,
        record_type: str,
        data: bytes | IO[bytes] | Iterable[bytes],
        *,
        purpose: str,
        format: Literal["jsonl", "csv", "xlsx"] = "jsonl",
        dry_run: bool = False,
    ) -> ImportResult:
        """Bulk import (a file object or an iterator of chunks streams without loading it all).

        :param dry_run: check every row and report what would happen; nothing is stored.
        """
        params: dict[str, Any] = {"purpose": purpose, "format": format}
        if dry_run:
            params["dry_run"] = "true"
        out = self._call("POST", f"/v1/import/{record_type}", params=params, content=data)
        return ImportResult(int(out["accepted"]), list(out["ids"]), list(out["rejected"]))

    def erase(self, customer_id: str, *, reason: str, purpose: str = "service") -> dict[str, Any]:
        """Crypto-shred a customer (irreversible)."""
        out: dict[str, Any] = self._call(
            "POST", f"/v1/customers/{customer_id}/erase", json={"reason": reason, "purpose": purpose}
        )
        return out

    # ------------------------------------------------------------------ consent

    def consent(self, customer_id: str) -> dict[str, Any]:
        out: dict[str, Any] = self._call("GET", f"/v1/customers/{customer_id}/consent")
        return out

    def grant_consent(
        self,
        customer_id: str,
        purposes: list[str],
        *,
        channel: str,
        kinds: list[str] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        body = {"purposes": purposes, "channel": channel, "kinds": kinds or ["general"], **_jsonable(extra)}
        out: dict[str, Any] = self._call("POST", f"/v1/customers/{customer_id}/consent", json=body)
        return out

    def withdraw_consent(
        self, customer_id: str, *, channel: str, purposes: list[str] | None = None, kind: str | None = None
    ) -> dict[str, Any]:
        body = {"channel": channel, "purposes": purposes, "kind": kind}
        out: dict[str, Any] = self._call("POST", f"/v1/customers/{customer_id}/consent/withdraw", json=body)
        return out

    def marketing(self, customer_id: str) -> dict[str, Any]:
        out: dict[str, Any] = self._call("GET", f"/v1/customers/{customer_id}/marketing")
        return out

    def set_marketing(
        self,
        customer_id: str,
        *,
        opt_out: bool,
        personalised: bool,
        delete_tags: bool = False,
        channel: str = "api",
    ) -> dict[str, Any]:
        body = {
            "opt_out": opt_out,
            "personalised": personalised,
            "delete_tags": delete_tags,
            "channel": channel,
        }
        out: dict[str, Any] = self._call("PUT", f"/v1/customers/{customer_id}/marketing", json=body)
        return out

    def notices(self, *, texts: bool = False) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/notices", params={"texts": texts})["notices"])

    # ------------------------------------------------------------------ grants

    def request_grant(
        self,
        *,
        purpose: str,
        reason: str,
        customer_id: str | None = None,
        fields: list[str] | None = None,
        kind: Literal["clear", "export", "check_in"] = "clear",
        minutes: int = 60,
        record_type: str | None = None,
        max_rows: int | None = None,
    ) -> dict[str, Any]:
        body = {
            "kind": kind,
            "purpose": purpose,
            "reason": reason,
            "customer_id": customer_id,
            "fields": fields,
            "minutes": minutes,
            "record_type": record_type,
            "max_rows": max_rows,
        }
        out: dict[str, Any] = self._call("POST", "/v1/grants", json=body)
        return out

    def grants(self, *, status: str | None = None) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/grants", params={"status": status}))

    def decide_grant(self, grant_id: str, *, approve: bool, minutes: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = self._call(
            "POST", f"/v1/grants/{grant_id}/decide", json={"approve": approve, "minutes": minutes}
        )
        return out

    # ------------------------------------------------------------------ accounts

    def users(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/users"))

    def add_user(
        self, name: str, role: str, *, totp: bool = True, password: str | None = None
    ) -> dict[str, Any]:
        out: dict[str, Any] = self._call(
            "POST", "/v1/users", json={"name": name, "role": role, "totp": totp, "password": password}
        )
        return out

    def disable_user(self, name: str, reason: str = "disabled by an administrator") -> dict[str, Any]:
        out: dict[str, Any] = self._call("POST", f"/v1/users/{name}/disable", json={"reason": reason})
        return out

    def enable_user(self, name: str) -> dict[str, Any]:
        out: dict[str, Any] = self._call("POST", f"/v1/users/{name}/enable")
        return out

    def approve_user(self, name: str) -> dict[str, Any]:
        """Approve a pending account (user or client) as the second person."""
        out: dict[str, Any] = self._call("POST", f"/v1/users/{name}/approve")
        return out

    def unlock_user(self, name: str) -> dict[str, Any]:
        out: dict[str, Any] = self._call("POST", f"/v1/users/{name}/unlock")
        return out

    def reset_user(self, name: str) -> dict[str, Any]:
        """Reset a user's password and TOTP; the answer's ``one_time_password`` is shown this once."""
        out: dict[str, Any] = self._call("POST", f"/v1/users/{name}/reset")
        return out

    def clients(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/clients"))

    def add_client(self, name: str, role: str, *, days: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = self._call(
            "POST", "/v1/clients", json={"name": name, "role": role, "days": days}
        )
        return out

    def revoke_client(self, name: str) -> dict[str, Any]:
        out: dict[str, Any] = self._call("POST", f"/v1/clients/{name}/revoke")
        return out

    def training(self, user: str | None = None) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/training", params={"user": user}))

    def record_training(
        self,
        user: str,
        *,
        kind: Literal["course", "agreement"],
        course: str,
        completed_on: date,
        score: int | None = None,
        valid_until: date | None = None,
    ) -> dict[str, Any]:
        body = {
            "user": user,
            "kind": kind,
            "course": course,
            "completed_on": completed_on.isoformat(),
            "score": score,
            "valid_until": valid_until.isoformat() if valid_until else None,
        }
        out: dict[str, Any] = self._call("POST", "/v1/training", json=body)
        return out

    # ------------------------------------------------------------------ audit and keys

    def audit_entries(
        self,
        *,
        customer_id: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after: int | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        params = {
            "customer_id": customer_id,
            "actor": actor,
            "action": action,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "after": after,
            "limit": limit,
        }
        out: dict[str, Any] = self._call("GET", "/v1/audit/entries", params=params)
        return out

    def alerts(self, *, status: str | None = None) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/alerts", params={"status": status})["alerts"])

    def ack_alert(self, alert_id: str, comment: str) -> dict[str, Any]:
        out: dict[str, Any] = self._call("POST", f"/v1/alerts/{alert_id}/ack", json={"comment": comment})
        return out

    def key_status(self) -> dict[str, Any]:
        out: dict[str, Any] = self._call("GET", "/v1/keys/status")
        return out

    def rotate_keys(self) -> dict[str, int]:
        out: dict[str, int] = self._call("POST", "/v1/keys/rotate")
        return out


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in values.items()}
