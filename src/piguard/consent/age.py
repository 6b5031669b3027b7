"""Age from a birth date: bands, birthdays and the next review date (R-MIN-1, R-MIN-4).

This is the one minor-age rule of piguard. The consent layer stores its result (a band
and a review date); the gate (:mod:`piguard.access.scope`) applies the same functions
to the values it has just read. Both used to carry a rule of their own and disagreed
on 29 February births and on customers whose declared birth date and resident ID
differ; pure functions here keep one answer for the same inputs in every process.

Ages are completed years (周岁). Someone born on 29 February has their birthday on
1 March in common years: the later date keeps the protection of the younger band a
day longer, never a day shorter. (Their 14th and 18th birthdays always fall in common
years: a leap year plus 14 or 18 is never a leap year.)

A birth date comes from a declared date of birth and from the resident ID's digits
7-14 (:func:`birth_date_from`). When both are given and disagree, the later date wins:
treating someone as younger only adds protection.

"Today" is the date in Beijing time (:func:`piguard.calendar.local_today`).

Only the band and the next review date are ever stored, never the birth date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import MINYEAR, date
from typing import Final, Literal

from piguard.errors import ValidationError
from piguard.validate import resident_id, scalars

#: R-MIN-1 age bands: under 14 (guardian consent, all PI sensitive), 14-17, 18 and over.
AgeBand = Literal["under14", "minor", "adult"]

#: PIPL 28 and 31: a child under this age needs a guardian's consent.
CHILD_AGE = 14
#: Minors Protection Law 2: under this age is a minor.
ADULT_AGE = 18

#: Customer fields a birth date is read from when a caller names none (R-MIN-1).
BIRTH_DATE_FIELDS: Final[tuple[str, ...]] = ("birth_date",)
RESIDENT_ID_FIELDS: Final[tuple[str, ...]] = ("resident_id",)


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years; 29 February becomes 1 March in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def birthday(birth: date, age: int) -> date:
    """The day someone born on ``birth`` reaches ``age`` completed years."""
    return add_years(birth, age)


def _field_date(kind: str, raw: str) -> date:
    # Syntax only, no comparison with the wall clock: the rule must give the same answer
    # in every process and under an injected clock. Writes are checked against the
    # field's type (future dates refused) before they reach this.
    if kind == "resident_id":
        return resident_id.birth_date(resident_id.normalize(raw, today=date.max))
    return date.fromisoformat(scalars.normalize_date(raw, not_future=False, min_year=MINYEAR))


def birth_date_from(
    values: Mapping[str, object],
    *,
    id_fields: Sequence[str] = RESIDENT_ID_FIELDS,
    birth_fields: Sequence[str] = BIRTH_DATE_FIELDS,
    strict: bool = False,
) -> date | None:
    """A customer's birth date from ``values``: the latest of the resident IDs' embedded
    dates and the declared birth dates, or ``None`` when none is given.

    Values are normalized first (a 15-digit ID, ``2010/5/1``), so raw input and stored
    values give the same date. Empty and non-string values count as not given. A date
    in the future is taken as it is (the person is then under 14), not dropped.

    :param strict: raise for a value that does not parse (a write being checked);
        otherwise skip it (a read of stored values must still decide).
    :raises ValidationError: only with ``strict``, naming the field.
    """
    births: list[date] = []
    for kind, fields in (("resident_id", id_fields), ("date", birth_fields)):
        for name in fields:
            raw = values.get(name)
            if not isinstance(raw, str) or not raw:
                continue
            try:
                births.append(_field_date(kind, raw))
            except ValidationError as exc:
                if strict:
                    raise exc.for_field(name) from None
    return max(births, default=None)


def child_until(birth_date: date) -> date:
    """The first day someone born on ``birth_date`` is no longer under 14: the 14th birthday."""
    return birthday(birth_date, CHILD_AGE)


def is_under_14(birth_date: date | None, today: date) -> bool:
    """Whether the person is under 14 on ``today`` (PIPL 28, 31); ``False`` when unknown."""
    return birth_date is not None and today < child_until(birth_date)


def age_band(birth_date: date | None, today: date) -> AgeBand | None:
    """:func:`minor_status`, or ``None`` when the birth date is unknown."""
    return None if birth_date is None else minor_status(birth_date, today)


def minor_status(birth_date: date, today: date) -> AgeBand:
    """Return ``under14``, ``minor`` (14-17) or ``adult`` on ``today``.

    >>> minor_status(date(2010, 5, 1), date(2024, 4, 30))
    'under14'
    >>> minor_status(date(2010, 5, 1), date(2024, 5, 1))
    'minor'
    >>> minor_status(date(2008, 2, 29), date(2026, 2, 28))
    'minor'
    """
    if today < child_until(birth_date):
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


@dataclass(frozen=True, slots=True)
class AgeSources:
    """Which customer fields carry the birth date and the guardian (R-MIN-1).

    ``id_fields`` hold a resident ID (birth date = digits 7-14); ``birth_fields`` a
    declared date of birth. ``guardian_fields`` must all be given when a child under 14
    is recorded under a purpose that does not rest on consent.
    """

    record_type: str = "customer"
    id_fields: tuple[str, ...] = ("resident_id",)
    birth_fields: tuple[str, ...] = ("birth_date",)
    guardian_fields: tuple[str, ...] = ("guardian_name", "guardian_relation")


def age_from_values(
    sources: AgeSources, values: Mapping[str, object], today: date, record_type: str = "customer"
) -> AgeInfo | None:
    """The age state a write's values give for a record of ``record_type`` (``None``: none given,
    or not the record type that carries birth dates): :func:`birth_date_from` over ``sources``."""
    if record_type != sources.record_type:
        return None
    birth = birth_date_from(
        values, id_fields=sources.id_fields, birth_fields=sources.birth_fields, strict=True
    )
    return None if birth is None else AgeInfo.from_birth(birth, today)
