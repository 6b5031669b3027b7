"""Chinese postal addresses, anchored on a street or building number.

An address is found from its end: a street, lane or estate word followed by a
number (``建国路88号``, ``韦街b座``, ``幸福小区3栋``), extended forwards over
building, unit and room numbers and backwards over the place names before it.
The backward walk stops at punctuation, non-CJK characters and the verbs that
introduce an address (``住在``, ``地址为``, ``寄到``); within what it covered, the
address starts at the first province name from the shipped gazetteer
(``data/provinces.txt``). Searching forwards from a province instead cannot
decide where a place name without a province starts (``住在秀英市…``).

Score: 0.85 with a province, 0.75 with a city/district/county suffix, 0.65
with an address cue before it (``地址``, ``住在``), otherwise 0.4 (below threshold).
"""

from __future__ import annotations

import re

from piguard.detect.context import CueBook
from piguard.detect.data import words
from piguard.detect.finding import Finding
from piguard.detect.prefilter import Trigger
from piguard.detect.recognizer import ScanContext, ScanRecognizer

__all__ = ["AddressRecognizer"]

_ANCHOR = re.compile(
    r"(?:大道|大街|胡同|小区|花园|大厦|公寓|广场|新村|路|街|巷|弄|里|村|苑|园|道)"
    r"(?:[0-9]{1,5}(?:号院|号楼|号|弄|栋|幢|座)|[A-Za-z]座)"
    r"(?:[0-9A-Za-z]{1,5}(?:号楼|号院|号|栋|幢|座|单元|层|楼|室|户)|[-－][0-9]{1,5})*"
)
# Characters that cannot be inside a place or street name: they end the
# backward walk. Mostly verbs and particles that introduce an address.
_STOP = frozenset("在是到于往的住址为：:，,。；;、！？ \t\n（）()【】[]“”\"'到寄送发给从由")
_ADMIN_SUFFIX = re.compile(r"[省市区县镇乡州旗盟]")
_ADDRESS_CUE = re.compile(
    r"(?:地址|住址|住在|家住|寄到|寄往|送到|送至|收货|位于|居住|户籍|address)\W{0,3}$", re.I
)
#: How far back from the street word the walk goes, in characters.
MAX_BACK = 24


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


class AddressRecognizer(ScanRecognizer):
    """Finds postal addresses that end in a street/building number."""

    name = "address"
    types = frozenset({"address"})

    def __init__(self) -> None:
        provinces = sorted(words("provinces.txt"), key=len, reverse=True)
        self._provinces = re.compile("|".join(re.escape(p) for p in provinces))

    def triggers(self, cues: CueBook) -> tuple[Trigger, ...]:
        """A number followed by 号/弄/栋/幢/座, or a letter followed by 座 (every anchor has one)."""
        # Led by the CJK character, not by the digit or letter before it: the
        # prefilter would stop at every digit of a log line and every letter of
        # English text, and its byte-level stage only knows ASCII-led triggers.
        return (("号弄栋幢座", "(?<=[0-9].)"), ("座", "(?<=[A-Za-z]座)"))

    def scan(self, text: str, ctx: ScanContext, out: list[Finding]) -> None:
        """Append the addresses in ``text``."""
        if "号" not in text and "座" not in text and "栋" not in text and "幢" not in text:
            return  # Every anchor ends in one of these: skip the regex on most texts.
        last_end = 0
        for m in _ANCHOR.finditer(text):
            anchor = m.start()
            left = anchor
            floor = max(last_end, anchor - MAX_BACK)
            while left > floor and _is_cjk(text[left - 1]) and text[left - 1] not in _STOP:
                left -= 1
            head = text[left:anchor]
            # A province name that ends where the street word starts is the
            # street's name (北京路, 香港街), not a province.
            province = next((p for p in self._provinces.finditer(head) if p.end() < len(head)), None)
            if province is not None:
                start, base, why = left + province.start(), 0.85, "province"
            elif _ADMIN_SUFFIX.search(head):
                start, base, why = left, 0.75, "division suffix"
            elif _ADDRESS_CUE.search(text, max(0, left - ctx.window), left):
                start, base, why = left, 0.65, "cue"
            else:
                start, base, why = left, 0.4, "street only"
            if anchor - start < 1:
                continue  # "路3号" alone names no street.
            out.append(
                Finding(start, m.end(), "address", base, f"address: pattern=street number; start={why}")
            )
            last_end = m.end()
