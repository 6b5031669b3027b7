"""Unified Social Credit Codes (统一社会信用代码), GB 32100-2015 (R-VAL-1).

18 characters from ``0-9 A-H J-N P-R T U W-Y`` ending in a mod-31 check
character, checked with :mod:`stdnum.cn.uscc`. The registration-authority
character is not checked against a list (new authorities get added), nor is
the optional GB 11714 check on positions 9–17 (requirements §3.3).
The canonical form is uppercase without spaces or dashes.

>>> normalize("91350100m000100y43")
'91350100M000100Y43'
"""

from __future__ import annotations

from stdnum import exceptions
from stdnum.cn import uscc

from piguard.errors import ValidationError
from piguard.validate._clean import clean_number

__all__ = ["is_valid", "normalize"]


def normalize(raw: str) -> str:
    """Return the canonical code.

    :raises ValidationError: ``"wrong length"``, ``"contains characters not used in
        the code"`` or ``"checksum does not match"``.
    """
    value = clean_number(raw)
    try:
        return str(uscc.validate(value))
    except exceptions.InvalidLength:
        raise ValidationError("wrong length") from None
    except exceptions.InvalidChecksum:
        raise ValidationError("checksum does not match") from None
    except exceptions.ValidationError:
        raise ValidationError("contains characters not used in the code") from None


def is_valid(raw: str) -> bool:
    """Return whether :func:`normalize` accepts ``raw``."""
    try:
        normalize(raw)
    except ValidationError:
        return False
    return True
