"""Console sessions: an opaque cookie mapped, in the database, to the staff member's API session token.

(The console, :mod:`piguard.web`, reaches this store through ``Installation.node_state``.)

The cookie carries 256 random bits and nothing else; the store keeps only its SHA-256 as the
row's key, and the API token behind it sealed with the console's secret box (bound to that
key), so neither a memory dump nor a copy of the database yields usable cookies or tokens.
Each session has its own CSRF token and an idle deadline measured on the installation's clock
(tests move it instead of sleeping). Sessions live in ``node_console_sessions`` (issue 12,
item 1), so a session created on one node works on every other node of the installation. The
bearer token behind a session is re-checked by :meth:`AccessControl.authenticate` on every
request, so disabling a user ends their console session on the next click.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, func, select, update

from piguard.clock import Clock
from piguard.nodestate.tables import console_sessions
from piguard.store import Database

#: The secret box purpose sealing the API tokens behind console sessions.
BOX_PURPOSE = "console_session"


class Box(Protocol):
    """What the store needs of :class:`piguard.crypto.secretbox.SecretBox`."""

    def seal(self, text: str, context: str) -> str: ...

    def open(self, sealed: str, context: str) -> str: ...


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class ConsoleSession:
    """One signed-in staff member in one browser (a row of ``node_console_sessions``)."""

    token: str
    principal_id: str
    csrf: str
    last_seen: datetime
    flashes: list[tuple[str, str]] = field(default_factory=list)
    key: str = ""
    store: SessionStore | None = field(default=None, repr=False, compare=False)

    def flash(self, kind: str, message: str) -> None:
        """Queue a message for the next page (kept server-side, so never in a URL)."""
        self.flashes.append((kind, message))
        del self.flashes[:-5]
        if self.store is not None:
            self.store.save_flashes(self)

    def take_flashes(self) -> list[tuple[str, str]]:
        out, self.flashes = self.flashes, []
        if out and self.store is not None:
            self.store.save_flashes(self)
        return out


class SessionStore:
    """Sessions by cookie digest in the database, with an idle timeout.

    :param clock: the installation's clock.
    :param idle_timeout: a session unused this long is gone.
    :param db: the installation's data database (every node shares it).
    :param box: seals the API token behind each session.
    :param max_sessions: bound on the table; past it the longest-idle sessions go first.
    """

    def __init__(
        self,
        clock: Clock,
        idle_timeout: timedelta,
        *,
        db: Database,
        box: Box,
        max_sessions: int = 10_000,
    ) -> None:
        self.clock = clock
        self.idle_timeout = idle_timeout
        self.db = db
        self.box = box
        self.max_sessions = max_sessions

    def create(self, token: str, principal_id: str) -> tuple[str, ConsoleSession]:
        """A new session (always a new cookie: no fixation). Returns the cookie value and the session."""
        cookie = secrets.token_urlsafe(32)
        key = _digest(cookie)
        now = self.clock.now()
        session = ConsoleSession(token, principal_id, secrets.token_urlsafe(32), now, [], key, self)
        with self.db.transaction() as conn:
            conn.execute(
                delete(console_sessions).where(console_sessions.c.last_seen < now - self.idle_timeout)
            )
            count = int(conn.execute(select(func.count()).select_from(console_sessions)).scalar_one())
            if count >= self.max_sessions:
                oldest = (
                    select(console_sessions.c.id)
                    .order_by(console_sessions.c.last_seen)
                    .limit(count - self.max_sessions + 1)
                )
                conn.execute(
                    delete(console_sessions).where(console_sessions.c.id.in_(oldest.scalar_subquery()))
                )
            conn.execute(
                console_sessions.insert().values(
                    id=key,
                    principal_id=principal_id,
                    token=self.box.seal(token, key),
                    csrf=session.csrf,
                    last_seen=now,
                    flashes=self._seal_flashes(key, []),
                )
            )
        return cookie, session

    def get(self, cookie: str | None) -> tuple[ConsoleSession | None, bool]:
        """The live session of ``cookie`` (touched), and whether a session existed but had expired."""
        if not cookie:
            return None, False
        key = _digest(cookie)
        now = self.clock.now()
        with self.db.read() as conn:
            row = conn.execute(select(console_sessions).where(console_sessions.c.id == key)).first()
        if row is None:
            return None, False
        if now - row.last_seen > self.idle_timeout:
            with self.db.transaction() as conn:
                conn.execute(delete(console_sessions).where(console_sessions.c.id == key))
            return None, True
        if now > row.last_seen:
            # Touch: another node's request may touch it too; the later time wins.
            with self.db.transaction() as conn:
                conn.execute(
                    update(console_sessions)
                    .where(console_sessions.c.id == key, console_sessions.c.last_seen < now)
                    .values(last_seen=now)
                )
        flashes = [(str(k), str(m)) for k, m in json.loads(self.box.open(row.flashes, key + ":flashes"))]
        token = self.box.open(row.token, key)
        return ConsoleSession(token, row.principal_id, row.csrf, now, flashes, key, self), False

    def _seal_flashes(self, key: str, flashes: list[tuple[str, str]]) -> str:
        # Messages may quote what a staff member typed: sealed like the token, never plain.
        return self.box.seal(json.dumps(flashes, ensure_ascii=False), key + ":flashes")

    def save_flashes(self, session: ConsoleSession) -> None:
        """Store ``session``'s queued messages (the next page may be served by another node)."""
        with self.db.transaction() as conn:
            conn.execute(
                update(console_sessions)
                .where(console_sessions.c.id == session.key)
                .values(flashes=self._seal_flashes(session.key, session.flashes))
            )

    def drop(self, cookie: str | None) -> ConsoleSession | None:
        if not cookie:
            return None
        key = _digest(cookie)
        with self.db.transaction() as conn:
            row = conn.execute(select(console_sessions).where(console_sessions.c.id == key)).first()
            if row is None:
                return None
            conn.execute(delete(console_sessions).where(console_sessions.c.id == key))
        return ConsoleSession(
            self.box.open(row.token, key), row.principal_id, row.csrf, row.last_seen, [], key
        )

    def __len__(self) -> int:
        with self.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(console_sessions)).scalar_one())
