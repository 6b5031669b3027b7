"""Age from a birth date: bands, birthdays and the next review date (R-MIN-1, R-MIN-4).

Ages are completed years (周岁). Someone born on 29 February has their birthday on
1 March in common years: the later date keeps the protection of the younger band a
day longer, never a day shorter.

Only the band and the next review date are ever stored, never the birth date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

#: R-MIN-1 age bands: under 14 (guardian consent, all PI sensitive), 14-17, 18 and over.
AgeBand = Literal["under14", "minor", "adult"]

#: PIPL 28 and 31: a child under this age needs a guardian's consent.
CHILD_AGE = 14
#: Minors Protection Law 2: under this age is a minor.
ADULT_AGE = 18


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years; 29 February becomes 1 March in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def birthday(birth: date, age: int) -> date:
    """The day someone born on ``birth`` reaches ``age`` completed years."""
    return add_years(birth, age)


def minor_status(birth_date: date, today: date) -> AgeBand:
    """Return ``under14``, ``minor`` (14-17) or ``adult`` on ``today``.

    >>> minor_status(date(2010, 5, 1), date(2024, 4, 30))
    'under14'
    >>> minor_status(date(2010, 5, 1), date(2024, 5, 1))
    'minor'
    >>> minor_status(date(2008, 2, 29), date(2026, 2, 28))
    'minor'
    """
    if today < birthday(birth_date, CHILD_AGE):
        return "under14"
    if today < birthday(birth_date, ADULT_AGE):
        return "minor"
    return "adult"


def next_review(birth_date: date, today: date) -> date | None:
    """The next birthday that changes the band (14th or 18th), or ``None`` for adults."""
    for age in (CHILD_AGE, ADULT_AGE):
        day = birthday(birth_date, age)
        if today < day:
            return day
    return None


@dataclass(frozen=True, slots=True)
class AgeInfo:
    """The stored age state of a customer: a band and the date it next changes.

    The 18th birthday is derived from the 14th (four years later, which
    :func:`add_years` gets right for 29 February births too), so one date suffices.
    """

    band: AgeBand
    next_review: date | None

    @classmethod
    def from_birth(cls, birth_date: date, today: date) -> AgeInfo:
        return cls(minor_status(birth_date, today), next_review(birth_date, today))

    def band_on(self, today: date) -> AgeBand:
        """The band on ``today``, right even before the birthday job has run."""
        if self.next_review is None or today < self.next_review:
            return self.band
        if self.band == "under14":
            return "minor" if today < add_years(self.next_review, ADULT_AGE - CHILD_AGE) else "adult"
        return "adult"

    def advanced(self, today: date) -> AgeInfo:
        """The state after every birthday up to ``today`` has been taken into account."""
        band = self.band_on(today)
        if band == self.band:
            return self
        if band == "minor" and self.next_review is not None:
            return AgeInfo("minor", add_years(self.next_review, ADULT_AGE - CHILD_AGE))
        return AgeInfo(band, None)
