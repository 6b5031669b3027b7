"""Passport numbers.

PRC passports (``country="CN"``, the default) have a type letter ``E``, ``G``,
``D``, ``S`` or ``P`` and 8 digits (``E12345678``), or, for newer ordinary
passports, ``E`` + a letter + 7 digits (``EA1234567``). For any other issuing
country only the generic shape is checked: 6 to 9 letters and digits.
The canonical form is uppercase without spaces.

>>> normalize("e 1234 5678")
'E12345678'
>>> normalize("x1234567", country="DE")
'X1234567'
"""

from __future__ import annotations

import re

from piguard.errors import ValidationError
from piguard.validate._clean import clean_number, without

__all__ = ["is_valid", "normalize"]

_PRC = re.compile(r"[EGDSP][0-9]{8}|E[A-Z][0-9]{7}")
_GENERIC = re.compile(r"[A-Z0-9]{6,9}")
_COUNTRY = re.compile(r"[A-Z]{2}")


def normalize(raw: str, *, country: str = "CN") -> str:
    """Return the canonical passport number.

    :param raw: the number as typed.
    :param country: ISO 3166-1 alpha-2 code of the issuing country.
    :raises ValidationError: ``"not a valid PRC passport number"``,
        ``"not a valid passport number"``, or if ``country`` is not two uppercase letters.
    """
    if not _COUNTRY.fullmatch(country):
        raise ValidationError("option country must be an ISO 3166-1 alpha-2 code")
    value = without(clean_number(raw), " ").upper()
    if country == "CN":
        if not _PRC.fullmatch(value):
            raise ValidationError("not a valid PRC passport number")
    elif not _GENERIC.fullmatch(value):
        raise ValidationError("not a valid passport number")
    return value


def is_valid(raw: str, *, country: str = "CN") -> bool:
    """Return whether :func:`normalize` accepts ``raw``."""
    try:
        normalize(raw, country=country)
    except ValidationError:
        return False
    return True
