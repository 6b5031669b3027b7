"""Mainland China fixed-line numbers with area code.

Canonical form: ``0`` + area code, a dash, the subscriber number, and an
optional extension after a second dash: ``010-12345678``, ``0571-88888888``,
``010-12345678-123``. Accepted input also includes spaces, parentheses
(``(010)12345678``), a ``+86`` / ``0086`` prefix, and extensions written with
``转``, ``分机``, ``ext``, ``x`` or ``#``.

Validity comes from phonenumbers' metadata (``number_type`` is FIXED_LINE or
FIXED_LINE_OR_MOBILE, which implies ``is_valid_number``), applied to a
hand-built :class:`phonenumbers.PhoneNumber`, so e.g. Shenzhen (0755) needs 8
subscriber digits. The area-code length is not taken from
``length_of_geographical_area_code``: that call measured ~16 µs, more than the
rest of this function together. The rule it implements for China is simple
(``010`` and ``02x`` are 2-digit codes, every other code 3 digits);
``tests/validate/test_landline.py`` checks the rule against phonenumbers for
every 2- and 3-digit area code.

>>> normalize("(010) 1234 5678 转 123")
'010-12345678-123'
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberType

from piguard.errors import ValidationError
from piguard.validate._clean import clean_number, not_digits, without

__all__ = ["is_valid", "normalize"]

_CANONICAL = re.compile(r"(0[0-9]{2,3})-([0-9]{7,8})-([0-9]{1,6})")
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)\s*([0-9]{1,6})", re.IGNORECASE)
_NATIONAL = re.compile(r"0[1-9][0-9]{8,10}")
_DIGITS = re.compile(r"[0-9]+")
_FIXED = (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _split_extension(value: str) -> tuple[str, str]:
    canonical = _CANONICAL.fullmatch(value)
    if canonical is not None:
        return canonical[1] + canonical[2], canonical[3]
    marked = _EXTENSION.search(value)
    if marked is not None and marked.end() == len(value):
        return value[: marked.start()], marked[1]
    return value, ""


def normalize(raw: str) -> str:
    """Return the canonical ``0AREA-NUMBER[-EXT]`` form.

    :param raw: the number as typed.
    :returns: the canonical form.
    :raises ValidationError: ``"contains 'a' at position 4, not a digit"``,
        ``"missing area code"``, ``"wrong length"`` or
        ``"not a valid mainland fixed-line number"``.
    """
    number, extension = _split_extension(clean_number(raw))
    value = without(number, " -()")
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    else:
        if not value.startswith("0"):
            raise ValidationError("missing area code")
    if not _DIGITS.fullmatch(value):
        raise ValidationError(not_digits(raw, " -()+"))
    if not value.startswith("0"):
        value = "0" + value  # "+86 10 ..." drops the trunk prefix.
    if not 10 <= len(value) <= 12:
        raise ValidationError("wrong length")
    if not _NATIONAL.fullmatch(value):
        raise ValidationError("not a valid mainland fixed-line number")
    parsed = phonenumbers.PhoneNumber(country_code=86, national_number=int(value[1:]))
    if phonenumbers.number_type(parsed) not in _FIXED:
        raise ValidationError("not a valid mainland fixed-line number")
    split = 3 if value[1] in "12" else 4  # "0" + a 2- or 3-digit area code.
    canonical = f"{value[:split]}-{value[split:]}"
    return f"{canonical}-{extension}" if extension else canonical


def is_valid(raw: str) -> bool:
    """Return whether :func:`normalize` accepts ``raw``."""
    try:
        normalize(raw)
    except ValidationError:
        return False
    return True
