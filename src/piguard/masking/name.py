"""The ``name`` operator: keep the surname, or the first letter of each word."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from piguard.data.surnames import COMPOUND_SURNAMES
from piguard.masking._text import MASK, is_han
from piguard.masking.operator import Operator

_COMPOUND = frozenset(COMPOUND_SURNAMES)


class Name(Operator):
    """Mask a person's name (requirements §2b).

    * Chinese names keep the surname: one character, or two for a compound
      surname (张三 → 张*, 张三丰 → 张**, 欧阳娜娜 → 欧阳**, 欧阳娜 → 欧阳*).
      A name that is only a compound surname (欧阳) is read as surname + given
      name, so it never shows whole.
    * Other scripts keep the first letter of each whitespace-separated word
      (John Smith → J*** S****); a one-letter word is hidden entirely.
    * A single-character name becomes ``*``.

    Every hidden character becomes one ``*``; whitespace is kept.
    """

    name: ClassVar[str] = "name"

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        body = value.lstrip()
        lead = value[: len(value) - len(body)]
        if body and is_han(body[0]):
            return lead + self._han(body)
        return lead + self._words(body)

    @staticmethod
    def _han(body: str) -> str:
        keep = 2 if len(body) > 2 and body[:2] in _COMPOUND else 1
        if len(body) <= 1:
            keep = 0
        return body[:keep] + "".join(ch if ch.isspace() else MASK for ch in body[keep:])

    @staticmethod
    def _words(body: str) -> str:
        out: list[str] = []
        word_start = True
        for i, ch in enumerate(body):
            if ch.isspace():
                out.append(ch)
                word_start = True
                continue
            # A one-letter word ("F" in "John F Kennedy") would be shown whole, so hide it.
            single = i + 1 == len(body) or body[i + 1].isspace()
            out.append(ch if word_start and not single else MASK)
            word_start = False
        return "".join(out)
