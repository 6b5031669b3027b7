"""Quotas against harvesting (R-USE-3): distinct customers per hour, result sizes, export rows.

Limits come from the role in the catalog; a principal may carry tighter limits of its
own (never looser). The distinct-customer count is persisted, so it holds across CLI
invocations and API workers; repeated reads of a customer already counted in the
window do not touch the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple, overload

from sqlalchemy import delete, func, insert, select

from piguard.access.decision import BOOTSTRAP_ROLE
from piguard.access.tables import quota_reads
from piguard.catalog import Catalog
from piguard.clock import Clock
from piguard.errors import QuotaExceeded
from piguard.principal import Actor
from piguard.store import Database

WINDOW = timedelta(hours=1)
#: Bound on the in-process memo of (principal, customer) pairs already counted.
_MEMO_LIMIT = 100_000
#: Customer ids per ``IN`` list (well under SQLite's bound on host parameters).
_IN_CHUNK = 500


class Limits(NamedTuple):
    """A principal's own limits (``None``: the role's); they can only narrow the role's."""

    customers_per_hour: int | None = None
    max_results: int | None = None
    probes_per_hour: int | None = None


@overload
def tighter(a: int, b: int | None) -> int: ...
@overload
def tighter(a: int | None, b: int | None) -> int | None: ...
def tighter(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


class QuotaMeter:
    """Counts and limits what principals read."""

    def __init__(self, db: Database, catalog: Catalog, clock: Clock) -> None:
        self.db = db
        self.catalog = catalog
        self.clock = clock
        #: principal id -> its own (tighter) limits, filled at authentication.
        self.overrides: dict[str, Limits] = {}
        self._seen: dict[tuple[str, str], datetime] = {}

    def customers_per_hour(self, actor: Actor) -> int | None:
        role = self.catalog.roles.get(actor.role)
        limit = role.quotas.customers_per_hour if role else None
        return tighter(limit, self.overrides.get(actor.id, Limits()).customers_per_hour)

    def max_results(self, actor: Actor) -> int | None:
        role = self.catalog.roles.get(actor.role)
        limit = role.quotas.max_results if role else None
        return tighter(limit, self.overrides.get(actor.id, Limits()).max_results)

    def max_export_rows(self, actor: Actor) -> int | None:
        role = self.catalog.roles.get(actor.role)
        return role.quotas.max_export_rows if role else None

    def check_results(self, actor: Actor, wanted: int, what: str) -> None:
        """Refuse a search or list asking for (or producing) more than the role's ``max_results``.

        :raises QuotaExceeded: naming the limit.
        """
        limit = self.max_results(actor)
        if limit is not None and wanted > limit:
            raise QuotaExceeded(
                f"{what} of {wanted} results exceeds the limit of {limit} for role '{actor.role}' (R-USE-3)",
                f"roles.{actor.role}.quotas.max_results",
            )

    def note_customers(self, actor: Actor, customer_ids: Iterable[str]) -> None:
        """Count ``customer_ids`` as read by ``actor`` now; refuse if that exceeds the hourly limit.

        All or nothing: if the new customers do not all fit, none is counted.

        :raises QuotaExceeded: over ``customers_per_hour``.
        """
        limit = self.customers_per_hour(actor)
        if limit is None or actor.role == BOOTSTRAP_ROLE:
            return
        now = self.clock.now()
        since = now - WINDOW
        fresh = {c for c in customer_ids if not (since < self._seen.get((actor.id, c), since) <= now)}
        if not fresh:
            return
        with self.db.transaction() as conn:
            conn.execute(
                delete(quota_reads).where(
                    quota_reads.c.principal_id == actor.id, quota_reads.c.read_at <= since
                )
            )
            # Which of the fresh ones are counted already (by the primary key, bounded by the
            # request), and how many the window holds (an index range count): never the whole
            # window into memory, which made each read cost O(customers read this hour).
            window = (quota_reads.c.principal_id == actor.id, quota_reads.c.read_at > since)
            ordered = sorted(fresh)
            counted: set[str] = set()
            for i in range(0, len(ordered), _IN_CHUNK):
                counted.update(
                    conn.execute(
                        select(quota_reads.c.customer_id)
                        .where(*window, quota_reads.c.customer_id.in_(ordered[i : i + _IN_CHUNK]))
                        .distinct()
                    ).scalars()
                )
            new = fresh - counted
            # A row per customer first read in the window, so the rows are the distinct customers
            # (two nodes racing on one customer may both write it: that counts it twice, erring
            # towards refusal, never past the limit).
            held = conn.execute(select(func.count()).select_from(quota_reads).where(*window)).scalar_one()
            if int(held) + len(new) > limit:
                raise QuotaExceeded(
                    f"quota reached: at most {limit} distinct customers per hour for role '{actor.role}' "
                    "(R-USE-3); wait or ask for a higher limit",
                    f"roles.{actor.role}.quotas.customers_per_hour",
                )
            if new:
                conn.execute(
                    insert(quota_reads),
                    [
                        {"principal_id": actor.id, "customer_id": c, "read_at": now, "role": actor.role}
                        for c in new
                    ],
                )
        if len(self._seen) > _MEMO_LIMIT:
            self._seen.clear()
        # Only rows written now are memoised: a customer counted earlier has an earlier (unknown
        # here) time, and memoising it as now would let it outlive its row and escape the count.
        for c in new:
            self._seen[(actor.id, c)] = now

    def used(self, actor_id: str) -> int:
        """Distinct customers ``actor_id`` read in the current window."""
        since = self.clock.now() - WINDOW
        with self.db.read() as conn:
            count = conn.execute(
                select(func.count(func.distinct(quota_reads.c.customer_id))).where(
                    quota_reads.c.principal_id == actor_id, quota_reads.c.read_at > since
                )
            ).scalar_one()
        return int(count)
