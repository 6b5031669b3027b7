"""Mainland phone numbers of either kind: mobile first, then fixed line.

>>> normalize("138 0013 8000"), normalize("010 1234 5678")
('13800138000', '010-12345678')
"""

from __future__ import annotations

from piguard.errors import ValidationError
from piguard.validate import landline, mobile
from piguard.validate._clean import clean_number

__all__ = ["normalize"]


def normalize(raw: str) -> str:
    """Return the canonical mobile (11 digits) or fixed-line (``010-12345678``) form.

    :raises ValidationError: ``"not a valid mobile or landline number"``, or the
        hygiene reason (NUL, control characters, too long, empty) both kinds share.
    """
    clean_number(raw)  # Hygiene failures keep their own, more useful reason.
    for kind_normalize in (mobile.normalize, landline.normalize):
        try:
            return kind_normalize(raw)
        except ValidationError:
            continue
    raise ValidationError("not a valid mobile or landline number")
