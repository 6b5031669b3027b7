"""Row scopes and per-customer facts the gate needs: active hotel stays, minors (R-MIN-1).

Pure functions over values the gate has already read through the vault; nothing here
reads data itself. The minor-age rule is the consent layer's (:mod:`piguard.consent.age`),
so that the gate and the ledger agree on who is under 14.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from piguard.consent import age

#: The record type and fields the ``active_stay`` scope reads.
STAY_RECORD: Final = "hotel_stay"
STAY_FROM: Final = "check_in"
STAY_UNTIL: Final = "check_out"
#: Customer fields a birth date can come from (the consent layer's defaults).
BIRTH_DATE_FIELD: Final = age.BIRTH_DATE_FIELDS[0]
RESIDENT_ID_FIELD: Final = age.RESIDENT_ID_FIELDS[0]
#: PIPL 28, 31: all PI of a person under 14 is sensitive.
MINOR_AGE: Final = age.CHILD_AGE


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
    """A customer's birth date from the declared date and the resident ID (R-MIN-1).

    The consent layer's rule (:func:`piguard.consent.age.birth_date_from`): the later of
    the two when both are given, unreadable values skipped.
    """
    return age.birth_date_from(values)


def adult_from(birth: date | None) -> date | None:
    """The day the person turns 14, or None if unknown (:func:`piguard.consent.age.child_until`:
    29 February births count from 1 March)."""
    return None if birth is None else age.child_until(birth)
