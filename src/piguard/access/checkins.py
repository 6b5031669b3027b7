"""Hotel check-ins: the state a front desk's row scope rests on (issue 11, item 5).

Registering a stay proves nothing (anyone at the desk can type any customer id), so a stay
grants the ``active_stay`` scope only while it is *checked in*: the gate's ``stay_check_in``
sets that state once the guest's stated ID number matched the record, or a check-in grant a
second person approved was used up; ``stay_check_out`` ends it. The state lives in the data
database, so every process and node sees one answer.

Failed ID matches are counted per stay (the number tried is never stored). Once a customer's
stays together reach :data:`MAX_FAILED_MATCHES`, check-in by ID number is **locked** for that
customer: guessing ID numbers stops there, and only an approved check-in grant checks the guest
in (which also clears the count). Locking, not only alerting, because an alert arrives after the
guess that succeeded; and since a desk could spread its guesses over many guests, the monitoring
rule ``failed_check_ins`` (:mod:`piguard.audit.rules`) alerts on three refusals of one desk in
an hour.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from piguard.access.tables import stay_checkins
from piguard.clock import Clock
from piguard.errors import Conflict
from piguard.store import Database

#: Failed ID-number matches over a customer's stays after which check-in by ID number locks.
MAX_FAILED_MATCHES = 3

REGISTERED = "registered"
CHECKED_IN = "checked_in"
CHECKED_OUT = "checked_out"


@dataclass(frozen=True, slots=True)
class CheckIn:
    """One stay's check-in state, as stored."""

    stay_id: str
    customer_id: str
    status: str
    method: str | None
    failed_matches: int
    checked_in_at: datetime | None
    checked_out_at: datetime | None


class CheckInBook:
    """Reads and writes of ``access_stay_checkins`` (writes in the caller's transaction, so the
    change commits with its audit entry)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def get(self, stay_id: str, conn: Connection | None = None) -> CheckIn | None:
        query = select(stay_checkins).where(stay_checkins.c.stay_id == stay_id)
        if conn is not None:
            row = conn.execute(query).first()
        else:
            with self.db.read() as c:
                row = c.execute(query).first()
        if row is None:
            return None
        m = row._mapping
        return CheckIn(
            m["stay_id"],
            m["customer_id"],
            m["status"],
            m["method"],
            m["failed_matches"],
            m["checked_in_at"],
            m["checked_out_at"],
        )

    def checked_in(self, stay_ids: Collection[str]) -> set[str]:
        """Those of ``stay_ids`` checked in and not yet checked out."""
        if not stay_ids:
            return set()
        query = select(stay_checkins.c.stay_id).where(
            stay_checkins.c.stay_id.in_(list(stay_ids)), stay_checkins.c.status == CHECKED_IN
        )
        with self.db.read() as conn:
            return {r[0] for r in conn.execute(query)}

    def failed_matches(self, customer_id: str, conn: Connection | None = None) -> int:
        """Failed ID matches over all of ``customer_id``'s stays (a new stay does not reset them)."""
        query = select(func.coalesce(func.sum(stay_checkins.c.failed_matches), 0)).where(
            stay_checkins.c.customer_id == customer_id
        )
        if conn is not None:
            return int(conn.execute(query).scalar_one())
        with self.db.read() as c:
            return int(c.execute(query).scalar_one())

    def locked(self, customer_id: str, conn: Connection | None = None) -> bool:
        return self.failed_matches(customer_id, conn) >= MAX_FAILED_MATCHES

    def _ensure(self, conn: Connection, stay_id: str, customer_id: str) -> CheckIn:
        found = self.get(stay_id, conn)
        if found is not None:
            return found
        conn.execute(
            insert(stay_checkins).values(
                stay_id=stay_id,
                customer_id=customer_id,
                status=REGISTERED,
                failed_matches=0,
                updated_at=self.clock.now(),
            )
        )
        found = self.get(stay_id, conn)
        assert found is not None
        return found

    def note_failure(self, stay_id: str, customer_id: str) -> int:
        """Count one failed ID match on ``stay_id`` in its own transaction (it must survive the
        refusal that follows); returns the customer's total. Committed before the refusal is
        recorded, so a crash between them can over-count, never lose a failure."""
        with self.db.transaction() as conn:
            self._ensure(conn, stay_id, customer_id)
            conn.execute(
                update(stay_checkins)
                .where(stay_checkins.c.stay_id == stay_id)
                .values(failed_matches=stay_checkins.c.failed_matches + 1, updated_at=self.clock.now())
            )
            return self.failed_matches(customer_id, conn)

    def check_in(
        self,
        conn: Connection,
        stay_id: str,
        customer_id: str,
        *,
        method: str,
        by: str,
        grant_id: str | None = None,
    ) -> None:
        """Mark ``stay_id`` checked in. An approved check-in clears the customer's failed matches.

        :raises Conflict: already checked in, or checked out (a stay is checked in once).
        """
        state = self._ensure(conn, stay_id, customer_id)
        if state.status != REGISTERED:
            raise Conflict(f"the stay is already {state.status.replace('_', ' ')}")
        now = self.clock.now()
        conn.execute(
            update(stay_checkins)
            .where(stay_checkins.c.stay_id == stay_id)
            .values(
                status=CHECKED_IN,
                method=method,
                grant_id=grant_id,
                checked_in_at=now,
                checked_in_by=by,
                updated_at=now,
            )
        )
        if method == "approval":
            conn.execute(
                update(stay_checkins)
                .where(stay_checkins.c.customer_id == customer_id)
                .values(failed_matches=0, updated_at=now)
            )

    def check_out(self, conn: Connection, stay_id: str, *, by: str) -> None:
        """End ``stay_id``'s scope.

        :raises Conflict: the stay is not checked in.
        """
        state = self.get(stay_id, conn)
        if state is None or state.status != CHECKED_IN:
            raise Conflict("the stay is not checked in")
        now = self.clock.now()
        conn.execute(
            update(stay_checkins)
            .where(stay_checkins.c.stay_id == stay_id)
            .values(status=CHECKED_OUT, checked_out_at=now, checked_out_by=by, updated_at=now)
        )
