"""The ``passport`` operator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from piguard.masking._text import fit, is_alnum_slot, render, slots
from piguard.masking.operator import Operator


class Passport(Operator):
    """Keep the first and last 3 letters or digits: ``E*****678``.

    Short numbers keep at most half of their characters.
    """

    name: ClassVar[str] = "passport"

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        index = slots(value, is_alnum_slot)
        first, last = fit(1, 3, len(index) // 2)
        return render(value, index, first, last)
