"""HTTP routes for accounts: login, step-up, whoami, users, clients, grants, training.

None of these returns customer data; they manage who may reach it. Every route except
``/v1/auth/login`` takes its caller from the one :data:`~piguard.api.deps.Who` (bearer token
or ``X-API-Key``, rate-charged) of every router; the account service authenticates it on
each request.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from piguard import errors
from piguard.access import AccessControl
from piguard.api import deps
from piguard.api.deps import Who


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(_Strict):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    totp: str | None = Field(default=None, max_length=16)


class StepUpRequest(_Strict):
    totp: str = Field(min_length=1, max_length=16)


class UserRequest(_Strict):
    name: str = Field(min_length=1, max_length=64)
    role: str = Field(min_length=1, max_length=64)
    password: str | None = Field(default=None, max_length=1024)
    totp: bool = True
    customers_per_hour: int | None = Field(default=None, ge=1)
    max_results: int | None = Field(default=None, ge=1)


class ClientRequest(_Strict):
    name: str = Field(min_length=1, max_length=64)
    role: str = Field(min_length=1, max_length=64)
    days: int | None = Field(default=None, ge=1, le=3650)


class DisableRequest(_Strict):
    reason: str = Field(default="disabled by an administrator", min_length=1, max_length=500)


class GrantRequest(_Strict):
    kind: str = Field(default="clear", pattern="^(clear|export|check_in)$")
    purpose: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)
    customer_id: str | None = Field(default=None, max_length=128)
    record_type: str | None = Field(default=None, max_length=64)
    fields: list[str] | None = Field(default=None, max_length=200)
    minutes: int = Field(default=60, ge=1, le=480)
    max_rows: int | None = Field(default=None, ge=1)


class DecideRequest(_Strict):
    approve: bool = True
    minutes: int | None = Field(default=None, ge=1, le=480)


class TrainingRequest(_Strict):
    user: str = Field(min_length=1, max_length=64)
    kind: str = Field(pattern="^(course|agreement)$")
    course: str = Field(min_length=1, max_length=128)
    completed_on: date
    score: int | None = Field(default=None, ge=0, le=100)
    valid_until: date | None = None


class _HasAccess(Protocol):
    access: AccessControl


def build_router(inst: _HasAccess | AccessControl) -> APIRouter:
    """The account routes (``app.include_router(build_router(inst))``).

    :param inst: an opened installation (its ``access``), or an :class:`AccessControl`.
    """
    access = inst if isinstance(inst, AccessControl) else inst.access
    router = APIRouter(prefix="/v1", tags=["access"])

    @router.post("/auth/login")
    def login(body: LoginRequest, request: Request) -> dict[str, Any]:
        try:
            return access.login(body.name, body.password, body.totp, address=deps.address(request)).as_dict()
        except errors.AuthenticationFailed as exc:
            # A failed login is an unauthenticated request too: it counts against the address.
            deps.refused(request, exc)

    @router.post("/auth/logout")
    def logout(who: Who) -> dict[str, Any]:
        access.logout(who)
        return {"logged_out": True}

    @router.post("/auth/step-up")
    def step_up(body: StepUpRequest, who: Who, request: Request) -> dict[str, Any]:
        at = access.step_up(who, body.totp, address=deps.address(request))
        return {"stepped_up_at": at.isoformat(), "valid_seconds": int(access.step_up_ttl.total_seconds())}

    @router.get("/whoami")
    def whoami(who: Who) -> dict[str, Any]:
        return access.whoami(who)

    @router.get("/users")
    def list_users(who: Who) -> list[dict[str, Any]]:
        return access.list_principals(who, "staff")

    @router.post("/users", status_code=201)
    def add_user(body: UserRequest, who: Who) -> dict[str, Any]:
        return access.add_user(
            who,
            body.name,
            body.role,
            password=body.password,
            totp=body.totp,
            customers_per_hour=body.customers_per_hour,
            max_results=body.max_results,
        )

    @router.post("/users/{name}/disable")
    def disable_user(name: str, body: DisableRequest, who: Who) -> dict[str, Any]:
        return access.disable(who, name, body.reason)

    @router.post("/users/{name}/enable")
    def enable_user(name: str, who: Who) -> dict[str, Any]:
        return access.enable(who, name)

    @router.post("/users/{name}/reset")
    def reset_user(name: str, who: Who) -> dict[str, Any]:
        """Reset a staff user's password and TOTP (administrators; not oneself).

        Every session of the user ends at once; the answer holds a one-time password, shown this
        once, with which the user sets new credentials on the console's ``/console/reset`` page.
        """
        return access.reset_credentials(who, name)
    @router.post("/users/{name}/approve")
    def approve_account(name: str, who: Who) -> dict[str, Any]:
        """The second person activates a pending account (a user or a client) of a privileged role."""
        return access.approve_account(who, name)

    @router.post("/users/{name}/unlock")
    def unlock_user(name: str, who: Who) -> dict[str, Any]:
        return access.unlock(who, name)

    @router.get("/clients")
    def list_clients(who: Who) -> list[dict[str, Any]]:
        return access.list_principals(who, "client")

    @router.post("/clients", status_code=201)
    def add_client(body: ClientRequest, who: Who) -> dict[str, Any]:
        return access.add_client(who, body.name, body.role, days=body.days)

    @router.post("/clients/{name}/revoke")
    def revoke_client(name: str, who: Who) -> dict[str, Any]:
        return access.revoke_client(who, name)

    @router.get("/grants")
    def list_grants(who: Who, status: str | None = None) -> list[dict[str, Any]]:
        return access.list_grants(who, status=status)

    @router.post("/grants", status_code=201)
    def request_grant(body: GrantRequest, who: Who) -> dict[str, Any]:
        grant = access.request_grant(
            who,
            kind=body.kind,
            purpose=body.purpose,
            reason=body.reason,
            customer_id=body.customer_id,
            record_type=body.record_type,
            fields=body.fields,
            minutes=body.minutes,
            max_rows=body.max_rows,
            client="api",
        )
        return grant

    @router.post("/grants/{grant_id}/decide")
    def decide_grant(grant_id: str, body: DecideRequest, who: Who) -> dict[str, Any]:
        return access.decide_grant(who, grant_id, approve=body.approve, minutes=body.minutes)

    @router.get("/training")
    def list_training(who: Who, user: str | None = None) -> list[dict[str, Any]]:
        return access.list_training(who, user)

    @router.post("/training", status_code=201)
    def record_training(body: TrainingRequest, who: Who) -> dict[str, Any]:
        return access.record_training(
            who,
            body.user,
            kind=body.kind,
            course=body.course,
            completed_on=body.completed_on,
            score=body.score,
            valid_until=body.valid_until,
        )

    return router
