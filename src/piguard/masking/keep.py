"""The generic ``keep`` operator: keep some leading and trailing characters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from piguard.masking._params import char_param, int_param
from piguard.masking._text import MASK, fit, render
from piguard.masking.operator import Operator


class Keep(Operator):
    """Keep ``first`` and ``last`` characters and mask every other one, preserving length.

    At least half of the value is always hidden: when the value is too short for
    ``first + last`` the operator keeps fewer (leading ones go first), e.g.
    ``keep(first=3, last=4)`` on ``"123456"`` gives ``"***456"``.
    """

    name: ClassVar[str] = "keep"
    FIRST: ClassVar[str] = "first"
    LAST: ClassVar[str] = "last"
    CHAR: ClassVar[str] = "char"
    params: ClassVar[frozenset[str]] = frozenset({FIRST, LAST, CHAR})

    def check_values(self, params: Mapping[str, Any]) -> None:
        int_param(params, self.name, self.FIRST, 0)
        int_param(params, self.name, self.LAST, 0)
        char_param(params, self.name, self.CHAR, MASK)

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        first = int_param(params, self.name, self.FIRST, 0)
        last = int_param(params, self.name, self.LAST, 0)
        char = char_param(params, self.name, self.CHAR, MASK)
        first, last = fit(first, last, len(value) // 2)
        # Every character is a slot: nothing is "formatting" to a generic rule.
        return render(value, list(range(len(value))), first, last, keep_as_is=lambda _: False, char=char)
