"""PRC resident identity card numbers (居民身份证号码), GB 11643-1999 (R-VAL-1).

Layout: 6-digit address code, 8-digit birth date ``YYYYMMDD``, 3-digit sequence
(odd = male, even = female) and an ISO 7064 MOD 11-2 check character (``0-9``
or ``X``). Legacy 15-digit numbers (GB 11643-1989) have a ``YYMMDD`` birth date
of the 1900s and no check character; they are converted to 18 digits.

The check character comes from :func:`stdnum.cn.ric.calc_check_digit`.
:func:`stdnum.cn.ric.validate` itself is not used: it also looks the address
code up in a GB/T 2260 table and so rejects real numbers whose code was retired
or renumbered (the standard's own example ``440524188001010014`` among them).
It does not check that the birth date is in the past either.

>>> normalize("11010519491231002x")
'11010519491231002X'
>>> convert_15("110105491231002")
'11010519491231002X'
"""

from __future__ import annotations

import re
from datetime import date

from stdnum.cn import ric

from piguard.calendar import local_today
from piguard.errors import ValidationError
from piguard.validate._clean import clean_number, without

__all__ = ["birth_date", "convert_15", "gender", "is_valid", "normalize", "today_in_china"]

_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")

#: Birth dates before this year are treated as mistyped. The oldest example in
#: GB 11643 itself is from 1880.
MIN_BIRTH_YEAR = 1800

def today_in_china() -> date:
    """Return today's date in mainland China (Beijing time), where births are registered."""
    return local_today()


def _birth(digits8: str) -> date:
    try:
        born = date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        raise ValidationError("invalid birth date") from None
    if born.year < MIN_BIRTH_YEAR:
        raise ValidationError("invalid birth date")
    return born


def convert_15(raw15: str) -> str:
    """Convert a legacy 15-digit number to its 18-digit form.

    Inserts ``19`` before the two-digit birth year and appends the check character.

    :param raw15: the 15-digit number (surrounding whitespace and full-width digits allowed).
    :returns: the 18-digit number.
    :raises ValidationError: ``"wrong length"``, ``"contains characters other than digits"``
        or ``"invalid birth date"``.
    """
    value = without(clean_number(raw15), " ")
    if len(value) != 15:
        raise ValidationError("wrong length")
    if not _ID15.fullmatch(value):
        raise ValidationError("contains characters other than digits")
    body = value[:6] + "19" + value[6:]
    _birth(body[6:14])
    # calc_check_digit ignores the last character it is given (it expects a
    # full number), hence the placeholder.
    return body + ric.calc_check_digit(body + "0")


def normalize(raw: str, *, today: date | None = None) -> str:
    """Return the canonical 18-character resident ID.

    Spaces are allowed inside, lowercase ``x`` becomes ``X``, full-width digits are
    folded, 15-digit numbers are converted.

    :param raw: the number as typed.
    :param today: the date births are compared with; defaults to today in China.
    :returns: the 18-character number.
    :raises ValidationError: with reason ``"wrong length"``,
        ``"contains characters other than digits"``, ``"checksum does not match"``,
        ``"invalid birth date"`` or ``"birth date is in the future"``.
    """
    value = without(clean_number(raw), " ").upper()
    if len(value) == 15:
        value = convert_15(value)
    elif len(value) != 18:
        raise ValidationError("wrong length")
    elif not _ID18.fullmatch(value):
        raise ValidationError("contains characters other than digits")
    elif ric.calc_check_digit(value) != value[17]:
        raise ValidationError("checksum does not match")
    born = _birth(value[6:14])
    if born > (today if today is not None else today_in_china()):
        raise ValidationError("birth date is in the future")
    return value


def is_valid(raw: str, *, today: date | None = None) -> bool:
    """Return whether :func:`normalize` accepts ``raw``."""
    try:
        normalize(raw, today=today)
    except ValidationError:
        return False
    return True


def _require_normalized(normalized: str) -> None:
    if not _ID18.fullmatch(normalized):
        raise ValidationError("not a normalized resident ID")


def birth_date(normalized: str) -> date:
    """Return the birth date encoded in a normalized number (digits 7–14, R-MIN-1).

    :raises ValidationError: if ``normalized`` is not 17 digits plus a check
        character, or its date is not a real date.
    """
    _require_normalized(normalized)
    return _birth(normalized[6:14])


def gender(normalized: str) -> str:
    """Return ``"M"`` (odd sequence digit 17) or ``"F"`` (even) for a normalized number.

    :raises ValidationError: if ``normalized`` is not 17 digits plus a check character.
    """
    _require_normalized(normalized)
    return "M" if int(normalized[16]) % 2 else "F"
