"""Local time and the working-day calendar: the one place piguard says what day it is.

Why a module of its own: "today" decides real outcomes (a training course valid until
today, a customer's 14th birthday, a dashboard's day buckets, an off-hours alert), and
when each package reckoned it with its own time zone the answers could differ between
the gate, the consent layer and the console for the same instant. Everything that turns
an instant into a calendar date in mainland China goes through :data:`LOCAL_TZ`,
:func:`local_date` or :func:`local_today`.

Deadlines that PIPL and its guidance count in working days (工作日), such as the
answer to a data subject's rights request, need the State Council's holiday calendar:
public holidays move each year, and the weekends next to them are swapped for make-up
working days (调休, e.g. Sunday 28 September 2025 was worked for the National Day golden
week). That calendar comes from the ``chinesecalendar`` package, which knows only the
years already announced; a date outside them raises :class:`~piguard.errors.ConfigError`
(upgrade the package) rather than guessing from weekdays, because a guessed deadline
could fall on a holiday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import chinese_calendar

from piguard.clock import Clock, SystemClock
from piguard.errors import ConfigError

__all__ = [
    "LOCAL_TZ",
    "add_working_days",
    "is_working_day",
    "known_years",
    "local_date",
    "local_today",
    "working_days_between",
]

#: Beijing time. Mainland China has kept UTC+8 without daylight saving since 1991; the
#: tz database name (rather than a fixed offset) also gets the 1986-1991 summers right.
LOCAL_TZ: Final = ZoneInfo("Asia/Shanghai")

_DAY: Final = timedelta(days=1)


def local_date(when: datetime) -> date:
    """The calendar date of ``when`` in Beijing time; a naive datetime is taken as Beijing time."""
    return (when.astimezone(LOCAL_TZ) if when.tzinfo is not None else when).date()


def local_today(clock: Clock | None = None) -> date:
    """Today's date in Beijing time, by ``clock`` (the system clock when omitted)."""
    return local_date((clock or SystemClock()).now())


def known_years() -> range:
    """The years whose holidays and make-up working days the installed calendar knows."""
    days = chinese_calendar.holidays.keys()
    return range(min(days).year, max(days).year + 1)


def _check(day: date) -> None:
    years = known_years()
    if day.year not in years:
        raise ConfigError(
            f"no working-day calendar for {day.year}: the installed chinesecalendar package knows "
            f"{years.start}-{years.stop - 1}; upgrade it once the State Council has announced that year"
        )


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day in mainland China (make-up Saturdays and Sundays included).

    :raises ConfigError: ``day`` is in a year the calendar does not know.
    """
    if isinstance(day, datetime):  # a datetime is a date too; its time of day says nothing here
        day = day.date()
    _check(day)
    return bool(chinese_calendar.is_workday(day))


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself is not counted; 0 gives ``start``).

    ``add_working_days(received, 15)`` is the last day of a 15-working-day deadline.

    :raises ValueError: ``n`` is negative.
    :raises ConfigError: the count runs into a year the calendar does not know.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    while n:
        day += _DAY
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(a: date, b: date) -> int:
    """The number of working days after ``a`` up to and including ``b``; negative if ``b < a``.

    The inverse of :func:`add_working_days`: ``working_days_between(a, add_working_days(a, n)) == n``.

    :raises ConfigError: a day in between is in a year the calendar does not know.
    """
    if b < a:
        return -working_days_between(b, a)
    count = 0
    day = a
    while day < b:
        day += _DAY
        count += is_working_day(day)
    return count
