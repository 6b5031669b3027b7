"""Context cues: words near a candidate that make it more or less likely to be PI.

Windows are counted in characters, not tokens: Chinese has no spaces, and a
token-based window (Presidio's) never sees a multi-character cue such as
``身份证`` once the text is split into single characters. The window stops at
clause punctuation (``，。；！？`` and line breaks), so a cue in the previous
clause does not leak into this one, and only the *nearest* cue counts:
in ``订单号123，手机13812345678`` the phone's cue is ``手机``, not ``订单号``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

__all__ = [
    "CLAUSE_ENDS",
    "DEFAULT_CUES",
    "NUMBER_TYPES",
    "SHIPPED_SETTINGS",
    "Cue",
    "CueBook",
    "adjust",
    "caseless",
    "cue_reason",
    "word_scanner",
]

#: Types whose candidates are digit strings that order numbers, tracking numbers
#: or amounts can imitate; negative cues only apply to these.
NUMBER_TYPES = frozenset({"resident_id", "mobile", "landline", "bank_card", "uscc", "passport", "ip"})


@dataclass(frozen=True, slots=True)
class Cue:
    """A context word.

    :param word: the word as it appears (ASCII matched case-insensitively).
    :param types: the PI types it announces; empty for a negative cue.
    :param negative: True when the word announces something that is *not* PI.
    """

    word: str
    types: frozenset[str]
    negative: bool


# The shipped context words live in data/detection.json with the per-type
# thresholds (settings, not code); an installation may override them
# (piguard.detect.settings).
_SHIPPED = json.loads(resources.files("piguard.detect").joinpath("data", "detection.json").read_text("utf-8"))
_POSITIVE: dict[str, tuple[str, ...]] = {t: tuple(w) for t, w in _SHIPPED["cues"].items()}
#: Words that announce a number that is not personal information.
_NEGATIVE: tuple[str, ...] = tuple(_SHIPPED["negative_cues"])

# Characters that end a clause; a cue before one of them belongs to another clause.
CLAUSE_ENDS = "，。；！？,;!?\n"
# What may stand between a cue and its value: "身份证号：110…", "ID no 110…".
_GLUE = frozenset(" :：#")


def caseless(word: str) -> str:
    """Return a regex for ``word`` with ASCII letters in both cases, without ``re.IGNORECASE``.

    The IGNORECASE flag makes :mod:`re` give up its first-character prefilter,
    which is what keeps the cue scan at C speed (see :func:`word_scanner`).
    """
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isascii() and c.isalpha() else re.escape(c) for c in word)


def word_scanner(words: Iterable[str], extra_singles: str = "") -> str:
    """Return a regex matching any of ``words`` (longest first), led by a character class.

    A plain alternation ``w1|w2|…`` makes :mod:`re` try every alternative at
    every position of the text (~7 MB/s on Chinese text). Written as
    ``[first characters](?:rest1(?<=w1)|rest2(?<=w2)|…)`` the engine skips, in
    C, to the characters that can start a word, then each alternative fails on
    its first literal; the look-behind confirms the whole word. Single-character
    words (and ``extra_singles``) match through the final look-behind class.
    ASCII letters match in both cases.
    """
    ordered = sorted(set(words), key=len, reverse=True)
    firsts = {c for w in ordered for c in (w[0].lower(), w[0].upper())} | set(extra_singles)
    singles = "".join(w for w in ordered if len(w) == 1) + extra_singles
    alternatives = [f"{caseless(w[1:])}(?<={caseless(w)})" for w in ordered if len(w) > 1]
    if singles:
        alternatives.append(f"(?<=[{re.escape(singles)}])")
    head = "".join(re.escape(c) for c in sorted(firsts))
    return f"[{head}](?:{'|'.join(alternatives)})"


class CueBook:
    """A compiled set of cues, searched in a window before a candidate.

    :param positive: PI type -> words announcing it.
    :param negative: words announcing a non-PI number.
    """

    def __init__(self, positive: dict[str, tuple[str, ...]], negative: tuple[str, ...]) -> None:
        table: dict[str, tuple[set[str], bool]] = {}
        for type_, cue_words in positive.items():
            for word in cue_words:
                table.setdefault(word.lower(), (set(), False))[0].add(type_)
        for word in negative:
            table[word.lower()] = (set(), True)
        cues = {w: Cue(w, frozenset(types), neg) for w, (types, neg) in table.items()}
        # Lookup by the text as written: every case variant of an ASCII cue is
        # filled in on first sight (see nearest); clause ends map to None.
        self._lookup: dict[str, Cue | None] = {**cues, **dict.fromkeys(CLAUSE_ENDS)}
        self._cues = cues
        # One scan finds cues and clause ends together; longest first, so that
        # 订单号 is one (negative) cue and not 号 or 单号.
        self._regex = re.compile(word_scanner(cues, CLAUSE_ENDS))
        # Last two characters (lowercased) -> (word, is ASCII, cue), longest
        # first; one-character words apart. Most values are glued to their cue
        # ("手机138…", "身份证号：110…"), and checking the few words that end right
        # there is ~4x cheaper than scanning the window. Keyed by two characters
        # because ~30 cues end in 号.
        by_tail: dict[str, list[tuple[str, bool, Cue]]] = {}
        for word, cue in cues.items():
            if len(word) > 1:
                by_tail.setdefault(word[-2:], []).append((word, word.isascii(), cue))
        self._by_tail = {
            tail: tuple(sorted(entries, key=lambda e: -len(e[0]))) for tail, entries in by_tail.items()
        }
        self._single = {word: cue for word, cue in cues.items() if len(word) == 1}

    def words_for(self, type_: str) -> tuple[str, ...]:
        """Return the positive cue words announcing ``type_`` (lowercase)."""
        return tuple(w for w, cue in self._cues.items() if type_ in cue.types)

    def nearest(self, text: str, start: int, window: int) -> Cue | None:
        """Return the cue closest before ``start`` within ``window`` characters and the same clause.

        :param text: the whole text.
        :param start: index of the candidate's first character.
        :param window: how many characters to look back.
        """
        lo = start - window if start > window else 0
        end = start
        while end > lo and text[end - 1] in _GLUE:
            end -= 1
        if end > lo:
            for word, ascii_, cue in self._by_tail.get(text[end - 2 if end > 1 else 0 : end].lower(), ()):
                begin = end - len(word)
                if begin >= lo and (
                    text[begin:end].lower() == word if ascii_ else text.startswith(word, begin, end)
                ):
                    return cue
            single = self._single.get(text[end - 1])
            if single is not None:
                return single
        last = None
        for last in self._regex.finditer(text, lo, end):  # noqa: B007
            pass
        if last is None:
            return None
        word = last.group()
        try:
            return self._lookup[word]
        except KeyError:  # An ASCII cue written in another case ("Card", "TEL").
            cue = self._lookup[word] = self._cues[word.lower()]
            return cue


DEFAULT_CUES = CueBook(_POSITIVE, _NEGATIVE)
#: The shipped detection settings as read from ``data/detection.json``.
SHIPPED_SETTINGS: dict[str, object] = _SHIPPED


def cue_reason(cue: Cue | None, type_: str) -> str:
    """Return ``"; cue=<word>"`` when ``cue`` announces ``type_`` (a reason part), else ``""``."""
    if cue is None or cue.negative or type_ not in cue.types:
        return ""
    return f"; cue={cue.word}"


def adjust(base: float, cue: Cue | None, type_: str) -> float:
    """Return ``base`` raised by a positive cue for ``type_`` or zeroed by a negative one.

    A cue announcing a *different* type leaves the score alone: ``手机`` before a
    card number says little either way.
    """
    if cue is None:
        return base
    if cue.negative:
        return 0.0 if type_ in NUMBER_TYPES else base
    if type_ in cue.types:
        return max(base, min(1.0, base + 0.3), 0.95)
    return base
