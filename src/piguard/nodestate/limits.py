"""Rate-limit token buckets in the database, shared by every node (issue 12, item 1).

A bucket holds ``burst`` tokens and refills at ``rate`` tokens a second; a request takes one.
Each charge is **one statement**, atomic on SQLite and PostgreSQL alike::

    INSERT INTO node_rate_buckets (key, tokens, at, admitted) VALUES (:key, :burst - :cost, :now, 1)
    ON CONFLICT (key) DO UPDATE SET tokens = <refilled - cost, or refilled if short>,
                                    admitted = <refilled >= cost>, at = :now
    RETURNING tokens, admitted

so N requests split over any number of processes or machines take N tokens from one bucket:
a limit of R requests admits R in total, never R per node. Times are wall-clock epoch seconds
(every node must read the same clock: run NTP); a clock that runs backwards refills nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, delete, literal
from sqlalchemy.dialects import postgresql, sqlite

from piguard.nodestate.tables import rate_buckets
from piguard.store import Database

#: One charge in this many also removes buckets that are full again (they hold nothing).
PRUNE_EVERY = 1000


@dataclass(frozen=True, slots=True)
class Charge:
    """The outcome of one charge: admitted or not, tokens left, seconds until ``cost`` is available."""

    admitted: bool
    tokens: float
    retry_after: float


class TokenBuckets:
    """Token buckets in ``node_rate_buckets``.

    :param db: the data database every node shares.
    :param rate: tokens added per second (must be > 0).
    :param burst: bucket size.
    :param clock: wall-clock seconds (``time.time``; tests pass their own).
    """

    def __init__(
        self, db: Database, rate: float, burst: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.db = db
        self.rate = rate
        self.burst = max(1, burst)
        self.clock = clock
        self._charges = 0

    def _refilled(self, now: float) -> ColumnElement[float]:
        elapsed = case((rate_buckets.c.at < now, literal(now) - rate_buckets.c.at), else_=literal(0.0))
        filled = rate_buckets.c.tokens + elapsed * self.rate
        return case((filled > float(self.burst), literal(float(self.burst))), else_=filled)

    def charge(self, key: str, cost: float = 1.0) -> Charge:
        """Take ``cost`` tokens from ``key``'s bucket if it holds them; never waits for them."""
        return self.charge_many([key], cost)[0]

    def charge_many(self, keys: Sequence[str], cost: float = 1.0) -> list[Charge]:
        """Charge several buckets (a credential's and its principal's) in one write transaction and
        one atomic upsert, each bucket as :meth:`charge` would (the HTTP read path paid a second
        write transaction, then a second statement, for the second bucket)."""
        now = float(self.clock())
        refilled = self._refilled(now)
        out: list[Charge] = []
        with self.db.transaction() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            # One multi-row upsert for distinct keys (a statement is a round trip on PostgreSQL);
            # one row is never updated twice by one statement, so repeated keys go one by one.
            groups = [list(keys)] if len(set(keys)) == len(keys) else [[key] for key in keys]
            for group in groups:
                stmt = (
                    dialect.insert(rate_buckets)
                    .values(
                        [
                            {"key": k, "tokens": float(self.burst) - cost, "at": now, "admitted": 1}
                            for k in group
                        ]
                    )
                    .on_conflict_do_update(
                        index_elements=[rate_buckets.c.key],
                        set_={
                            "tokens": case((refilled >= cost, refilled - cost), else_=refilled),
                            "admitted": case((refilled >= cost, 1), else_=0),
                            "at": now,
                        },
                    )
                    .returning(rate_buckets.c.key, rate_buckets.c.tokens, rate_buckets.c.admitted)
                )
                # RETURNING's row order is not promised: matched by key.
                rows = {key: (float(tokens), admitted) for key, tokens, admitted in conn.execute(stmt)}
                for key in group:
                    tokens, admitted = rows[key]
                    out.append(
                        Charge(True, tokens, 0.0)
                        if admitted
                        else Charge(False, tokens, (cost - tokens) / self.rate)
                    )
                    self._charges += 1
                    if self._charges % PRUNE_EVERY == 0:
                        # A bucket untouched for burst / rate seconds is full again: the row says nothing.
                        conn.execute(
                            delete(rate_buckets).where(rate_buckets.c.at < now - self.burst / self.rate)
                        )
        return out
