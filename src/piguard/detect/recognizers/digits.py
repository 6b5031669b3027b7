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
from collections.abc import Callable
from typing import Protocol

from piguard.detect.context import Cue, CueBook, adjust
from piguard.detect.finding import Finding
from piguard.detect.prefilter import Trigger
from piguard.detect.recognizer import PatternRecognizer, ScanContext
from piguard.detect.recognizers.bank_card import BankCardKind
from piguard.detect.recognizers.phone import LandlineKind, MobileKind
from piguard.detect.recognizers.resident_id import ResidentIdKind
from piguard.validate import uscc

__all__ = ["DIGITS", "DIGIT_RUN_TRIGGERS", "RUN_START", "DigitRunRecognizer", "NumberKind"]

#: ASCII and full-width digits, the first characters of digit triggers.
DIGITS = "0123456789\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19"

_D = "[0-9\uff10-\uff19]"
_SEP = "[ \\-\uff0d]"
_CC = "[8\uff18][6\uff16]"  # The country code 86, ASCII or full-width.
_OPEN, _CLOSE = "[(\uff08]", "[)\uff09]"
# Country-code prefixes: "+86", "0086", "(+86)", "(86)", or a bare "86" when a
# separator and a mobile's leading 1 follow ("86 138…", "86-138…"); a leading
# "(" otherwise only for an area code: "(010)12345678".
_PREFIXES = (
    rf"(?:[+\uff0b]|[0\uff10]{{2}}){_CC}{_SEP}?"
    rf"|{_OPEN}[+\uff0b]?{_CC}{_CLOSE}{_SEP}?"
    rf"|{_CC}(?:{_SEP}(?=[1\uff11][3-9\uff13-\uff19])|(?=[1\uff11][3-9\uff13-\uff19]{_D}{{9}}(?!{_D})))"
    rf"|{_OPEN}[0\uff10]{_D}{{2,3}}{_CLOSE}{_SEP}?"
)
_PATTERN = (
    r"(?<![0-9A-Za-z\uff10-\uff19.@_])"
    # One class test turns away the token starts no prefix can begin with.
    rf"(?:(?=[+\uff0b0\uff10(\uff088\uff18])(?:{_PREFIXES}))?"
    # A mobile written with dots ("138.1234.5678"), tried before the general run.
    rf"(?:1[3-9][0-9]\.[0-9]{{4}}\.[0-9]{{4}}"
    rf"|{_D}(?:{_SEP}?{_D}){{5,24}}(?:[Xx\uff38\uff58](?![0-9A-Za-z]))?)"
    r"(?![0-9A-Za-z\uff10-\uff19@_]|\.[0-9])"
)
#: Starts every digit trigger (after its first digit): "the digit before was not
#: a digit". re factors this shared look-behind out of the alternation, so inside
#: a run one test turns every digit trigger away.
RUN_START = "(?<![0-9\uff10-\uff19].)"
# The digit-run pattern's own rule: no letter, ".", "@" or "_" before a run
# (hex trace ids are full of digit runs glued to letters).
_NOT_AFTER = "(?<![A-Za-z.@_].)"
#: Bulk-mode triggers of the digit-run kinds, each from the first digit of a
#: group: every span a kind accepts starts with one. Either a whole run of 10–19
#: digits (an ID may end in X), or a grouping: 2-6|4|4 (mobile 3-4-4, cards
#: 4-4-4-4, IDs 6-4-4-4), 2-6|7+ (landlines, mobile 3-8, IDs 6-8-4), 6-7|4 (mobile
#: 7-4, IDs 6-6-3), or a parenthesised area code. Timestamps (4-2-2 2:2:2),
#: amounts and 20-digit order numbers match none of them.
DIGIT_RUN_TRIGGERS: tuple[Trigger, ...] = (
    (DIGITS, rf"{RUN_START}{_NOT_AFTER}{_D}{{9,18}}[Xx]?(?!{_D})"),
    (DIGITS, rf"{RUN_START}{_NOT_AFTER}{_D}{{1,5}}{_SEP}(?:{_D}{{4}}{_SEP}{_D}{{4}}|{_D}{{7}})"),
    (DIGITS, rf"{RUN_START}{_NOT_AFTER}{_D}{{5,6}}{_SEP}{_D}{{4}}"),
    (")", rf"{_SEP}?{_D}{{7}}"),
    # A dotted mobile, 3.4.4.
    ("1", rf"{RUN_START}{_NOT_AFTER}[3-9][0-9]\.[0-9]{{4}}\.[0-9]{{4}}"),
)
# The prefix as the pattern admits it, on the folded token.
_PREFIX = re.compile(r"(?:\(\+?86\)|\+86|0086)[ \-]?|86(?:[ \-](?=1[3-9])|(?=1[3-9][0-9]{9}(?![0-9])))")
# A later group of a run that is a prefixed mobile on its own ("…5678 8613812345678"): the
# pattern joins space-separated numbers into one run, so the prefix is only seen at its start.
_INNER_PREFIXED = re.compile(r"(?:00)?861[3-9][0-9]{9}")
_GROUP = re.compile(r"[0-9]+[Xx]?")
# Amount and unit words right after a number mean it is not PI.
_UNIT_AFTER = frozenset("元块万圆%￥美岁年月日天次件个秒")
_FOLD = str.maketrans("０１２３４５６７８９＋－（）Ｘｘ.", "0123456789+-()Xx ")


class NumberKind(Protocol):
    """A type that a digit run may be; see :class:`ResidentIdKind` for an example.

    Two steps, so that the context cue (the costliest lookup) is only searched
    for runs whose shape and checksum already fit some kind.
    """

    type: str
    lengths: frozenset[int]
    #: The checks a run passed when this kind reports it (part of the finding's reason).
    checks: str

    def check(self, digits: str, groups: tuple[int, ...], prefixed: bool) -> float:
        """Return the score before context if ``digits`` (written in ``groups``) fit; 0 if not."""
        ...

    def with_cue(self, base: float, digits: str, cue: Cue | None) -> float:
        """Return the final score of a run :meth:`check` accepted, given its cue; 0 to reject."""
        ...


_Step = tuple[
    str,
    Callable[[str, tuple[int, ...], bool], float],
    Callable[[float, str, "Cue | None"], float],
    str,
]


class _UsccDigitsKind:
    """An all-digit unified social credit code; only with a cue (it looks like anything)."""

    type = "uscc"
    lengths = frozenset({18})
    checks = "checksum=gb32100"

    def check(self, digits: str, groups: tuple[int, ...], prefixed: bool) -> float:
        return 0.0 if prefixed else 0.6

    def with_cue(self, base: float, digits: str, cue: Cue | None) -> float:
        if cue is None or self.type not in cue.types or not uscc.is_valid(digits):
            return 0.0
        return adjust(base, cue, self.type)


class DigitRunRecognizer(PatternRecognizer):
    """Finds resident IDs, bank cards, mobile and fixed-line numbers in runs of digits."""

    name = "digits"
    token_start = True
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
        # Digit count -> the kinds that accept it, in order; the wanted-type
        # filter is applied per scan (see _by_length).
        self._by_length = {n: tuple(k for k in self.kinds if n in k.lengths) for n in range(10, 20)}
        self._plans: dict[frozenset[str], dict[int, tuple[_Step, ...]]] = {}

    def triggers(self, cues: CueBook) -> tuple[Trigger, ...]:
        """A whole run of 10–19 digits, or a grouping some kind accepts (see DIGIT_RUN_TRIGGERS)."""
        return DIGIT_RUN_TRIGGERS

    def verify(self, text: str, start: int, end: int, ctx: ScanContext, out: list[Finding]) -> None:
        """Cut the run into digit groups and report the longest accepted spans."""
        if end < len(text) and text[end] in _UNIT_AFTER:
            return
        token = text[start:end]
        if token.isascii():
            # Fast path, most runs: one group of plain digits (an ID may end in
            # x or X), so there is one span to try and nothing to clean.
            if token.isdigit() and not (token[:2] == "86" or token[:4] == "0086"):
                if 10 <= len(token) <= 19:
                    self._classify(text, start, end, token, (len(token),), ctx, False, out)
                return
            if token[-1] in "xX" and token[:-1].isdigit():
                if len(token) in (15, 18):
                    self._classify(text, start, end, token[:-1] + "X", (len(token),), ctx, False, out)
                return
        # Full-width digits, plus, dash and parentheses fold to ASCII one for one,
        # so offsets hold; the dots of "138.1234.5678" (the only dotted form the
        # pattern admits) fold to spaces.
        folded = token.translate(_FOLD)
        prefix = _PREFIX.match(folded) if folded[0] in "+0(8" else None
        offset = prefix.end() if prefix else 0
        if "(" in folded:  # "(0755)86001234": rare, let the group regex cut it.
            groups = [(m.start(), m.end()) for m in _GROUP.finditer(folded, offset)]
            parts = [folded[g0:g1] for g0, g1 in groups]
        else:
            # The pattern allows exactly one separator between digits, so a
            # split gives the groups and their offsets follow from the lengths.
            parts = folded[offset:].replace("-", " ").split(" ")
            groups = []
            at = offset
            for part in parts:
                groups.append((at, at + len(part)))
                at += len(part) + 1
        n = len(groups)
        i = 0
        while i < n:
            for j in range(n - 1, i - 1, -1):
                # The first span starts at the token start: "+86 " or "(" belongs to it.
                lo = (0 if prefix or token[0] == "(" else offset) if i == 0 else groups[i][0]
                digits = "".join(parts[i : j + 1])
                if not 10 <= len(digits) <= 19:
                    continue
                if digits[-1] in "xX":
                    if len(digits) not in (15, 18):
                        continue
                    digits = digits[:-1] + "X"
                elif not digits.isdigit():
                    continue
                sizes = tuple(map(len, parts[i : j + 1]))
                hi = groups[j][1]
                if i == j and (i or not prefix) and _INNER_PREFIXED.fullmatch(digits):
                    if self._classify(text, start + lo, start + hi, digits[-11:], (11,), ctx, True, out):
                        i = j + 1
                        break
                if self._classify(
                    text, start + lo, start + hi, digits, sizes, ctx, i == 0 and bool(prefix), out
                ):
                    i = j + 1
                    break
            else:
                i += 1

    def _plan(self, wanted: frozenset[str]) -> dict[int, tuple[_Step, ...]]:
        # Digit count -> (type, check, with_cue) of the wanted kinds that accept
        # it, in order; bound methods looked up once per set of wanted types.
        plan = self._plans.get(wanted)
        if plan is None:
            plan = self._plans[wanted] = {
                n: tuple((k.type, k.check, k.with_cue, k.checks) for k in kinds if k.type in wanted)
                for n, kinds in self._by_length.items()
            }
        return plan

    def _classify(
        self,
        text: str,
        lo: int,
        hi: int,
        digits: str,
        sizes: tuple[int, ...],
        ctx: ScanContext,
        prefixed: bool,
        out: list[Finding],
    ) -> bool:
        cue: Cue | None = None
        looked = False
        for type_, check, with_cue, checks in self._plan(ctx.types)[len(digits)]:
            base = check(digits, sizes, prefixed)
            if base <= 0.0:
                continue
            if not looked:
                cue, looked = ctx.cues.nearest(text, lo, ctx.window), True
            score = with_cue(base, digits, cue)
            if score > 0.0:
                shape = "-".join(map(str, sizes)) if len(sizes) > 1 else str(sizes[0])
                reason = f"{type_}: pattern=digits {shape}{'; prefix=+86' if prefixed else ''}; {checks}"
                if cue is not None and not cue.negative and type_ in cue.types:
                    reason += f"; cue={cue.word}"
                out.append(Finding(lo, hi, type_, score, reason))
                return True
        return False
