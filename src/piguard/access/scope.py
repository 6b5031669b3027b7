"""Row scopes and per-customer facts the gate needs: active hotel stays, minors (R-MIN-1).

Pure functions over values the gate has already read through the vault; nothing here
reads data itself.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from piguard.errors import ValidationError
from piguard.validate import resident_id

#: The record type and fields the ``active_stay`` scope reads.
STAY_RECORD: Final = "hotel_stay"
STAY_FROM: Final = "check_in"
STAY_UNTIL: Final = "check_out"
#: Customer fields a birth date can come from, in order of preference.
BIRTH_DATE_FIELD: Final = "birth_date"
RESIDENT_ID_FIELD: Final = "resident_id"
#: PIPL 28, 31: all PI of a person under 14 is sensitive.
MINOR_AGE: Final = 14


def stay_active(check_in: str | None, check_out: str | None, today: date) -> bool:
    """A stay is active from its check-in day to its check-out day, both included.

    A stay without a check-in date is not active; one without a check-out is open-ended.
    """
    if not check_in:
        return False
    try:
        start = date.fromisoformat(check_in)
        end = date.fromisoformat(check_out) if check_out else date.max
    except ValueError:
        return False
    return start <= today <= end


def birth_date_of(values: dict[str, str]) -> date | None:
    """A customer's birth date from the declared date, else from the resident ID (R-MIN-1)."""
    raw = values.get(BIRTH_DATE_FIELD)
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    rid = values.get(RESIDENT_ID_FIELD)
    if rid:
        try:
            return resident_id.birth_date(rid)
        except (ValidationError, ValueError):
            return None
    return None


def adult_from(birth: date | None) -> date | None:
    """The day the person turns 14 (29 February births count from 28 February), or None if unknown."""
    if birth is None:
        return None
    try:
        return birth.replace(year=birth.year + MINOR_AGE)
    except ValueError:
        return birth.replace(year=birth.year + MINOR_AGE, day=28)
