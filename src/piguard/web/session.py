"""Console sessions: an opaque cookie mapped, in memory, to the staff member's API session token.

The cookie carries 256 random bits and nothing else; the store keeps only its SHA-256, so a
memory dump does not yield usable cookies. Each session has its own CSRF token and an idle
deadline measured on the installation's clock (tests move it instead of sleeping). The
bearer token behind a session is re-checked by :meth:`AccessControl.authenticate` on every
request, so disabling a user ends their console session on the next click.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from piguard.clock import Clock

COOKIE = "pg_session"
PRELOGIN_COOKIE = "pg_prelogin"
LANG_COOKIE = "pg_lang"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string comparison (CSRF tokens)."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass(slots=True)
class ConsoleSession:
    """One signed-in staff member in one browser."""

    token: str
    principal_id: str
    csrf: str
    last_seen: datetime
    flashes: list[tuple[str, str]] = field(default_factory=list)

    def flash(self, kind: str, message: str) -> None:
        """Queue a message for the next page (kept server-side, so never in a URL)."""
        self.flashes.append((kind, message))
        del self.flashes[:-5]

    def take_flashes(self) -> list[tuple[str, str]]:
        out, self.flashes = self.flashes, []
        return out


class SessionStore:
    """Sessions by cookie digest, with an idle timeout.

    :param clock: the installation's clock.
    :param idle_timeout: a session unused this long is gone.
    :param max_sessions: bound on memory; the longest-idle sessions go first.
    """

    def __init__(self, clock: Clock, idle_timeout: timedelta, max_sessions: int = 10_000) -> None:
        self.clock = clock
        self.idle_timeout = idle_timeout
        self.max_sessions = max_sessions
        self._sessions: dict[str, ConsoleSession] = {}
        self._lock = threading.Lock()

    def create(self, token: str, principal_id: str) -> tuple[str, ConsoleSession]:
        """A new session (always a new cookie: no fixation). Returns the cookie value and the session."""
        cookie = secrets.token_urlsafe(32)
        session = ConsoleSession(token, principal_id, secrets.token_urlsafe(32), self.clock.now())
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                oldest = min(self._sessions, key=lambda k: self._sessions[k].last_seen)
                del self._sessions[oldest]
            self._sessions[_digest(cookie)] = session
        return cookie, session

    def get(self, cookie: str | None) -> tuple[ConsoleSession | None, bool]:
        """The live session of ``cookie`` (touched), and whether a session existed but had expired."""
        if not cookie:
            return None, False
        key = _digest(cookie)
        now = self.clock.now()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None, False
            if now - session.last_seen > self.idle_timeout:
                del self._sessions[key]
                return None, True
            session.last_seen = now
            return session, False

    def drop(self, cookie: str | None) -> ConsoleSession | None:
        if not cookie:
            return None
        with self._lock:
            return self._sessions.pop(_digest(cookie), None)

    def __len__(self) -> int:
        return len(self._sessions)
