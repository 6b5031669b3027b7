"""The probe budget: exact-match oracles on masked fields (issue 11, items 2 and 17; R-USE-3).

An exact search, or a yes/no match check, on a field the caller sees only masked answers a
question about the hidden value. Repeated over the masked digits of ``139****4865`` it recovers
the mobile: such an oracle is a read of that field. So every such question is a **probe** of
``record_type.field`` and costs one unit of the caller's hourly budget for that field, hit or
miss (the distinct-customer quota alone never trips: the same customer keeps coming back).

Misses are what an enumeration looks like. The running count of misses on the field is handed
back to the gate, which flags the audit entry once it passes ``probe_alert_misses`` (the
``masked_probing`` rule alerts) and ``probe_freeze_misses`` (``masked_enumeration`` freezes the
principal); from the freeze threshold on, every further probe of that field is refused here too,
whether or not the freeze has been applied yet.

Limits come from the role's catalog quotas (never unlimited: a role without them gets the
model's defaults), tighter per principal. Probes are rows of ``access_probes`` counted over the
last hour inside one write transaction (SQLite's write lock, a PostgreSQL advisory lock per
principal and field), so two processes on one home enforce one budget.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, case, delete, func, insert, select, text

from piguard.access.quotas import WINDOW, QuotaMeter, tighter
from piguard.access.tables import probes
from piguard.catalog import Quotas
from piguard.clock import Clock
from piguard.errors import QuotaExceeded
from piguard.principal import Actor
from piguard.store import Database

#: The window of the budget and of the miss thresholds (the quota's hour).
PROBE_WINDOW: timedelta = WINDOW


@dataclass(frozen=True, slots=True)
class ProbeTally:
    """One charged probe and where the caller now stands on that field, this hour."""

    probes: int
    misses: int
    alert: bool
    freeze: bool


class ProbeBudget:
    """Charges probes against ``probes_per_hour`` per (principal, field), in the database."""

    def __init__(self, db: Database, quotas: QuotaMeter, clock: Clock) -> None:
        self.db = db
        self.quotas = quotas
        self.clock = clock

    def limits(self, actor: Actor) -> Quotas:
        """The actor's probe limits: the role's, narrowed by the principal's own budget."""
        role = self.quotas.catalog.roles.get(actor.role)
        limits = role.quotas if role is not None else Quotas()
        own = self.quotas.overrides.get(actor.id)
        per_hour = tighter(limits.probes_per_hour, own.probes_per_hour if own else None)
        return limits.model_copy(update={"probes_per_hour": per_hour})

    def check(self, actor: Actor, target: str) -> None:
        """Refuse at once if ``target``'s budget is already spent (a read; :meth:`charge` decides).
        A refused caller costs no search: an attacker's thousands of tries stay cheap to refuse.

        :raises QuotaExceeded: as :meth:`charge`.
        """
        with self.db.read() as conn:
            count, missed = self._count(conn, actor.id, target)
        self._refuse_if_spent(actor, target, self.limits(actor), count, missed)

    def charge(self, actor: Actor, target: str, *, hit: bool) -> ProbeTally:
        """Count one probe of ``target`` (``record_type.field``) by ``actor`` now.

        :raises QuotaExceeded: the budget for ``target`` is spent this hour, or its misses reached
            the freeze threshold; nothing is counted and the caller gets no answer.
        """
        limits = self.limits(actor)
        now = self.clock.now()
        with self.db.transaction() as conn:
            self._serialise(conn, actor.id, target)
            conn.execute(
                delete(probes).where(
                    probes.c.principal_id == actor.id, probes.c.probed_at <= now - PROBE_WINDOW
                )
            )
            count, missed = self._count(conn, actor.id, target)
            self._refuse_if_spent(actor, target, limits, count, missed)
            conn.execute(
                insert(probes).values(
                    id=secrets.token_hex(12), principal_id=actor.id, target=target, probed_at=now, hit=hit
                )
            )
        misses = missed + (0 if hit else 1)
        return ProbeTally(
            probes=count + 1,
            misses=misses,
            alert=misses >= limits.probe_alert_misses,
            freeze=misses >= limits.probe_freeze_misses,
        )

    def _count(self, conn: Connection, principal_id: str, target: str) -> tuple[int, int]:
        """Probes and misses of ``target`` by the principal over the last hour."""
        count, missed = conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((probes.c.hit.is_(False), 1), else_=0)), 0),
            ).where(
                probes.c.principal_id == principal_id,
                probes.c.target == target,
                probes.c.probed_at > self.clock.now() - PROBE_WINDOW,
            )
        ).one()
        return int(count), int(missed)

    @staticmethod
    def _refuse_if_spent(actor: Actor, target: str, limits: Quotas, count: int, missed: int) -> None:
        if missed >= limits.probe_freeze_misses:
            raise QuotaExceeded(
                f"field '{target}' is closed to role '{actor.role}' for the hour: {missed} misses look "
                "like an enumeration of a masked value (issue 11)",
                f"roles.{actor.role}.quotas.probe_freeze_misses",
            )
        if count >= limits.probes_per_hour:
            raise QuotaExceeded(
                f"probe budget spent: at most {limits.probes_per_hour} exact searches or match checks "
                f"per hour on field '{target}', which role '{actor.role}' sees only masked (R-USE-3); "
                "wait, or ask someone who sees it in clear",
                f"roles.{actor.role}.quotas.probes_per_hour",
            )

    @staticmethod
    def _serialise(conn: Connection, principal_id: str, target: str) -> None:
        """Make count-then-insert atomic per (principal, field). SQLite's ``BEGIN IMMEDIATE``
        already holds the write lock; PostgreSQL needs a transaction-scoped advisory lock."""
        if conn.dialect.name != "postgresql":
            return
        digest = hashlib.blake2b(f"probe\x00{principal_id}\x00{target}".encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def used(self, actor_id: str, target: str) -> int:
        """Probes of ``target`` by ``actor_id`` in the current window."""
        since = self.clock.now() - PROBE_WINDOW
        with self.db.read() as conn:
            count = conn.execute(
                select(func.count()).where(
                    probes.c.principal_id == actor_id, probes.c.target == target, probes.c.probed_at > since
                )
            ).scalar_one()
        return int(count)
