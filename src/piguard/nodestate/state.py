"""The node-shared state of one installation, as the edges reach it (``Installation.node_state``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from piguard.clock import Clock
from piguard.nodestate.limits import TokenBuckets
from piguard.nodestate.sessions import Box, SessionStore
from piguard.store import Database


class NodeState:
    """Factories of the stores every node shares, over the installation's data database.

    :param db: the data database.
    :param box: the secret box sealing what console sessions keep (their API tokens, messages).
    """

    def __init__(self, db: Database, box: Box) -> None:
        self._db = db
        self._box = box

    def console_sessions(self, clock: Clock, idle_timeout: timedelta) -> SessionStore:
        """The console's session store (rows of ``node_console_sessions``)."""
        return SessionStore(clock, idle_timeout, db=self._db, box=self._box)

    def token_buckets(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.time
    ) -> TokenBuckets:
        """Rate-limit buckets (rows of ``node_rate_buckets``); ``rate`` must be > 0."""
        return TokenBuckets(self._db, rate, burst, clock=clock)
