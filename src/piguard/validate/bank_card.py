"""Bank card numbers (PAN), ISO/IEC 7812 with the Luhn check (R-VAL-1).

Cards have 16 to 19 digits (UnionPay cards start with ``62``). Spaces and dashes
are allowed between digit groups; the canonical form is the bare digits.
Some legacy domestic cards are said to fail Luhn, so a catalog can choose to
accept them with a warning (``on_bad_checksum="warn"``) instead of rejecting.

>>> normalize("6222 0212 3456 7890 128")
'6222021234567890128'
>>> check("6222021234567890123", on_bad_checksum="warn")
('6222021234567890123', ['checksum does not match'])
"""

from __future__ import annotations

import re

from stdnum import luhn

from piguard.errors import ValidationError
from piguard.validate._clean import clean_number, not_digits, without

__all__ = ["BAD_CHECKSUM", "ON_BAD_CHECKSUM", "check", "is_valid", "luhn_ok", "normalize"]

#: The choices of the ``on_bad_checksum`` option.
ON_BAD_CHECKSUM = ("reject", "warn")
#: The warning (and rejection reason) for a failed Luhn check.
BAD_CHECKSUM = "checksum does not match"

_DIGITS = re.compile(r"[0-9]+")


def luhn_ok(digits: str) -> bool:
    """Return whether a string of ASCII digits passes the Luhn check."""
    return bool(digits) and luhn.is_valid(digits)


def check(raw: str, on_bad_checksum: str = "reject") -> tuple[str, list[str]]:
    """Normalize ``raw`` and report any warnings.

    :param raw: the card number as typed.
    :param on_bad_checksum: ``"reject"`` raises on a failed Luhn check; ``"warn"``
        returns the digits with the warning ``"checksum does not match"``.
    :returns: the digits and the list of warnings (empty when all checks pass).
    :raises ValidationError: ``"contains 'a' at position 4, not a digit"``,
        ``"wrong length"``, ``"checksum does not match"`` (reject mode only),
        or if ``on_bad_checksum`` is not one of :data:`ON_BAD_CHECKSUM`.
    """
    if on_bad_checksum not in ON_BAD_CHECKSUM:
        raise ValidationError("option on_bad_checksum must be 'reject' or 'warn'")
    digits = without(clean_number(raw), " -")
    if not _DIGITS.fullmatch(digits):
        raise ValidationError(not_digits(raw, " -"))
    if not 16 <= len(digits) <= 19:
        raise ValidationError("wrong length")
    if luhn_ok(digits):
        return digits, []
    if on_bad_checksum == "reject":
        raise ValidationError(BAD_CHECKSUM)
    return digits, [BAD_CHECKSUM]


def normalize(raw: str, *, on_bad_checksum: str = "reject") -> str:
    """Return the card number as bare digits; see :func:`check` for the rules and errors."""
    return check(raw, on_bad_checksum)[0]


def is_valid(raw: str) -> bool:
    """Return whether ``raw`` is a card number that passes every check, Luhn included."""
    try:
        check(raw, "reject")
    except ValidationError:
        return False
    return True
