"""The ``resident_id`` operator (GB 11643 resident identity numbers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from piguard.masking._params import int_param
from piguard.masking._text import fit, is_alnum_slot, render, slots
from piguard.masking.operator import Operator

#: Slots 7-14 (1-based) of an 18-character ID hold the birth date YYYYMMDD.
_BIRTH_18 = range(6, 14)
#: Slots 7-12 (1-based) of a legacy 15-digit ID hold the birth date YYMMDD.
_BIRTH_15 = range(6, 12)


class ResidentId(Operator):
    """Keep the first 3 and last 4 characters: ``110***********002X``.

    The birth date (positions 7-14) is hidden whatever the parameters say; it
    gives away age and is half of what is needed to guess the rest (R-USE-4).
    A legacy 15-digit ID keeps first 3 + last 3, since its birth date ends at
    position 12. Any other length keeps at most half of its characters. Only
    letters and digits count; separators are kept.
    """

    name: ClassVar[str] = "resident_id"
    FIRST: ClassVar[str] = "first"
    LAST: ClassVar[str] = "last"
    #: The address code (6) and the sequence + check digits (4) bound what may show.
    MAX_FIRST: ClassVar[int] = 6
    MAX_LAST: ClassVar[int] = 4
    params: ClassVar[frozenset[str]] = frozenset({FIRST, LAST})

    def check_values(self, params: Mapping[str, Any]) -> None:
        int_param(params, self.name, self.FIRST, 3, maximum=self.MAX_FIRST)
        int_param(params, self.name, self.LAST, 4, maximum=self.MAX_LAST)

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        first = int_param(params, self.name, self.FIRST, 3, maximum=self.MAX_FIRST)
        last = int_param(params, self.name, self.LAST, 4, maximum=self.MAX_LAST)
        index = slots(value, is_alnum_slot)
        n = len(index)
        if n not in (15, 18):
            first, last = fit(first, last, n // 2)
        hidden = _BIRTH_15 if n == 15 else _BIRTH_18
        return render(value, index, first, last, hidden=hidden)
