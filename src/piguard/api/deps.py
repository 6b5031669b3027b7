"""Who is asking: the one authentication dependency every API router uses.

Every route except ``/v1/auth/login`` and the ops routes (``/healthz``, ``/readyz``,
``/metrics``) depends on :func:`current_actor`, through the typed alias :data:`Who`:

- the credential is ``Authorization: Bearer`` (a session token, an API key or the bootstrap
  token) or ``X-API-Key`` (an API client's key);
- it is checked by the account service on every request, so a disabled user or a revoked key
  is refused on the very next call;
- the principal's rate-limit bucket is charged, whatever token it uses;
- a request without a valid credential is charged to its address instead, in the database
  (:func:`refused`): past the per-address budget it gets 429, however many random tokens it
  tries (the per-credential buckets of the middleware cannot see that).

:func:`bind` tells an app which account service (and rate limiter) answers;
:func:`piguard.api.app.create_app` calls it. Tests swap the actor with
``app.dependency_overrides[current_actor]``.
"""

from __future__ import annotations

from typing import Annotated, NoReturn, Protocol

from fastapi import Depends, FastAPI, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from piguard import errors
from piguard.gate import RequestContext
from piguard.gate.sdk import Actor

__all__ = ["Who", "address", "bind", "context", "current_actor", "refused"]


class Authenticator(Protocol):
    """What the dependency needs of the account service."""

    def authenticate(self, token: str) -> Actor: ...

    def charge_unauthenticated(self, address: str | None, limit: int | None = None) -> None: ...


class Charger(Protocol):
    def charge(self, key: str) -> None: ...

    def charge_principal(self, scope: Scope, principal_key: str) -> None: ...


_bearer = HTTPBearer(auto_error=False, description="A session token, an API key or the bootstrap token.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API client's key.")

#: The refusal for a request without any credential.
MISSING = "missing credential: send Authorization: Bearer <token> or X-API-Key: <key>"
#: The refusal for an ``X-API-Key`` that names no key at all.
BAD_KEY = "the X-API-Key is not a valid API key"


def bind(app: FastAPI, access: Authenticator, limiter: Charger | None = None) -> None:
    """Let :func:`current_actor` authenticate this app's requests with ``access``."""
    app.state.access = access
    app.state.limiter = limiter


def current_actor(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
    api_key: Annotated[str | None, Security(_api_key)] = None,
) -> Actor:
    """Authenticate this request's credential, then charge the principal's rate-limit bucket.

    :raises AuthenticationFailed: no credential, or one the account service refuses.
    :raises RateLimited: the principal is over its request rate (whatever token it uses).
    """
    access: Authenticator = request.app.state.access
    from_key = bearer is None
    token = bearer.credentials.strip() if bearer is not None else (api_key or "").strip()
    if not token:
        refused(request, errors.AuthenticationFailed(MISSING))
    try:
        actor = access.authenticate(token)
    except errors.AuthenticationFailed as exc:
        if from_key and exc.reason == "invalid token":
            refused(request, errors.AuthenticationFailed(BAD_KEY))
        refused(request, exc)
    limiter: Charger | None = getattr(request.app.state, "limiter", None)
    if limiter is not None:
        limiter.charge_principal(request.scope, f"p:{actor.id}")
    return actor


def address(request: Request) -> str | None:
    """The peer's network address (what per-address limits and audit entries name)."""
    return request.client.host if request.client else None


def refused(request: Request, failure: errors.AuthenticationFailed) -> NoReturn:
    """Charge a request that failed to authenticate to its address, then raise ``failure``.

    :raises TooManyAttempts: the address is over its per-minute budget of such requests (429).
    :raises AuthenticationFailed: ``failure`` otherwise (401).
    """
    access: Authenticator = request.app.state.access
    limits = getattr(request.app.state, "limits", None)
    access.charge_unauthenticated(address(request), getattr(limits, "unauthenticated_per_minute", None))
    raise failure


#: The authenticated caller of a route: ``def route(who: Who) -> ...``.
Who = Annotated[Actor, Depends(current_actor)]


def context(request: Request, who: Actor, purpose: str = "") -> RequestContext:
    """The gate's request context for an API call (client ``api``, the peer's address)."""
    return RequestContext(who, purpose, client="api", address=address(request))
