"""Mainland China mobile numbers (R-VAL-1, requirements §3.4).

The canonical form is the 11-digit national number. An optional ``+86`` or
``0086`` prefix, spaces and dashes are removed first.

The ranges come from libphonenumber's CN mobile pattern (:data:`PATTERN`,
copied from phonenumbers 9.0.43 as quoted in requirements §3.4). It is matched
here with a compiled regex rather than ``phonenumbers.parse`` +
``number_type``: that pair measured ~15 µs per call against ~1 µs for the
regex. ``tests/validate/test_mobile.py`` proves both accept exactly the same
numbers (exhaustively over every 5-digit prefix) and that the pattern is still
the one phonenumbers ships.

>>> normalize("+86 138-0013-8000")
'13800138000'
"""

from __future__ import annotations

import re

from piguard.errors import ValidationError
from piguard.validate._clean import clean_number, not_digits, without

__all__ = ["PATTERN", "is_valid", "normalize"]

#: libphonenumber's CN mobile national-number pattern (requirements §3.4).
PATTERN = r"1(?:610\d|740[0-5])\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}"

_MOBILE = re.compile(PATTERN, re.ASCII)
_DIGITS = re.compile(r"[0-9]+")


def normalize(raw: str) -> str:
    """Return the 11-digit mobile number.

    :param raw: the number as typed, e.g. ``+86 138 0013 8000``.
    :returns: the 11 digits.
    :raises ValidationError: ``"contains 'a' at position 4, not a digit"``,
        ``"wrong length"`` or ``"not a mainland mobile number range"``.
    """
    value = without(clean_number(raw), " -")
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    if not _DIGITS.fullmatch(value):
        raise ValidationError(not_digits(raw, " -+"))
    if len(value) != 11:
        raise ValidationError("wrong length")
    if not _MOBILE.fullmatch(value):
        raise ValidationError("not a mainland mobile number range")
    return value


def is_valid(raw: str) -> bool:
    """Return whether :func:`normalize` accepts ``raw``."""
    try:
        normalize(raw)
    except ValidationError:
        return False
    return True
