"""The monitoring rules' windows and cooldowns in the database (issue 12, item 1).

The rules of :mod:`piguard.audit.rules` keep their logic; what they count lives here, in
``node_rule_events`` (events inside a sliding window, per rule and key) and
``node_rule_cooldowns`` (when a rule last fired for a key). Every node's monitor writes and
reads the same rows, so 25 reads on one node and 25 on another are 50 reads to
``mass_access``, and an alert fires once however many nodes see the threshold crossed (the
cooldown is claimed with one conditional upsert).

Rule evaluation of one delivered batch runs in one transaction (:meth:`DatabaseRuleState.batch`).
On SQLite that transaction holds the write lock from its start; on PostgreSQL it takes a
transaction-scoped advisory lock per namespace, so batches of two nodes are evaluated one
after the other and the later one sees the earlier one's events.

Keys and values are stored as BLAKE2b digests: the tables hold no principal name, customer
reference or field name in the clear.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from piguard.nodestate.tables import rule_cooldowns, rule_events
from piguard.store import Database


@dataclass(frozen=True, slots=True)
class Tally:
    """A window after an event was added: distinct values, summed weight, first entry's seq."""

    distinct: int
    total: int
    first_seq: int


def digest(value: object) -> str:
    """The stored form of a key or value (no clear identifiers in the tables)."""
    return hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _lock_id(namespace: str) -> int:
    raw = int.from_bytes(hashlib.blake2b(f"rules:{namespace}".encode(), digest_size=8).digest(), "big")
    return raw - (1 << 64) if raw >= 1 << 63 else raw


class DatabaseRuleState:
    """Windows and cooldowns of the rules of one trail (``namespace``: its tenant)."""

    def __init__(self, db: Database, namespace: str = "") -> None:
        self.db = db
        self.namespace = namespace
        self._local = threading.local()

    def _key(self, key: object) -> str:
        return digest((self.namespace, key))

    def _serialise(self, conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_id(self.namespace)})

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run the rules over one delivery in one transaction (opened on first use)."""
        if getattr(self._local, "stack", None) is not None:
            yield
            return
        with self._bound(None):
            yield

    @contextmanager
    def within(self, conn: Connection) -> Iterator[None]:
        """Run the rules' reads and writes inside ``conn``, a transaction the caller owns (the
        audit group commit's): serialised like :meth:`batch`, committed with the caller's."""
        if getattr(self._local, "stack", None) is not None:
            raise RuntimeError("rule state already bound to a transaction in this thread")
        self._serialise(conn)
        with self._bound(conn):
            yield

    @contextmanager
    def _bound(self, conn: Connection | None) -> Iterator[None]:
        # This thread's rule steps use ``conn`` (or the transaction the first of them opens).
        with ExitStack() as stack:
            self._local.stack, self._local.conn = stack, conn
            try:
                yield
            finally:
                self._local.stack, self._local.conn = None, None

    @contextmanager
    def _using(self) -> Iterator[Connection]:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        stack: ExitStack | None = getattr(self._local, "stack", None)
        if stack is not None:
            conn = stack.enter_context(self.db.transaction())
            self._serialise(conn)
            self._local.conn = conn
            yield conn
            return
        with self.db.transaction() as own:
            self._serialise(own)
            yield own

    def push(
        self,
        rule: str,
        key: object,
        when: datetime,
        seq: int,
        value: object,
        window: timedelta,
        weight: int = 1,
        cap: int | None = None,
    ) -> Tally:
        """Add an event to ``rule``'s window of ``key``; the window as every node sees it now
        (distinct values and weight counted up to ``cap``, see :class:`RuleState`)."""
        at = when.timestamp()
        since = at - window.total_seconds()
        k = self._key(key)
        with self._using() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(
                dialect.insert(rule_events)
                .values(rule=rule, key=k, seq=seq, at=at, value=digest(value), weight=weight)
                .on_conflict_do_nothing()
            )
            conn.execute(
                delete(rule_events).where(
                    rule_events.c.rule == rule, rule_events.c.key == k, rule_events.c.at <= since
                )
            )
            live = (rule_events.c.rule == rule, rule_events.c.key == k, rule_events.c.at > since)
            if cap is None:
                distinct, total, first = conn.execute(
                    select(
                        func.count(func.distinct(rule_events.c.value)),
                        func.coalesce(func.sum(rule_events.c.weight), 0),
                        func.min(rule_events.c.seq),
                    ).where(*live)
                ).one()
            else:
                # Bounded: the scan stops after ``cap`` distinct values / ``cap`` events (the
                # window's index), and the first event is the index's first row.
                # One statement (three scalar subqueries): each read runs this, and on PostgreSQL
                # every statement is a round trip.
                values = select(rule_events.c.value).where(*live).distinct().limit(cap).subquery()
                weights = (
                    select(rule_events.c.weight).where(*live).order_by(rule_events.c.at).limit(cap).subquery()
                )
                distinct, total, first = conn.execute(
                    select(
                        select(func.count()).select_from(values).scalar_subquery(),
                        select(func.coalesce(func.sum(weights.c.weight), 0)).scalar_subquery(),
                        select(rule_events.c.seq)
                        .where(*live)
                        .order_by(rule_events.c.at, rule_events.c.seq)
                        .limit(1)
                        .scalar_subquery(),
                    )
                ).one()
        return Tally(int(distinct), int(total), int(first if first is not None else seq))

    def claim(self, rule: str, key: object, when: datetime, period: timedelta) -> bool:
        """Fire ``rule`` for ``key`` if its cooldown has passed on every node; whether it fired."""
        at = when.timestamp()
        k = self._key(key)
        with self._using() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            row = conn.execute(
                dialect.insert(rule_cooldowns)
                .values(rule=rule, key=k, last_at=at)
                .on_conflict_do_update(
                    index_elements=[rule_cooldowns.c.rule, rule_cooldowns.c.key],
                    set_={"last_at": at},
                    where=rule_cooldowns.c.last_at <= at - period.total_seconds(),
                )
                .returning(rule_cooldowns.c.last_at)
            ).first()
        return row is not None
