"""Counters against authentication abuse, kept in the database (R-USE-1; issue 11, item 10).

Two rules, both counted in fixed windows of ``access_auth_counters`` so that every API
worker, console and CLI process sees one count (nothing lives in one process's memory):

- **Back-off per (account, address).** Failed logins and failed step-ups of one login name
  from one address count together. From ``max_failures`` on, that pair must wait
  ``backoff_base * 2 ** (failures - max_failures)`` (at most ``backoff_cap``) after its last
  failure before the next attempt is even checked. Another address is not affected, so
  nobody can lock somebody else out, and an unknown name backs off exactly like a known
  one, so the answers tell no account apart. Failures are summed over the current and the
  previous ``failure_window``, so a window boundary does not wipe the count.
- **Unauthenticated requests per address.** Every request refused for want of a valid
  credential (none, a random bearer token, a wrong key, a failed login) counts against its
  address; past ``unauthenticated_per_minute`` in a minute the address gets
  :class:`~piguard.errors.TooManyAttempts` (HTTP 429). Requests that do authenticate are
  not counted, so a valid user behind the same address keeps working.

Keys are BLAKE2b digests of scope, name and address: no raw address or token is stored.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from piguard.access.tables import auth_counters
from piguard.clock import Clock
from piguard.errors import TooManyAttempts
from piguard.store import Database

#: Scope of failed logins and step-ups, per (account, address).
FAILURES = "auth_failure"
#: Scope of unauthenticated or failed-authentication requests, per address.
UNAUTHENTICATED = "unauthenticated"
#: The address of callers that have none (the CLI, in-process callers).
LOCAL = "local"
_MINUTE = 60


class ThrottleSettings(Protocol):
    """What the throttle reads of the access context, at each call (tests change them)."""

    db: Database
    clock: Clock
    max_failures: int
    backoff_base: timedelta
    backoff_cap: timedelta
    failure_window: timedelta
    unauthenticated_per_minute: int


@dataclass(frozen=True, slots=True)
class Failures:
    """Failed attempts of one (account, address) pair, and how long it must wait now."""

    count: int
    wait_seconds: float

    @property
    def blocked(self) -> bool:
        return self.wait_seconds > 0


def _key(scope: str, account: str | None, address: str | None) -> str:
    material = "\x00".join((scope, account or "", address or LOCAL)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(material, digest_size=16).hexdigest()


def _start(now: datetime, seconds: int) -> int:
    return int(now.timestamp()) // seconds * seconds


class AuthThrottle:
    """Failure back-off and the unauthenticated budget, over ``access_auth_counters``."""

    def __init__(self, settings: ThrottleSettings) -> None:
        self.settings = settings

    # ------------------------------------------------------------------ counting

    @staticmethod
    def _bump(conn: Connection, scope: str, key: str, start: int, now: datetime, account: str | None) -> int:
        """Add one to the (scope, key, window) counter in ``conn``'s transaction; its new count."""
        values = {
            "scope": scope,
            "key": key,
            "window_start": start,
            "count": 1,
            "last_at": now,
            "account": account,
        }
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        # One statement either way: of two concurrent first failures both are counted.
        stmt = (
            dialect.insert(auth_counters)
            .values(**values)
            .on_conflict_do_update(
                index_elements=[auth_counters.c.scope, auth_counters.c.key, auth_counters.c.window_start],
                set_={"count": auth_counters.c.count + 1, "last_at": now},
            )
        )
        conn.execute(stmt)
        count = conn.execute(
            select(auth_counters.c.count).where(
                auth_counters.c.scope == scope,
                auth_counters.c.key == key,
                auth_counters.c.window_start == start,
            )
        ).scalar_one()
        return int(count)

    # ------------------------------------------------------------------ back-off

    def _failure_window(self) -> int:
        return max(_MINUTE, int(self.settings.failure_window.total_seconds()))

    def _wait(self, count: int, last_at: datetime, now: datetime) -> float:
        s = self.settings
        if count < s.max_failures:
            return 0.0
        # 2 ** n overflows timedelta long before the cap matters: compare in seconds.
        exponent = min(count - s.max_failures, 32)
        wait = min(s.backoff_cap.total_seconds(), s.backoff_base.total_seconds() * float(2**exponent))
        return max(0.0, wait - (now - last_at).total_seconds())

    def failures(self, account: str, address: str | None, conn: Connection | None = None) -> Failures:
        """The pair's failures over this and the previous window, and the wait still due."""
        now = self.settings.clock.now()
        window = self._failure_window()
        start = _start(now, window)
        query = select(
            func.coalesce(func.sum(auth_counters.c.count), 0), func.max(auth_counters.c.last_at)
        ).where(
            auth_counters.c.scope == FAILURES,
            auth_counters.c.key == _key(FAILURES, account, address),
            auth_counters.c.window_start >= start - window,
        )
        if conn is not None:
            count, last_at = conn.execute(query).one()
        else:
            with self.settings.db.read() as own:
                count, last_at = own.execute(query).one()
        count = int(count)
        if last_at is None:
            return Failures(count, 0.0)
        return Failures(count, self._wait(count, last_at, now))

    def note_failure(self, conn: Connection, account: str, address: str | None) -> Failures:
        """Count one failed login or step-up of ``account`` from ``address`` in ``conn``'s transaction."""
        now = self.settings.clock.now()
        window = self._failure_window()
        start = _start(now, window)
        key = _key(FAILURES, account, address)
        if self._bump(conn, FAILURES, key, start, now, account[:64]) == 1:
            # A new window for this pair: windows no rule reads any more go, for every pair (names
            # tried once by a guesser would stay forever otherwise); once per pair and window.
            conn.execute(
                delete(auth_counters).where(
                    auth_counters.c.scope == FAILURES, auth_counters.c.window_start < start - window
                )
            )
        return self.failures(account, address, conn)

    def clear(self, conn: Connection, account: str, address: str | None) -> None:
        """Forget the pair's failures (a successful login or step-up from that address)."""
        conn.execute(
            delete(auth_counters).where(
                auth_counters.c.scope == FAILURES, auth_counters.c.key == _key(FAILURES, account, address)
            )
        )

    def clear_account(self, conn: Connection, account: str) -> int:
        """Forget the failures of ``account`` from every address (an administrator's unlock)."""
        result = conn.execute(
            delete(auth_counters).where(auth_counters.c.scope == FAILURES, auth_counters.c.account == account)
        )
        return int(result.rowcount or 0)

    def backed_off(self, account: str) -> bool:
        """Whether some address must currently wait before trying ``account`` again."""
        now = self.settings.clock.now()
        window = self._failure_window()
        query = (
            select(auth_counters.c.key, func.sum(auth_counters.c.count), func.max(auth_counters.c.last_at))
            .where(
                auth_counters.c.scope == FAILURES,
                auth_counters.c.account == account,
                auth_counters.c.window_start >= _start(now, window) - window,
            )
            .group_by(auth_counters.c.key)
        )
        with self.settings.db.read() as conn:
            rows = list(conn.execute(query))
        return any(self._wait(int(count), last_at, now) > 0 for _, count, last_at in rows)

    # ------------------------------------------------------------------ unauthenticated requests

    def charge_unauthenticated(self, address: str | None, limit: int | None = None) -> None:
        """Count one unauthenticated or failed-authentication request from ``address``.

        :param limit: requests per minute (default: the context's ``unauthenticated_per_minute``;
            0 or less disables the limit).
        :raises TooManyAttempts: the address is over its budget for this minute.
        """
        per_minute = self.settings.unauthenticated_per_minute if limit is None else limit
        if per_minute <= 0:
            return
        now = self.settings.clock.now()
        start = _start(now, _MINUTE)
        key = _key(UNAUTHENTICATED, None, address)
        retry = max(1.0, math.ceil(start + _MINUTE - now.timestamp()))
        refusal = TooManyAttempts(
            "too many unauthenticated or failed requests from this address: wait and try again", retry
        )
        with self.settings.db.read() as conn:
            seen = conn.execute(
                select(auth_counters.c.count).where(
                    auth_counters.c.scope == UNAUTHENTICATED,
                    auth_counters.c.key == key,
                    auth_counters.c.window_start == start,
                )
            ).scalar()
        if seen is not None and seen >= per_minute:
            # Already over: refused without a write, so a flood does not queue on the write lock.
            raise refusal
        with self.settings.db.transaction() as conn:
            count = self._bump(conn, UNAUTHENTICATED, key, start, now, None)
            if count == 1:
                # A new minute for this address: windows no rule reads any more go (once per
                # address and minute, so the pruning stays off the hot path).
                conn.execute(
                    delete(auth_counters).where(
                        auth_counters.c.scope == UNAUTHENTICATED, auth_counters.c.window_start < start
                    )
                )
        if count > per_minute:
            raise refusal
