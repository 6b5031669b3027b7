"""The ``mobile`` and ``mobile_seed`` operators."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from piguard.masking._params import choice_param
from piguard.masking._text import fit, is_digit_slot, render, slots
from piguard.masking.operator import Operator

#: A China country prefix: "+86", "(+86)", "0086", or a bare "86" in front of a full 11-digit mobile.
_CN_PREFIX = re.compile(r"\s*(?:\(\+86\)|\+86|0086|86(?=[\s-]*1\d{2}[\s-]*\d{4}[\s-]*\d{4}\s*$))")
#: Length of a mainland mobile number without the country prefix.
NATIONAL_LENGTH = 11


def mask_mobile(value: str, first: int, last: int) -> str:
    """Keep ``first`` and ``last`` digits of the national number.

    Only digits are slots; separators are kept and other characters hidden. A
    leading China prefix (``+86``) is kept as formatting: it is the same for
    every customer and says nothing about this one. A number shorter than the
    11 digits of a mainland mobile keeps at most half of its digits.

    :returns: ``value`` with the same length, never more than ``first + last``
        national digits visible.
    """
    match = _CN_PREFIX.match(value)
    prefix = match.group(0) if match else ""
    rest = value[len(prefix) :]
    index = slots(rest, is_digit_slot)
    if len(index) < NATIONAL_LENGTH:
        first, last = fit(first, last, len(index) // 2)
    return prefix + render(rest, index, first, last)


class Mobile(Operator):
    """First 3 + last ``keep_last`` (4 by default, or 2) digits: ``138****8000``."""

    name: ClassVar[str] = "mobile"
    KEEP_LAST: ClassVar[str] = "keep_last"
    params: ClassVar[frozenset[str]] = frozenset({KEEP_LAST})

    def check_values(self, params: Mapping[str, Any]) -> None:
        choice_param(params, self.name, self.KEEP_LAST, 4, (2, 4))

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        last = choice_param(params, self.name, self.KEEP_LAST, 4, (2, 4))
        return mask_mobile(value, 3, last)


class MobileSeed(Operator):
    """The seed format, first 3 + last 2 digits: ``138******00``."""

    name: ClassVar[str] = "mobile_seed"

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        return mask_mobile(value, 3, 2)
