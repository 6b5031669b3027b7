"""Training records and signed confidentiality agreements, and the gate they feed (R-TRN-1).

A staff member may see customer data in clear, or sensitive data at all, only with a
signed confidentiality agreement on record and a training course still valid today.
A course without ``valid_until`` is valid for one year from completion (GB/T 35273 11.6:
yearly training).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from piguard.access.credentials import new_id
from piguard.access.tables import training
from piguard.calendar import LOCAL_TZ, local_today
from piguard.clock import Clock
from piguard.errors import ValidationError
from piguard.store import Database

#: ``LOCAL_TZ`` is re-exported for callers that still import it from here (the gate);
#: its one definition is :data:`piguard.calendar.LOCAL_TZ`.
__all__ = ["DEFAULT_VALIDITY", "KINDS", "LOCAL_TZ", "TrainingBook", "TrainingStatus"]

KINDS = frozenset({"course", "agreement"})
DEFAULT_VALIDITY = timedelta(days=365)
#: Training status is re-read at least this often (and whenever a record is added here).
_CACHE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class TrainingStatus:
    """Whether a principal may see clear or sensitive data, and if not, why (in words)."""

    ok: bool
    reason: str | None
    course_valid_until: date | None
    agreement_signed_on: date | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "course_valid_until": self.course_valid_until.isoformat() if self.course_valid_until else None,
            "agreement_signed_on": self.agreement_signed_on.isoformat() if self.agreement_signed_on else None,
        }


def _row_dict(row: Mapping[Any, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in ("completed_on", "valid_until", "recorded_at"):
        if out[key] is not None:
            out[key] = out[key].isoformat()
    return out


class TrainingBook:
    """Stores training records and answers :meth:`status`."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._cache: dict[str, tuple[datetime, TrainingStatus]] = {}

    def today(self) -> date:
        # Training dates are calendar dates where the staff work: Beijing time.
        return local_today(self.clock)

    def record(
        self,
        principal_id: str,
        *,
        kind: str,
        course: str,
        completed_on: date,
        recorded_by: str,
        score: int | None = None,
        valid_until: date | None = None,
    ) -> dict[str, Any]:
        """Add one record. ``kind`` is ``course`` or ``agreement`` (then ``course`` names the document).

        :raises ValidationError: unknown kind, empty course, a date in the future, or
            ``valid_until`` before ``completed_on``.
        """
        if kind not in KINDS:
            raise ValidationError("must be 'course' or 'agreement'", "kind")
        if not course.strip() or len(course) > 128:
            raise ValidationError("must be 1 to 128 characters", "course")
        if completed_on > self.today():
            raise ValidationError("must not be in the future", "completed_on")
        if valid_until is not None and valid_until < completed_on:
            raise ValidationError("must not be before completed_on", "valid_until")
        if score is not None and not 0 <= score <= 100:
            raise ValidationError("must be between 0 and 100", "score")
        if kind == "course" and valid_until is None:
            valid_until = completed_on + DEFAULT_VALIDITY
        row = {
            "id": new_id("trn"),
            "principal_id": principal_id,
            "kind": kind,
            "course": course.strip(),
            "completed_on": completed_on,
            "score": score,
            "valid_until": valid_until,
            "recorded_by": recorded_by,
            "recorded_at": self.clock.now(),
        }
        with self.db.transaction() as conn:
            conn.execute(insert(training).values(**row))
        self._cache.pop(principal_id, None)
        return _row_dict(row)

    def list(self, principal_id: str | None = None) -> list[dict[str, Any]]:
        query = select(training).order_by(training.c.principal_id, training.c.completed_on)
        if principal_id is not None:
            query = query.where(training.c.principal_id == principal_id)
        with self.db.read() as conn:
            return [_row_dict(r._mapping) for r in conn.execute(query)]

    def status(self, principal_id: str) -> TrainingStatus:
        """Training status today (R-TRN-1); memoised briefly because every clear read asks."""
        now = self.clock.now()
        hit = self._cache.get(principal_id)
        if hit is not None and 0 <= (now - hit[0]).total_seconds() < _CACHE_SECONDS:
            return hit[1]
        status = self._compute(principal_id, self.today())
        self._cache[principal_id] = (now, status)
        return status

    def _compute(self, principal_id: str, today: date) -> TrainingStatus:
        with self.db.read() as conn:
            rows = list(conn.execute(select(training).where(training.c.principal_id == principal_id)))
        agreements = [
            r for r in rows if r.kind == "agreement" and (r.valid_until is None or r.valid_until >= today)
        ]
        courses = [r for r in rows if r.kind == "course"]
        signed = max((r.completed_on for r in agreements), default=None)
        valid_until = max((r.valid_until for r in courses if r.valid_until is not None), default=None)
        if signed is None:
            return TrainingStatus(
                False, "no signed confidentiality agreement on record (R-TRN-1)", valid_until, None
            )
        if valid_until is None:
            return TrainingStatus(
                False, "no completed PI-protection training on record (R-TRN-1)", None, signed
            )
        if valid_until < today:
            return TrainingStatus(
                False,
                f"PI-protection training lapsed on {valid_until.isoformat()} (R-TRN-1)",
                valid_until,
                signed,
            )
        return TrainingStatus(True, None, valid_until, signed)
