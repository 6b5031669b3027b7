"""Runs of digits: resident IDs, bank cards, mobile and fixed-line numbers, all-digit USCCs.

These types share one regex fragment, a run of digits with optional single
separators, because they compete for the same characters. Splitting them into
one fragment each would let the first fragment that matches hide the others
(an 18-digit ID that fails its checksum could never be tried as a card).
Each run is cut into its digit groups and the longest span of consecutive
groups that some kind accepts wins, so a timestamp glued to a phone number
(``2024-01-15 13812345678``) still yields the phone.

Kinds are tried in a fixed order: resident ID, bank card, mobile, landline,
USCC. So an 18-digit number that passes both GB 11643 and Luhn is an ID,
unless its cue says card (``卡号``).
"""

from __future__ import annotations

import re
from typing import Protocol

from piguard.detect.context import Cue, adjust
from piguard.detect.finding import Finding
from piguard.detect.recognizer import PatternRecognizer, ScanContext
from piguard.detect.recognizers.bank_card import BankCardKind
from piguard.detect.recognizers.phone import LandlineKind, MobileKind
from piguard.detect.recognizers.resident_id import ResidentIdKind
from piguard.validate import uscc

__all__ = ["DigitRunRecognizer", "NumberKind"]

_D = "[0-9\uff10-\uff19]"
_SEP = "[ \\-\uff0d]"
# A leading "(" is allowed only for an area code: "(010)12345678".
_PATTERN = (
    r"(?<![0-9A-Za-z\uff10-\uff19.@_])"
    rf"(?:(?:\+|\uff0b|00)86{_SEP}?|\(0[0-9]{{2,3}}\){_SEP}?)?"
    rf"{_D}(?:{_SEP}?{_D}){{5,24}}(?:[Xx](?![0-9A-Za-z]))?"
    r"(?![0-9A-Za-z\uff10-\uff19@_]|\.[0-9])"
)
_PREFIX = re.compile(r"(?:\+|\uff0b|00)86[ \-\uff0d]?")
_GROUP = re.compile(r"[0-9\uff10-\uff19]+[Xx]?")
# Amount and unit words right after a number mean it is not PI.
_UNIT_AFTER = frozenset("元块万圆%￥美岁年月日天次件个秒")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


class NumberKind(Protocol):
    """A type that a digit run may be; see :class:`ResidentIdKind` for an example."""

    type: str
    lengths: frozenset[int]

    def score(self, digits: str, groups: tuple[int, ...], prefixed: bool, cue: Cue | None) -> float:
        """Return the confidence that ``digits`` (written in ``groups``) is this type; 0 if not."""
        ...


class _UsccDigitsKind:
    """An all-digit unified social credit code; only with a cue (it looks like anything)."""

    type = "uscc"
    lengths = frozenset({18})

    def score(self, digits: str, groups: tuple[int, ...], prefixed: bool, cue: Cue | None) -> float:
        if prefixed or cue is None or self.type not in cue.types or not uscc.is_valid(digits):
            return 0.0
        return adjust(0.6, cue, self.type)


class DigitRunRecognizer(PatternRecognizer):
    """Finds resident IDs, bank cards, mobile and fixed-line numbers in runs of digits."""

    name = "digits"
    pattern = _PATTERN

    def __init__(self, kinds: tuple[NumberKind, ...] | None = None) -> None:
        self.kinds: tuple[NumberKind, ...] = kinds or (
            ResidentIdKind(),
            BankCardKind(),
            MobileKind(),
            LandlineKind(),
            _UsccDigitsKind(),
        )
        self.types = frozenset(k.type for k in self.kinds)

    def verify(self, text: str, start: int, end: int, ctx: ScanContext, out: list[Finding]) -> None:
        """Cut the run into digit groups and report the longest accepted spans."""
        if text[end : end + 1] in _UNIT_AFTER and end < len(text):
            return
        kinds = [k for k in self.kinds if k.type in ctx.types]
        token = text[start:end]
        prefix = _PREFIX.match(token)
        offset = prefix.end() if prefix else 0
        groups = [(m.start(), m.end()) for m in _GROUP.finditer(token, offset)]
        n = len(groups)
        i = 0
        while i < n:
            for j in range(n - 1, i - 1, -1):
                # The first span starts at the token start: "+86 " or "(" belongs to it.
                lo = (0 if prefix or token[0] == "(" else offset) if i == 0 else groups[i][0]
                hi = groups[j][1]
                finding = self._classify(
                    text,
                    start + lo,
                    start + hi,
                    groups[i : j + 1],
                    token,
                    kinds,
                    ctx,
                    i == 0 and bool(prefix),
                )
                if finding is not None:
                    out.append(finding)
                    i = j + 1
                    break
            else:
                i += 1

    @staticmethod
    def _classify(
        text: str,
        lo: int,
        hi: int,
        groups: list[tuple[int, int]],
        token: str,
        kinds: list[NumberKind],
        ctx: ScanContext,
        prefixed: bool,
    ) -> Finding | None:
        digits = "".join(token[a:b] for a, b in groups)
        length = len(digits)
        if length < 10 or length > 19:
            return None
        digits = digits.translate(_FULLWIDTH_DIGITS)
        if digits[-1] in "xX":
            if length not in (15, 18):
                return None
            digits = digits[:-1] + "X"
        elif not digits.isdigit():
            return None
        sizes = tuple(b - a for a, b in groups)
        cue = ctx.cues.nearest(text, lo, ctx.window)
        for kind in kinds:
            if length in kind.lengths:
                score = kind.score(digits, sizes, prefixed, cue)
                if score > 0.0:
                    return Finding(lo, hi, kind.type, score)
        return None
