"""One minor-age rule (issue 10): the gate and the consent layer agree on "under 14".

The gate decides from the values it reads (``scope.adult_from(scope.birth_date_of(...))``,
then ``today < adult_from``, as ``Service._is_minor`` does); the consent ledger from a
write's values (``ConsentLedger.age_from_values``, stored as a band and a review date,
then ``AgeInfo.band_on(today)``). Before the rule moved to :mod:`piguard.consent.age`
they disagreed on:

* 29 February births, on 28 February of the 14th year: the gate counted the birthday
  from 28 February, the ledger from 1 March;
* a declared birth date and a resident ID that disagree: the gate took the declared
  date, the ledger the later of the two;
* values not in canonical form (``2012/05/01``, a lowercase check ``x``): the gate
  could not read them, the ledger normalized them.

Both already agreed on the birthday itself (no longer under 14 on that day) and on
the local date (Beijing time on both sides).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from piguard import calendar
from piguard.access import scope
from piguard.clock import FixedClock
from piguard.consent import AgeSources, ConsentLedger, age
from piguard.errors import ValidationError
from tests.access.conftest import ADULT, SETUP, World
from tests.access.conftest import sqlite_world as sqlite_world  # a fixture


def _rid(birth: date, seq: str = "003") -> str:
    body = f"110105{birth:%Y%m%d}{seq}"
    return body + ric.calc_check_digit(body + "0")


def gate_under_14(values: dict[str, str], today: date) -> bool:
    """What ``Service._is_minor`` computes from the values it read."""
    adult = scope.adult_from(scope.birth_date_of(values))
    return adult is not None and today < adult


# ConsentLedger.age_from_values reads nothing but ``self.age_sources``; calling it on a
# stand-in runs the ledger's own code without a database.
_LEDGER = cast(ConsentLedger, SimpleNamespace(age_sources=AgeSources()))


def consent_under_14(values: dict[str, str], today: date, written: date | None = None) -> bool:
    """What the ledger stores on the write (on ``written``) and answers on ``today``."""
    info = ConsentLedger.age_from_values(_LEDGER, values, written or today)
    return info is not None and info.band_on(today) == "under14"


# (values, today, under 14?) on which the two sides used to disagree.
DISAGREED = [
    pytest.param({"birth_date": "2012-02-29"}, date(2026, 2, 28), True, id="29-feb-birth-on-28-feb"),
    pytest.param({"resident_id": _rid(date(2012, 2, 29))}, date(2026, 2, 28), True, id="29-feb-in-id"),
    pytest.param(
        {"birth_date": "2000-01-01", "resident_id": _rid(date(2015, 6, 1))},
        date(2025, 1, 1),
        True,
        id="id-younger-than-declared",
    ),
    pytest.param({"birth_date": "2012/05/01"}, date(2025, 1, 1), True, id="declared-in-slash-form"),
    pytest.param({"resident_id": "11010520120503118x"}, date(2025, 1, 1), True, id="lowercase-check-x"),
]

# (values, today, under 14?) on which they already agreed; kept as guards.
AGREED = [
    pytest.param({"birth_date": "2012-05-01"}, date(2026, 5, 1), False, id="on-the-14th-birthday"),
    pytest.param({"birth_date": "2012-05-01"}, date(2026, 4, 30), True, id="day-before"),
    pytest.param({"birth_date": "2012-02-29"}, date(2026, 3, 1), False, id="29-feb-birth-on-1-march"),
    pytest.param(
        {"birth_date": "2015-06-01", "resident_id": _rid(date(2000, 1, 1))},
        date(2025, 1, 1),
        True,
        id="declared-younger-than-id",
    ),
    pytest.param({"name": "张三"}, date(2025, 1, 1), False, id="no-birth-date"),
]


def test_the_lowercase_x_case_is_a_real_id() -> None:
    assert ric.calc_check_digit("11010520120503118" + "0") == "X"


@pytest.mark.parametrize(("values", "today", "expected"), DISAGREED + AGREED)
def test_gate_and_consent_agree(values: dict[str, str], today: date, expected: bool) -> None:
    assert consent_under_14(values, today) is expected
    assert gate_under_14(values, today) is expected


@given(
    birth=st.dates(min_value=date(1995, 1, 1), max_value=date(2025, 12, 31)),
    id_birth=st.none() | st.dates(min_value=date(1995, 1, 1), max_value=date(2025, 12, 31)),
    written_after=st.integers(min_value=0, max_value=400),
    days_later=st.integers(min_value=0, max_value=6000),
    declared=st.booleans(),
)
def test_gate_and_consent_agree_on_any_dates(
    birth: date, id_birth: date | None, written_after: int, days_later: int, declared: bool
) -> None:
    values: dict[str, str] = {}
    if declared or id_birth is None:
        values["birth_date"] = birth.isoformat()
    if id_birth is not None:
        values["resident_id"] = _rid(id_birth)
    written = max(birth, id_birth or birth) + timedelta(days=written_after)
    today = written + timedelta(days=days_later)
    # Stored on the write day and re-read later (band_on) versus decided on the read day.
    assert consent_under_14(values, today, written) == gate_under_14(values, today)
    assert gate_under_14(values, today) == age.is_under_14(age.birth_date_from(values), today)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)))
def test_the_band_changes_exactly_on_the_14th_and_18th_birthdays(birth: date) -> None:
    fourteen = age.child_until(birth)
    assert age.age_band(birth, fourteen - timedelta(days=1)) == "under14"
    assert age.age_band(birth, fourteen) == "minor"
    eighteen = age.birthday(birth, age.ADULT_AGE)
    assert age.age_band(birth, eighteen - timedelta(days=1)) == "minor"
    assert age.age_band(birth, eighteen) == "adult"
    if (birth.month, birth.day) == (2, 29):
        assert (fourteen.month, fourteen.day) == (eighteen.month, eighteen.day) == (3, 1)
    assert age.age_band(None, fourteen) is None


def test_birth_date_from_skips_or_raises_for_unreadable_values() -> None:
    rid = _rid(date(2011, 7, 9))
    assert age.birth_date_from({"birth_date": "not a date", "resident_id": rid}) == date(2011, 7, 9)
    assert age.birth_date_from({"resident_id": rid[:-1] + "0" if rid[-1] != "0" else rid[:-1] + "1"}) is None
    with pytest.raises(ValidationError) as caught:
        age.birth_date_from({"birth_date": "not a date"}, strict=True)
    assert caught.value.field == "birth_date"
    # A 15-digit ID of the 1900s is converted, as the ledger does.
    assert age.birth_date_from({"resident_id": "110105491231002"}) == date(1949, 12, 31)
    # A future birth date is kept (the person is under 14), not silently dropped.
    assert age.birth_date_from({"birth_date": "2999-01-01"}) == date(2999, 1, 1)


def test_the_ledger_and_the_gate_use_the_same_local_date(ledger: ConsentLedger, clock: FixedClock) -> None:
    for instant in (
        datetime(2026, 2, 28, 15, 59, tzinfo=UTC),  # 23:59 on 28 February in Beijing
        datetime(2026, 2, 28, 16, 0, tzinfo=UTC),  # 00:00 on 1 March in Beijing
    ):
        clock.set(instant)
        assert ledger.today() == calendar.local_today(clock) == calendar.local_date(instant)


def test_the_gate_treats_a_29_february_child_as_under_14_until_1_march(sqlite_world: World) -> None:
    """End to end through the gate: on 28 February 2030 a child born 29 February 2016 is
    still under 14 (the ledger's answer); from 1 March the minors' rule no longer applies."""
    world = sqlite_world
    world.clock.set(datetime(2030, 2, 28, 2, 0, tzinfo=UTC))  # 10:00 in Beijing
    kid = world.customer(
        {
            **ADULT,
            "birth_date": "2016-02-29",
            "resident_id": _rid(date(2016, 2, 29)),
            "mobile": "13900139000",
            # A child's profile names the guardian (R-MIN-1): the production gate checks consent.
            "guardian_name": "王芳",
            "guardian_relation": "mother",
        }
    )
    cs = world.user("customer_service")
    # The fixture's course dates from 2026; a course taken this month keeps R-TRN-1 out of the way.
    world.access.record_training(
        SETUP, cs.name, kind="course", course="PIPL refresher", completed_on=date(2030, 2, 1), score=90
    )

    def level() -> tuple[str, str]:
        view = world.service.read(world.ctx(cs), "customer", kid, ["membership_level"])["membership_level"]
        return view.level, view.rule

    state, rule = level()
    assert state == "masked" and "minor" in rule
    world.clock.set(datetime(2030, 2, 28, 16, 0, tzinfo=UTC))  # 00:00 on 1 March in Beijing
    assert level()[0] == "clear"
