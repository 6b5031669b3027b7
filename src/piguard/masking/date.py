"""The ``date`` operator: show the year only."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from piguard.masking._text import MASK
from piguard.masking.operator import Operator

#: A year: a run of exactly 4 digits, or the first 4 of a compact YYYYMMDD run.
_YEAR = re.compile(r"(?<!\d)(\d{4})(?:\d{4})?(?!\d)")
#: Separators shown as they are ("1990-**-**", "1990年*月**日").
_SEPARATORS = frozenset(" -/.,:年月日")


class Date(Operator):
    """Keep the year, hide everything else: ``1990-05-17`` → ``1990-**-**``.

    Month names are hidden as well as digits (``May 17, 1990`` → ``*** **, 1990``).
    A value with no recognisable year has every letter and digit hidden.
    """

    name: ClassVar[str] = "date"

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        match = _YEAR.search(value)
        start, end = match.span(1) if match else (0, 0)
        shown = (start <= i < end or ch in _SEPARATORS or ch.isspace() for i, ch in enumerate(value))
        return "".join(ch if show else MASK for ch, show in zip(value, shown, strict=True))
