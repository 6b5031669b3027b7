"""The deadline clock of a rights request or complaint (R-RGT-3), in Beijing time.

Fides counts a request's deadline in calendar days in UTC, set once, never paused. A Chinese
processor answers in working days (工作日): 15 working days unless it promised less (App认定方法
2019 §6; GB/T 35273 8.5), counted on the State Council's calendar with its make-up working days.
This module turns "received at" plus the pauses and extensions of a case into the local date the
answer is due.

Rules, stated once:

- The day of receipt is not counted; the first day counted is the next one (as for any period in
  Chinese law: 期间开始的日不计算在内).
- A pause (waiting for the requester) stops the clock: the working days after the day it began,
  up to and including the day it ended, are not counted; the day of resumption is treated like a
  new day of receipt. A pause that has not ended counts as ending today (the earliest the answer
  could now be due), and the result says so.
- An extension adds working days (or months, for the GDPR profile) and needs a reason; a profile
  caps the total.
- A year the calendar does not know (no data yet) is counted with every day a possible working
  day. True working days are a subset of those, so the provisional date is never later than the
  true one (counting weekdays only would not be safe: make-up Saturdays exist). The result is
  marked provisional so that an alert is raised and the date is recomputed when data arrives.
"""

from __future__ import annotations

import calendar as _month_calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal

from piguard.calendar import DEFAULT_CALENDAR, WorkingCalendar, local_date

__all__ = ["PROFILES", "Deadline", "DeadlinePolicy", "Pause", "compute_due", "policy_for"]

Unit = Literal["working_days", "months"]
_DAY: Final = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """How long a request type has, in one profile.

    :param unit: ``working_days`` (mainland practice) or ``months`` (GDPR Art. 12(3)).
    :param amount: the period.
    :param max_extension: the most an extension may add in total, in the same unit.
    """

    unit: Unit
    amount: int
    max_extension: int

    def __post_init__(self) -> None:
        if self.amount <= 0 or self.max_extension < 0:
            raise ValueError("a deadline period must be positive and its extension not negative")


#: Deadlines per profile; a request type not listed takes ``"*"``. The CN default is 15 working
#: days with up to 15 more (an extension the requester is told about, with its reason). The
#: GDPR profile: one month, extendable by two further months.
PROFILES: Final[dict[str, dict[str, DeadlinePolicy]]] = {
    "cn": {"*": DeadlinePolicy("working_days", 15, 15)},
    "gdpr": {"*": DeadlinePolicy("months", 1, 2)},
}


def policy_for(profile: str, request_type: str) -> DeadlinePolicy:
    """:raises KeyError: no such profile."""
    table = PROFILES[profile]
    return table.get(request_type, table["*"])


@dataclass(frozen=True, slots=True)
class Pause:
    """A stretch during which the clock stood still; ``ended`` is ``None`` while it lasts."""

    began: datetime
    ended: datetime | None = None


@dataclass(frozen=True, slots=True)
class Deadline:
    """The answer's due date (a local date) and how sure it is.

    :param due: the last day on which the answer is in time.
    :param provisional: part of the count fell in a year the calendar does not know; ``due`` is
        then never later than the true date.
    :param paused: the case is paused now; ``due`` assumes it resumes today.
    :param calendar_version: the calendar data it was computed with (recompute when it changes).
    """

    due: date
    provisional: bool
    paused: bool
    calendar_version: str


def compute_due(
    received: datetime,
    policy: DeadlinePolicy,
    *,
    pauses: Sequence[Pause] = (),
    extension: int = 0,
    today: date | None = None,
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
) -> Deadline:
    """The due date of a request received at ``received`` (an aware instant).

    :param extension: extension granted so far, in the policy's unit (at most ``max_extension``).
    :param today: the local date "now" (for a pause still running); required if one is.
    :raises ValueError: a naive ``received``, an extension beyond the policy, or a pause that ends
        before it begins or is still running without ``today``.
    """
    if received.tzinfo is None:
        raise ValueError("received must be timezone-aware")
    if not 0 <= extension <= policy.max_extension:
        raise ValueError(f"extension must be between 0 and {policy.max_extension} {policy.unit}")
    start = local_date(received)
    paused_now = any(p.ended is None for p in pauses)
    if paused_now and today is None:
        raise ValueError("a running pause needs today's date")
    stopped = _paused_days(pauses, today)
    if policy.unit == "months":
        # Calendar months: a pause moves the date by the calendar days it lasted.
        due = _add_months(start, policy.amount + extension) + len(stopped) * _DAY
        return Deadline(due, False, paused_now, calendar.version)
    provisional = False
    day = start
    remaining = policy.amount + extension
    while remaining:
        day += _DAY
        if day in stopped:
            continue
        if calendar.knows(day):
            remaining -= calendar.is_working_day(day)
        else:
            provisional = True  # every unknown day counts: never later than the truth
            remaining -= 1
    return Deadline(day, provisional, paused_now, calendar.version)


def _paused_days(pauses: Iterable[Pause], today: date | None) -> frozenset[date]:
    days: set[date] = set()
    for pause in pauses:
        first = local_date(pause.began)
        last = local_date(pause.ended) if pause.ended is not None else today
        assert last is not None  # checked by the caller
        if last < first:
            raise ValueError("a pause cannot end before it began")
        day = first + _DAY
        while day <= last:
            days.add(day)
            day += _DAY
    return frozenset(days)


def _add_months(start: date, months: int) -> date:
    # GDPR Art. 12(3) as the EDPB reads it: the same day of the month; the month's last day
    # where it has no such day (31 January + 1 month = 28/29 February).
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, _month_calendar.monthrange(year, month)[1]))
