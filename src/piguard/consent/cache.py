"""Per-process cache of consent states, kept coherent through a database watermark.

Every ledger change bumps a per-tenant counter (``consent_watermark``) in the same
transaction. Before a cached state is used the counter is read again over one held
connection; if another process changed anything, the whole cache is dropped. A change
made by this process drops only the customer it touched. So a withdrawal recorded by
the CLI stops reads in a running API server from its next request on (R-COL-6).

``revalidate_interval`` > 0 trades that for speed: the counter is then read at most
once per interval, so another process's change may take that long to be seen here
(changes made through this process are still seen at once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

from piguard.errors import StorageError

V = TypeVar("V")

_SQL = "SELECT value FROM consent_watermark WHERE tenant = {p}"


#: Caches already synced in the running gate operation (see :meth:`CoherentCache.operation`).
_SYNCED: ContextVar[set[int] | None] = ContextVar("piguard_consent_synced", default=None)


class CoherentCache(Generic[V]):
    """A bounded map of customer id -> state, dropped whenever the watermark moves elsewhere."""

    def __init__(
        self, engine: Engine, tenant: str, *, revalidate_interval: float = 0.0, max_entries: int = 200_000
    ):
        self._engine = engine
        self._tenant = tenant
        self._interval = revalidate_interval
        self._max = max_entries
        self._lock = threading.Lock()
        self._db_lock = threading.Lock()
        self._states: dict[str, V] = {}
        self._shared: dict[str, Any] = {}
        self._seen: int | None = None
        self._checked = 0.0
        self._generation = 0
        self._raw: Any = None
        self._sql = _SQL.format(p="%s" if engine.dialect.name == "postgresql" else "?")

    # -- coherence -----------------------------------------------------------------

    def _read_watermark(self) -> int:
        with self._db_lock:
            try:
                if self._raw is None:
                    raw = self._engine.raw_connection()
                    if self._engine.dialect.name == "postgresql":
                        # Each SELECT must see the latest commit, and never leave a transaction open.
                        raw.driver_connection.autocommit = True  # type: ignore[union-attr]
                    self._raw = raw
                cursor = self._raw.cursor()
                try:
                    cursor.execute(self._sql, (self._tenant,))
                    row = cursor.fetchone()
                finally:
                    cursor.close()
            except Exception as exc:
                # Fail closed: without a current watermark no cached consent may be trusted.
                self._close_raw()
                raise StorageError(f"consent watermark read failed ({type(exc).__name__})") from None
        return int(row[0]) if row else 0

    @contextmanager
    def operation(self) -> Iterator[None]:
        """One consistent look per gate operation: inside the block the watermark is read once
        (at the first :meth:`sync`), so the operation's consent check, minor flag and decisions
        see one snapshot, and cost one round trip instead of one per look. The next operation,
        in any process, reads it again: exactness across processes is per operation."""
        token = _SYNCED.set(set())
        try:
            yield
        finally:
            _SYNCED.reset(token)

    def sync(self) -> None:
        """Drop everything if another process changed the ledger since the last look."""
        synced = _SYNCED.get()
        if synced is not None and id(self) in synced:
            return
        if self._interval > 0 and time.monotonic() - self._checked < self._interval:
            return
        value = self._read_watermark()
        if synced is not None:
            synced.add(id(self))
        with self._lock:
            self._checked = time.monotonic()
            if value != self._seen:
                self._states.clear()
                self._shared.clear()
                self._generation += 1
                self._seen = value

    def changed(self, customer_ids: Sequence[str] | None, new_value: int) -> None:
        """Record that this process committed a change (bumping the watermark to ``new_value``).

        :param customer_ids: whom it touched; ``None`` = anything (notices, jobs).
        """
        with self._lock:
            self._generation += 1
            if customer_ids is not None and self._seen == new_value - 1:
                for cid in customer_ids:
                    self._states.pop(cid, None)
            else:
                self._states.clear()
                self._shared.clear()
            self._seen = new_value

    # -- entries -------------------------------------------------------------------

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, key: str) -> V | None:
        return self._states.get(key)

    def put(self, key: str, value: V, generation: int) -> None:
        """Cache ``value`` unless something changed since ``generation`` was read (then it may be stale)."""
        with self._lock:
            if generation != self._generation:
                return
            if len(self._states) >= self._max:
                self._states.pop(next(iter(self._states)))
            self._states[key] = value

    def shared(self, key: str) -> Any:
        """Installation-wide cached values (the notices), dropped with the states."""
        return self._shared.get(key)

    def put_shared(self, key: str, value: Any, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._shared[key] = value

    def _close_raw(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            try:
                raw.close()
            except Exception:  # noqa: S110 - closing a broken connection; nothing else to do
                pass

    def close(self) -> None:
        with self._db_lock:
            self._close_raw()
