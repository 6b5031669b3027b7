"""The rights deadline clock (R-RGT-3): working days in Beijing time, pauses, extensions, unknown years."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from piguard.calendar import LOCAL_TZ, WorkingCalendar
from piguard.errors import ConfigError
from piguard.rights.deadline import DeadlinePolicy, Pause, compute_due, policy_for

CN = policy_for("cn", "access")
GDPR = policy_for("gdpr", "access")


def local(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


@pytest.mark.req("R-RGT-3")
def test_fifteen_working_days_across_mid_autumn_and_national_day() -> None:
    # 2026-09-21 + 15 working days = 2026-10-19 (the vector): Mid-Autumn (25 Sep) and the
    # National Day week (1-7 Oct) are skipped, Sunday 20 Sep and Saturday 10 Oct were worked.
    deadline = compute_due(local(2026, 9, 21), CN)
    assert deadline.due == date(2026, 10, 19)
    assert not deadline.provisional and not deadline.paused


@pytest.mark.req("R-RGT-3")
def test_one_working_day_lands_on_a_make_up_saturday() -> None:
    # 2026-02-13 (Friday) + 1 working day = Saturday 14 February, a Spring Festival make-up day.
    one = DeadlinePolicy("working_days", 1, 0)
    assert compute_due(local(2026, 2, 13), one).due == date(2026, 2, 14)


@pytest.mark.req("R-RGT-3")
def test_across_spring_festival() -> None:
    # Received Thu 12 Feb 2026: Fri 13 (1), Sat 14 make-up (2), holiday 15-23 Feb, Tue 24 (3),
    # Wed 25 (4), Thu 26 (5).
    five = DeadlinePolicy("working_days", 5, 0)
    assert compute_due(local(2026, 2, 12), five).due == date(2026, 2, 26)


@pytest.mark.req("R-RGT-3")
def test_across_national_day_ending_on_a_make_up_saturday() -> None:
    # Received Mon 28 Sep 2026: 29 (1), 30 (2), holiday 1-7 Oct, Thu 8 (3), Fri 9 (4), Sat 10 make-up (5).
    five = DeadlinePolicy("working_days", 5, 0)
    assert compute_due(local(2026, 9, 28), five).due == date(2026, 10, 10)


@pytest.mark.req("R-RGT-3")
def test_the_day_of_receipt_is_the_beijing_date_not_the_utc_one() -> None:
    # 17:00 UTC on 20 Sep is 01:00 on 21 Sep in Beijing: the clock starts from 21 Sep.
    received = datetime(2026, 9, 20, 17, 0, tzinfo=UTC)
    assert compute_due(received, CN).due == date(2026, 10, 19)
    assert compute_due(datetime(2026, 9, 20, 15, 0, tzinfo=UTC), CN).due < date(2026, 10, 19)


@pytest.mark.req("R-RGT-3")
def test_a_pause_moves_the_due_date_by_the_paused_working_days() -> None:
    received = local(2026, 11, 2)  # Monday; 15 working days in a month without holidays: 23 Nov
    assert compute_due(received, CN).due == date(2026, 11, 23)
    # Paused Wednesday 4 Nov, resumed Friday 6 Nov: Thursday and Friday are not counted.
    paused = [Pause(local(2026, 11, 4), local(2026, 11, 6, 9))]
    assert compute_due(received, CN, pauses=paused).due == date(2026, 11, 25)
    # A pause over a weekend only stops no working day.
    weekend = [Pause(local(2026, 11, 6, 18), local(2026, 11, 8, 20))]
    assert compute_due(received, CN, pauses=weekend).due == date(2026, 11, 23)


@pytest.mark.req("R-RGT-3")
def test_a_running_pause_counts_as_ending_today_and_says_so() -> None:
    received = local(2026, 11, 2)
    running = [Pause(local(2026, 11, 4))]
    deadline = compute_due(received, CN, pauses=running, today=date(2026, 11, 5))
    assert deadline.paused and deadline.due == date(2026, 11, 24)
    with pytest.raises(ValueError, match="today"):
        compute_due(received, CN, pauses=running)


@pytest.mark.req("R-RGT-3")
def test_extensions_add_working_days_up_to_the_profile_cap() -> None:
    received = local(2026, 11, 2)
    assert compute_due(received, CN, extension=5).due == date(2026, 11, 30)
    with pytest.raises(ValueError, match="extension"):
        compute_due(received, CN, extension=CN.max_extension + 1)


@pytest.mark.req("R-RGT-3")
def test_gdpr_profile_counts_calendar_months_and_up_to_two_more() -> None:
    assert compute_due(local(2026, 1, 31), GDPR).due == date(2026, 2, 28)
    assert compute_due(local(2026, 1, 31), GDPR, extension=2).due == date(2026, 4, 30)
    with pytest.raises(ValueError):
        compute_due(local(2026, 1, 31), GDPR, extension=3)


@pytest.mark.req("R-RGT-3")
def test_a_year_without_calendar_data_gives_an_earlier_provisional_date() -> None:
    # chinesecalendar 1.11 knows up to 2026. Received Sunday 20 Dec 2026: 21-25 (5), 28-31 (9), then
    # every day of 2027 counts: 1-6 Jan (15). The true date (New Year's Day off) is 11 Jan.
    received = local(2026, 12, 20)
    deadline = compute_due(received, CN)
    assert deadline.provisional
    assert deadline.due == date(2027, 1, 6)
    # The operator declares 2027 (New Year's Day a holiday): the date is recomputed, final, later.
    declared = WorkingCalendar({date(2027, 1, 1): False})
    final = compute_due(received, CN, calendar=declared)
    assert not final.provisional
    assert final.due == date(2027, 1, 11)
    assert final.due >= deadline.due
    assert final.calendar_version != deadline.calendar_version


class _Forgetting(WorkingCalendar):
    """The package's calendar, pretending not to know some years (to test the provisional count)."""

    def __init__(self, forgotten: frozenset[int]) -> None:
        super().__init__()
        self._forgotten = forgotten

    def known_years(self) -> frozenset[int]:
        return super().known_years() - self._forgotten


@pytest.mark.req("R-RGT-3")
@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 11, 30)),
    n=st.integers(min_value=1, max_value=40),
    forget=st.sampled_from([2024, 2025, 2026]),
)
def test_a_provisional_date_is_never_later_than_the_true_one(start: date, n: int, forget: int) -> None:
    received = datetime(start.year, start.month, start.day, 12, tzinfo=LOCAL_TZ)
    policy = DeadlinePolicy("working_days", n, 0)
    truth = compute_due(received, policy)
    guess = compute_due(received, policy, calendar=_Forgetting(frozenset({forget})))
    assert guess.due <= truth.due
    if not guess.provisional:
        assert guess.due == truth.due


def test_operator_calendar_file_is_read_and_bad_entries_are_named(tmp_path: Path) -> None:
    good = tmp_path / "calendar.json"
    good.write_text(
        json.dumps({"2027": {"holidays": ["2027-01-01"], "workdays": ["2027-02-06"]}}), encoding="utf-8"
    )
    cal = WorkingCalendar.from_file(good)
    assert cal.knows(date(2027, 6, 1))
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 2, 6))  # a Saturday made a working day
    assert not cal.is_working_day(date(2027, 2, 7))  # an ordinary Sunday of a declared year
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"2027": {"holidays": ["2027-13-01"]}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"2027\.holidays\[0\]"):
        WorkingCalendar.from_file(bad)
    both = tmp_path / "both.json"
    both.write_text(json.dumps({"2027": {"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}}))
    with pytest.raises(ConfigError, match="both"):
        WorkingCalendar.from_file(both)
    with pytest.raises(ConfigError, match="JSON"):
        (tmp_path / "x.json").write_text("{", encoding="utf-8")
        WorkingCalendar.from_file(tmp_path / "x.json")


def test_naive_received_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        compute_due(datetime(2026, 9, 21, 10), CN)
    with pytest.raises(ValueError, match="before"):
        compute_due(local(2026, 9, 21), CN, pauses=[Pause(local(2026, 9, 23), local(2026, 9, 22))])
