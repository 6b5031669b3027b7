"""piguard.calendar: Beijing dates and the working-day calendar with real holidays."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from piguard import calendar
from piguard.access import training
from piguard.clock import FixedClock
from piguard.errors import ConfigError

SRC = Path(__file__).resolve().parents[1] / "src" / "piguard"

# National Day / Mid-Autumn 2025: 1-8 October off, Sunday 28 September and Saturday
# 11 October worked instead (State Council notice 国办发明电〔2024〕12号).
GOLDEN_WEEK = [date(2025, 10, d) for d in range(1, 9)]
MAKE_UP_DAYS = [date(2025, 9, 28), date(2025, 10, 11)]


def test_local_date_is_beijing_time() -> None:
    late_utc = datetime(2025, 3, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 April in Beijing
    assert calendar.local_date(late_utc) == date(2025, 4, 1)
    assert calendar.local_date(datetime(2025, 4, 1, 7, 59, tzinfo=timezone(timedelta(hours=8)))) == date(
        2025, 4, 1
    )
    # A naive datetime is already Beijing time (what the CLI and the console accept).
    assert calendar.local_date(datetime(2025, 3, 31, 23, 59)) == date(2025, 3, 31)
    assert calendar.LOCAL_TZ.key == "Asia/Shanghai"


def test_local_today_follows_the_clock() -> None:
    clock = FixedClock(datetime(2025, 12, 31, 16, 0, tzinfo=UTC))
    assert calendar.local_today(clock) == date(2026, 1, 1)


def test_training_keeps_reexporting_the_one_zone() -> None:
    assert training.LOCAL_TZ is calendar.LOCAL_TZ


@pytest.mark.parametrize("day", GOLDEN_WEEK, ids=str)
def test_golden_week_is_not_worked(day: date) -> None:
    assert not calendar.is_working_day(day)


@pytest.mark.parametrize("day", MAKE_UP_DAYS, ids=str)
def test_make_up_weekend_days_are_worked(day: date) -> None:
    assert day.weekday() >= 5
    assert calendar.is_working_day(day)


def test_ordinary_weeks() -> None:
    assert calendar.is_working_day(date(2025, 9, 30))  # Tuesday before the holiday
    assert not calendar.is_working_day(date(2025, 9, 27))  # an ordinary Saturday
    assert calendar.is_working_day(date(2025, 10, 9))  # Thursday after the holiday


def test_a_datetime_counts_as_its_date() -> None:
    assert not calendar.is_working_day(datetime(2025, 10, 1, 9, 0))


def test_add_working_days_across_the_golden_week() -> None:
    # From Friday 26 September: Sun 28, Mon 29, Tue 30, then 9, 10, 11 (Saturday, worked) October.
    start = date(2025, 9, 26)
    assert calendar.add_working_days(start, 1) == date(2025, 9, 28)
    assert calendar.add_working_days(start, 3) == date(2025, 9, 30)
    assert calendar.add_working_days(start, 4) == date(2025, 10, 9)
    assert calendar.add_working_days(start, 6) == date(2025, 10, 11)
    assert calendar.add_working_days(start, 7) == date(2025, 10, 13)
    assert calendar.add_working_days(start, 0) == start
    # A 15-working-day answer to a request received on 30 September: 9-11, 13-17,
    # 20-24, 27 and 28 October.
    assert calendar.add_working_days(date(2025, 9, 30), 15) == date(2025, 10, 28)


def test_add_working_days_starting_on_a_holiday() -> None:
    assert calendar.add_working_days(date(2025, 10, 3), 1) == date(2025, 10, 9)


def test_add_working_days_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(date(2025, 1, 6), -1)


def test_working_days_between() -> None:
    assert calendar.working_days_between(date(2025, 9, 26), date(2025, 10, 11)) == 6
    assert calendar.working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert calendar.working_days_between(date(2025, 10, 11), date(2025, 9, 26)) == -6
    assert calendar.working_days_between(date(2025, 5, 5), date(2025, 5, 5)) == 0


# Within the years the pinned calendar knows, leaving room for 40 working days.
_DAYS = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 10, 31))


@given(_DAYS, st.integers(min_value=0, max_value=40))
def test_working_days_between_inverts_add_working_days(start: date, n: int) -> None:
    end = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, end) == n
    assert n == 0 or calendar.is_working_day(end)


def test_years_outside_the_calendar_raise_config_error() -> None:
    years = calendar.known_years()
    assert 2025 in years
    after = date(years.stop, 1, 5)
    before = date(years.start - 1, 6, 2)
    for day in (after, before):
        with pytest.raises(ConfigError, match="no working-day calendar"):
            calendar.is_working_day(day)
    with pytest.raises(ConfigError):
        calendar.add_working_days(date(years.stop - 1, 12, 20), 30)
    with pytest.raises(ConfigError):
        calendar.working_days_between(date(years.stop - 1, 12, 20), after)


def test_no_other_module_defines_the_local_zone() -> None:
    """One source: nothing else names Asia/Shanghai or builds a UTC+8 offset."""
    allowed = {
        SRC / "calendar.py",
    }
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path in allowed:
            continue
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
        if "Asia/Shanghai" in strings or ("hours=8)" in text.replace(" ", "") and "timezone(" in text):
            offenders.append(str(path.relative_to(SRC)))
    assert not offenders
