"""The ``bank_card`` operator (payment card numbers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from piguard.masking._params import choice_param
from piguard.masking._text import MASK, fit, is_digit_slot, render, slots
from piguard.masking.operator import Operator

STAFF = "staff"
CUSTOMER = "customer"


class BankCard(Operator):
    """Mask a card number for an audience.

    * ``staff``: first 6 (the issuer) + last 4, length and grouping kept:
      ``622202*********0128``. Cards shorter than 12 digits keep the last 4 only,
      so at most 10 digits ever show.
    * ``customer`` (the default, as the stricter one): ``**** 0128``; the length
      is not revealed.

    Fewer than 8 digits keep at most half of them.
    """

    name: ClassVar[str] = "bank_card"
    AUDIENCE: ClassVar[str] = "audience"
    AUDIENCES: ClassVar[tuple[str, str]] = (STAFF, CUSTOMER)
    params: ClassVar[frozenset[str]] = frozenset({AUDIENCE})

    def check_values(self, params: Mapping[str, Any]) -> None:
        choice_param(params, self.name, self.AUDIENCE, CUSTOMER, self.AUDIENCES)

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        audience = choice_param(params, self.name, self.AUDIENCE, CUSTOMER, self.AUDIENCES)
        index = slots(value, is_digit_slot)
        n = len(index)
        first, last = (6, 4) if audience == STAFF and n >= 12 else (0, 4)
        first, last = fit(first, last, n // 2 if n < 8 else first + last)
        if audience == STAFF:
            return render(value, index, first, last)
        tail = "".join(value[i] for i in index[n - last :]) if last else ""
        return f"{MASK * 4} {tail}" if tail else MASK * 4
