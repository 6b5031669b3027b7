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
years already announced, plus what the operator declares in a calendar file
(:class:`WorkingCalendar`); a date outside them raises :class:`~piguard.errors.ConfigError`
rather than guessing from weekdays, because a guessed deadline could fall on a holiday. A
deadline clock that must answer anyway counts such days as possible working days, so its
provisional date can only be earlier than the true one (``piguard.rights.deadline``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from importlib.metadata import version as _dist_version
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import chinese_calendar

from piguard.clock import Clock, SystemClock
from piguard.errors import ConfigError

__all__ = [
    "DEFAULT_CALENDAR",
    "LOCAL_TZ",
    "WorkingCalendar",
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
_PACKAGE_VERSION: Final = _dist_version("chinesecalendar")


def local_date(when: datetime) -> date:
    """The calendar date of ``when`` in Beijing time; a naive datetime is taken as Beijing time."""
    return (when.astimezone(LOCAL_TZ) if when.tzinfo is not None else when).date()


def local_today(clock: Clock | None = None) -> date:
    """Today's date in Beijing time, by ``clock`` (the system clock when omitted)."""
    return local_date((clock or SystemClock()).now())


class WorkingCalendar:
    """The mainland working-day calendar: ``chinesecalendar``'s data plus the operator's overrides.

    The package knows only the years the State Council had announced when it was released. An
    operator who cannot upgrade in time (the notice for next year comes out in November) declares
    the year in a calendar file (:meth:`from_file`): its holidays and make-up working days; any
    other day of a declared year follows the weekday rule. A declared day also overrides the
    package (the State Council has amended a published calendar before).

    :attr:`version` changes whenever the data does, so a stored deadline knows it must be
    recomputed (the rights clock keeps the version it was computed under).
    """

    __slots__ = ("_declared_years", "_overrides", "version")

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._declared_years = frozenset(day.year for day in self._overrides)
        digest = hashlib.sha256(f"chinesecalendar {_PACKAGE_VERSION}\n".encode())
        for day in sorted(self._overrides):
            digest.update(f"{day.isoformat()} {int(self._overrides[day])}\n".encode())
        self.version = "cal1:" + digest.hexdigest()[:16]

    @classmethod
    def from_file(cls, path: Path) -> WorkingCalendar:
        """Read an operator's calendar file.

        The file is JSON: ``{"2027": {"holidays": ["2027-01-01", ...], "workdays": ["2027-02-07", ...]}}``.
        A year listed is declared whole: its days not named follow the weekday rule.

        :raises ConfigError: the file is unreadable or not in that shape; the message names the entry.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            reason = type(exc).__name__
            raise ConfigError(f"calendar file {path}: cannot read it as JSON ({reason})") from None
        return cls(parse_overrides(data, source=str(path)))

    def known_years(self) -> frozenset[int]:
        """The years this calendar knows: the package's and the operator's declared years."""
        return frozenset(known_years()) | self._declared_years

    def knows(self, day: date) -> bool:
        return _as_date(day).year in self.known_years()

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day (make-up Saturdays and Sundays included).

        :raises ConfigError: ``day`` is in a year this calendar does not know.
        """
        day = _as_date(day)
        if day in self._overrides:
            return self._overrides[day]
        if day.year in self._declared_years:
            return day.weekday() < 5
        _check(day)
        return bool(chinese_calendar.is_workday(day))

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself is not counted; 0 gives ``start``).

        :raises ValueError: ``n`` is negative.
        :raises ConfigError: the count runs into a year the calendar does not know.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        while n:
            day += _DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days after ``a`` up to and including ``b``; negative if ``b < a``.

        :raises ConfigError: a day in between is in a year the calendar does not know.
        """
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a
        while day < b:
            day += _DAY
            count += self.is_working_day(day)
        return count


def parse_overrides(data: object, *, source: str = "calendar data") -> dict[date, bool]:
    """Turn ``{"2027": {"holidays": [...], "workdays": [...]}}`` into a day -> working map.

    :raises ConfigError: not that shape; the message names the year or the entry.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected an object of years")
    out: dict[date, bool] = {}
    for year_text, spec in data.items():
        if not (isinstance(year_text, str) and year_text.isdigit() and len(year_text) == 4):
            raise ConfigError(f"{source}: {year_text!r} is not a year")
        if not isinstance(spec, dict) or set(spec) - {"holidays", "workdays"}:
            raise ConfigError(f"{source}: year {year_text} must have only 'holidays' and 'workdays' lists")
        for key, working in (("holidays", False), ("workdays", True)):
            days = spec.get(key, [])
            if not isinstance(days, list):
                raise ConfigError(f"{source}: {year_text}.{key} must be a list of dates")
            for index, text in enumerate(days):
                try:
                    day = date.fromisoformat(text) if isinstance(text, str) else None
                except ValueError:
                    day = None
                if day is None or day.year != int(year_text):
                    raise ConfigError(f"{source}: {year_text}.{key}[{index}] is not a date in {year_text}")
                if out.get(day, working) != working:
                    raise ConfigError(f"{source}: {day} is both a holiday and a working day")
                out[day] = working
    return out


def _as_date(day: date) -> date:
    # A datetime is a date too; its time of day says nothing here.
    return day.date() if isinstance(day, datetime) else day


def known_years() -> range:
    """The years whose holidays and make-up working days the installed package knows."""
    days = chinese_calendar.holidays.keys()
    return range(min(days).year, max(days).year + 1)


def _check(day: date) -> None:
    years = known_years()
    if day.year not in years:
        raise ConfigError(
            f"no working-day calendar for {day.year}: the installed chinesecalendar package knows "
            f"{years.start}-{years.stop - 1}; upgrade it, or declare the year in the calendar file, "
            "once the State Council has announced it"
        )


#: The package's calendar without overrides.
DEFAULT_CALENDAR: Final = WorkingCalendar()


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day by the package's calendar (see :class:`WorkingCalendar`)."""
    return DEFAULT_CALENDAR.is_working_day(day)


def add_working_days(start: date, n: int) -> date:
    """``DEFAULT_CALENDAR.add_working_days``: ``add_working_days(received, 15)`` is the last day of a
    15-working-day deadline."""
    return DEFAULT_CALENDAR.add_working_days(start, n)


def working_days_between(a: date, b: date) -> int:
    """``DEFAULT_CALENDAR.working_days_between``; the inverse of :func:`add_working_days`."""
    return DEFAULT_CALENDAR.working_days_between(a, b)
