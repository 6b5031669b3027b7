"""Transport hardening for the API and the console: body limits, rate limits, headers, metrics.

One pure ASGI middleware (:class:`Hardening`) does all four, because each extra
middleware layer costs latency on the read path. It never looks at bodies beyond
counting their bytes, and the metrics it keeps are labelled by *route template* and
status only, so no customer id, query string or value ever reaches ``/metrics``.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.concurrency import run_in_threadpool

from piguard.api import problems
from piguard.nodestate.limits import Charge

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Paths never rate limited: probes and scrapers must see an overloaded server as it is.
EXEMPT = ("/healthz", "/readyz", "/metrics", "/console/static/")
#: Where the middleware leaves a bearer token's or API key's bucket key for the authentication
#: step to charge together with the principal's (see :meth:`RateLimiter.charge_principal`).
DEFERRED = "piguard.deferred_charge"
#: Paths whose bodies are bulk uploads, allowed the larger import limit.
BULK = ("/v1/import/",)
#: Only these methods get their own metrics label; anything else is "OTHER" (bounded cardinality).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", CSP.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


@dataclass(frozen=True, slots=True)
class Limits:
    """Request limits.

    :param max_body_bytes: largest request body on ordinary routes.
    :param max_import_bytes: largest body on bulk import routes.
    :param rate_per_second: sustained requests per second per principal (0 disables rate limiting).
    :param burst: bucket size: how many requests a principal may send at once after a pause.
    :param unauthenticated_per_minute: requests without a valid credential (none, an unknown
        token, a failed login) one address may send per minute before it gets 429; counted in
        the database by the account service, so it holds across workers (0 disables it).
    """

    max_body_bytes: int = 2 << 20
    max_import_bytes: int = 64 << 20
    rate_per_second: float = 50.0
    burst: int = 100
    unauthenticated_per_minute: int = 60

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Read ``PIGUARD_MAX_BODY_BYTES``, ``PIGUARD_MAX_IMPORT_BYTES``, ``PIGUARD_RATE_LIMIT`` and
        ``PIGUARD_RATE_BURST`` and ``PIGUARD_UNAUTHENTICATED_PER_MINUTE``; unset ones keep their
        defaults."""
        env = os.environ if environ is None else environ
        base = cls()
        return cls(
            max_body_bytes=int(env.get("PIGUARD_MAX_BODY_BYTES", base.max_body_bytes)),
            max_import_bytes=int(env.get("PIGUARD_MAX_IMPORT_BYTES", base.max_import_bytes)),
            rate_per_second=float(env.get("PIGUARD_RATE_LIMIT", base.rate_per_second)),
            burst=int(env.get("PIGUARD_RATE_BURST", base.burst)),
            unauthenticated_per_minute=int(
                env.get("PIGUARD_UNAUTHENTICATED_PER_MINUTE", base.unauthenticated_per_minute)
            ),
        )


class RateLimited(Exception):
    """Raised by :meth:`RateLimiter.charge` (mapped to a 429 problem with ``Retry-After``)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("rate limit exceeded")
        self.retry_after = retry_after


class BodyTooLarge(Exception):
    """The request body grew past the route's limit while being read (mapped to 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__("request body too large")
        self.limit = limit


class Buckets(Protocol):
    """What the limiter needs of :class:`piguard.nodestate.limits.TokenBuckets`."""

    def charge(self, key: str, cost: float = 1.0) -> Charge: ...

    def charge_many(self, keys: Sequence[str], cost: float = 1.0) -> list[Charge]: ...


class RateLimiter:
    """Token buckets in the database, one per key (a principal, a credential or an address).

    The buckets live in ``node_rate_buckets`` (:class:`piguard.nodestate.limits.TokenBuckets`,
    from ``Installation.node_state``), charged with one atomic upsert, so every ``piguard serve``
    process and machine on one database draws from the same bucket: a limit admits its
    requests in total, not per node.

    :param buckets: the shared buckets; ``None`` disables rate limiting.
    """

    def __init__(self, buckets: Buckets | None) -> None:
        self._buckets = buckets

    @property
    def enabled(self) -> bool:
        return self._buckets is not None

    def charge(self, key: str, cost: float = 1.0) -> None:
        """Take ``cost`` tokens from ``key``'s bucket.

        :raises RateLimited: the bucket is empty; ``retry_after`` says when it will not be.
        """
        if self._buckets is None:
            return
        outcome = self._buckets.charge(key, cost)
        if not outcome.admitted:
            raise RateLimited(outcome.retry_after)

    def charge_many(self, keys: Sequence[str], cost: float = 1.0) -> None:
        """Take ``cost`` tokens from each of ``keys``' buckets, in one transaction.

        :raises RateLimited: any of them is empty (``retry_after``: the longest wait).
        """
        if self._buckets is None or not keys:
            return
        refused = [c.retry_after for c in self._buckets.charge_many(keys, cost) if not c.admitted]
        if refused:
            raise RateLimited(max(refused))

    def charge_principal(self, scope: Scope, principal_key: str) -> None:
        """After authentication: the principal's bucket, with the credential's when the
        middleware left it for this moment (one write transaction for both).

        :raises RateLimited: either is empty.
        """
        state = scope.get("state")
        deferred = state.pop(DEFERRED, None) if isinstance(state, dict) else None
        self.charge_many([deferred, principal_key] if deferred else [principal_key])


class Metrics:
    """Prometheus metrics of one app, in their own registry (several apps may live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "piguard_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "piguard_http_request_duration_seconds",
            "Time to the last response byte, by method and route template.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
            registry=self.registry,
        )
        self.limited = Counter(
            "piguard_http_rate_limited",
            "Requests refused by the rate limiter.",
            registry=self.registry,
        )
        self.too_large = Counter(
            "piguard_http_body_too_large",
            "Requests refused for an oversized body.",
            registry=self.registry,
        )


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/v1/records/{record_type}/{record_id}``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return "<unmatched>"


def _bearer_or_key(scope: Scope) -> bool:
    return any(
        (name == b"authorization" and value[:7].lower() == b"bearer ") or name == b"x-api-key"
        for name, value in scope.get("headers", ())
    )


def credential_key(scope: Scope) -> str:
    """A bucket key for the request's credential, digested so no token sits in memory as a key."""
    token = b""
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            token = b"t" + value[7:].strip()
            break
        if name == b"x-api-key":
            token = b"k" + value.strip()
            break
        if name == b"cookie" and b"pg_session=" in value:
            token = b"s" + value.split(b"pg_session=", 1)[1].split(b";", 1)[0]
    if token:
        return "c:" + hashlib.blake2b(token, digest_size=12).hexdigest()
    client = scope.get("client")
    return "a:" + (str(client[0]) if client else "unknown")


class Hardening:
    """The ASGI middleware: metrics, security headers, body limits and per-credential rate limits.

    Per-*principal* limits are charged again after authentication (see
    :func:`piguard.api.app.current_actor`), with the same limiter, under the principal's id.
    """

    def __init__(self, app: ASGIApp, limits: Limits, limiter: RateLimiter, metrics: Metrics) -> None:
        self.app = app
        self.limits = limits
        self.limiter = limiter
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope.get("path", "")
        method = scope.get("method", "GET")
        tls = scope.get("scheme") == "https"
        static = path.startswith("/console/static/")
        status_holder = [500]
        started_reply = [False]

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                started_reply[0] = True
                status_holder[0] = int(message["status"])
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                for name, value in SECURITY_HEADERS:
                    if name not in present:
                        headers.append((name, value))
                if tls:
                    headers.append(HSTS)
                if b"cache-control" not in present:
                    # Data responses must never sit in a shared or browser cache.
                    headers.append((b"cache-control", b"private, max-age=3600" if static else b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            refusal = await self._refuse(scope, path)
            if refusal is not None:
                status, body, extra = refusal
                await self._reply(send_hardened, status, body, extra)
                return
            limit = self.limits.max_import_bytes if path.startswith(BULK) else self.limits.max_body_bytes
            try:
                await self.app(scope, _counting(receive, limit), send_hardened)
            except Exception as exc:
                # The last resort: whatever failed, and whatever the input held, the client gets
                # a problem document, never the server's plain-text 500. Only the exception's
                # type is logged, as its text may quote input (a codec error quotes the byte).
                if started_reply[0]:
                    raise
                problems.log.error("unhandled %s on %s %s", type(exc).__name__, method, route_template(scope))
                await self._reply(send_hardened, 500, problems.internal_problem(), [])
        finally:
            state = scope.get("state")
            left = state.pop(DEFERRED, None) if isinstance(state, dict) else None
            if left is not None:
                try:
                    await run_in_threadpool(self.limiter.charge, left)
                except RateLimited:
                    pass  # already answered; the next request with this credential is refused
            route = route_template(scope)
            label = method if method in METHODS else "OTHER"
            self.metrics.requests.labels(label, route, str(status_holder[0])).inc()
            self.metrics.latency.labels(label, route).observe(time.perf_counter() - started)

    async def _refuse(self, scope: Scope, path: str) -> tuple[int, bytes, list[tuple[bytes, bytes]]] | None:
        """A 413 or 429 answer decided before the app runs, or None to go on."""
        limit = self.limits.max_import_bytes if path.startswith(BULK) else self.limits.max_body_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return 400, problems.problem_bytes(400, "Bad request", "bad content-length", "http"), []
                if declared > limit:
                    self.metrics.too_large.inc()
                    return 413, _too_large_body(limit), []
        if not path.startswith(EXEMPT):
            try:
                key = credential_key(scope)
                if self.limiter.enabled and _bearer_or_key(scope):
                    # A bearer token or API key is charged with its principal once authenticated
                    # (one write transaction, not two); what no route authenticated is charged
                    # after the answer (below), so every request still counts.
                    scope.setdefault("state", {})[DEFERRED] = key
                elif self.limiter.enabled:
                    # The bucket is a database row: charged off the event loop.
                    await run_in_threadpool(self.limiter.charge, key)
            except RateLimited as exc:
                self.metrics.limited.inc()
                return (
                    429,
                    problems.problem_bytes(
                        429, "Too many requests", "rate limit exceeded: slow down", "rate_limited"
                    ),
                    [(b"retry-after", str(max(1, math.ceil(exc.retry_after))).encode())],
                )
        return None

    @staticmethod
    async def _reply(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
        headers = [
            (b"content-type", problems.MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _too_large_body(limit: int) -> bytes:
    detail = f"request body larger than {limit} bytes"
    return problems.problem_bytes(413, "Request too large", detail, "too_large")


def _counting(receive: Receive, limit: int) -> Receive:
    """Wrap ``receive`` to refuse a body (chunked or lying about its length) past ``limit`` bytes."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return wrapped
