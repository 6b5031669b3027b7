"""Scheduled jobs with database leases: one run per due job, whichever node ticks.

Why leases in the database: two ``piguard serve`` processes (or machines) over one database
must not both run the retention sweep or send the same message twice, and a node that dies
mid-run must not hold its job forever. A node claims a due job with one conditional UPDATE
(due, and unleased or the lease expired); the database lets exactly one claimant win on SQLite
and PostgreSQL alike. The lease lasts ``lease`` (longer than a run should take); a run that
overruns may be taken over by another node, so jobs are written to be idempotent (the outbox
marks each message as it goes).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, or_, select, update

from piguard.clock import Clock, SystemClock
from piguard.errors import Conflict
from piguard.jobs.tables import job_leases
from piguard.store import Database

__all__ = ["Job", "JobRun", "JobRunner"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    """A job: its name, how often it runs, and what it does (``run(now)`` returns a count for the log)."""

    name: str
    every: timedelta
    run: Callable[[datetime], int]
    lease: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if self.every <= timedelta(0) or self.lease <= timedelta(0):
            raise ValueError(f"job {self.name!r}: period and lease must be positive")


@dataclass(frozen=True, slots=True)
class JobRun:
    """One run this node did: the job, its outcome (``ok`` or an error class) and its count."""

    name: str
    outcome: str
    count: int


class JobRunner:
    """The jobs of one installation, ticked by any number of nodes over one database."""

    def __init__(self, db: Database, tenant: str, *, clock: Clock | None = None, node: str | None = None):
        self._db = db
        self._tenant = tenant
        self._clock = clock or SystemClock()
        # A node id unique per process, readable by an operator (host and pid) and never reused.
        self.node = node or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._jobs: dict[str, Job] = {}

    def register(self, job: Job) -> None:
        """:raises ValueError: a job of that name is registered already."""
        if job.name in self._jobs:
            raise ValueError(f"job {job.name!r} is registered already")
        self._jobs[job.name] = job

    @property
    def jobs(self) -> tuple[Job, ...]:
        return tuple(self._jobs.values())

    def tick(self, *, only: str | None = None, force: bool = False) -> list[JobRun]:
        """Run every job that is due and that this node can claim; return what ran here.

        :param only: run just this job.
        :param force: run it even if not yet due (an operator's ``piguard jobs run``), still under
            the lease, so it never runs twice at once.
        :raises KeyError: ``only`` names no registered job.
        """
        names = [only] if only is not None else list(self._jobs)
        done: list[JobRun] = []
        for name in names:
            job = self._jobs[name]
            if self._claim(job, force=force):
                done.append(self._run(job))
        return done

    def status(self) -> list[dict[str, object]]:
        """The lease rows of this tenant, for ``piguard jobs list``."""
        with self._db.read() as conn:
            rows = conn.execute(
                select(job_leases).where(job_leases.c.tenant == self._tenant).order_by(job_leases.c.name)
            ).mappings()
            return [dict(row) for row in rows]

    def overview(self) -> list[dict[str, object]]:
        """Every registered job with its lease row (``piguard jobs list`` and the console's jobs page):
        its period, when it is next due, which node holds it and until when, how its last run ended."""
        leases = {row["name"]: row for row in self.status()}
        out: list[dict[str, object]] = []
        for job in self._jobs.values():
            row = leases.get(job.name, {})
            out.append(
                {
                    "name": job.name,
                    "every_seconds": int(job.every.total_seconds()),
                    "next_due": row.get("next_due"),
                    "held_by": row.get("owner"),
                    "lease_until": row.get("lease_until"),
                    "last_finished": row.get("last_finished"),
                    "last_outcome": row.get("last_outcome"),
                    "runs": row.get("runs", 0),
                }
            )
        return out

    # -- leases -------------------------------------------------------------------

    def _claim(self, job: Job, *, force: bool) -> bool:
        now = self._clock.now()
        self._ensure_row(job.name, now)
        t = job_leases.c
        free = or_(t.lease_until.is_(None), t.lease_until < now)
        condition = and_(t.tenant == self._tenant, t.name == job.name, free)
        if not force:
            condition = and_(condition, t.next_due <= now)
        with self._db.transaction() as conn:
            claimed = conn.execute(
                update(job_leases)
                .where(condition)
                .values(owner=self.node, lease_until=now + job.lease, last_started=now)
            ).rowcount
        return claimed == 1

    def _ensure_row(self, name: str, now: datetime) -> None:
        t = job_leases.c
        with self._db.read() as conn:
            exists = conn.execute(select(t.name).where(t.tenant == self._tenant, t.name == name)).first()
        if exists:
            return
        try:
            with self._db.transaction() as conn:
                conn.execute(insert(job_leases).values(tenant=self._tenant, name=name, next_due=now, runs=0))
        except Conflict:  # the store's word for a duplicate key
            pass  # another node created it first: the claim decides who runs

    def _run(self, job: Job) -> JobRun:
        started = self._clock.now()
        count = 0
        try:
            count = job.run(started)
            outcome = "ok"
        except Exception as exc:  # a failing job must not stop the others nor keep its lease
            outcome = type(exc).__name__
            log.warning("job %s failed: %s", job.name, outcome)
        finished = self._clock.now()
        t = job_leases.c
        with self._db.transaction() as conn:
            conn.execute(
                update(job_leases)
                .where(t.tenant == self._tenant, t.name == job.name, t.owner == self.node)
                .values(
                    owner=None,
                    lease_until=None,
                    last_finished=finished,
                    last_outcome=outcome,
                    next_due=started + job.every,
                    runs=t.runs + 1,
                )
            )
        return JobRun(job.name, outcome, count)
