"""The bulk-mode prefilter: one cheap scan that says which lines may hold PI.

Each recognizer declares *triggers*: necessary conditions for any finding it
can report, as ``(first characters, rest of a regex)`` pairs (a digit run of
ten digits always contains seven in a row, or groups such as ``138 0013``; an
address always has a number followed by 号/栋/座; a birth date always has a birth
cue). Bulk mode runs the full path only on lines where some trigger matches,
so for line-split text it reports what the default path reports, faster on
text that is mostly not PI (logs, exports).

The triggers are joined into one regex led by a character class (see
:func:`compile_triggers` for why its shape matters).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from itertools import accumulate

__all__ = ["Trigger", "caseless_words", "coarse_lines", "compile_triggers"]

#: ``(characters a trigger may start with, regex for what follows that character)``.
Trigger = tuple[str, str]


def compile_triggers(triggers: Iterable[Trigger]) -> re.Pattern[str]:
    """Return one regex matching wherever any of ``triggers`` matches.

    Shape: ``[all first characters](?:(?<=[digits])(?:…)|(?<=[lowercase])(?:…)|…)``,
    and inside each category one ``(?<=[characters])(?:rests)`` group per set
    of characters that share their rests. Three properties keep it fast:

    - it starts with a character class, so :mod:`re` skips in C to the next
      character that can start a trigger (led by anything else, e.g. a
      look-behind, it would try every position);
    - a failing position costs a few look-behind tests, not one per trigger:
      re tries every alternative of a failing branch, and a flat alternation
      ``0(?:…)|1(?:…)|…|客(?:…)`` measured 7x slower on log lines full of digits;
    - characters are split in categories (digits, lowercase, uppercase, other
      ASCII, the rest), so a digit that starts nothing never looks at the
      letter or CJK triggers.
    """
    rests: dict[str, list[str]] = {}
    for chars, rest in triggers:
        for char in chars:
            bucket = rests.setdefault(char, [])
            if rest not in bucket:
                bucket.append(rest)
    if not rests:
        return re.compile("(?!)")
    categories: dict[int, list[str]] = {}
    for char in rests:
        categories.setdefault(_category(char), []).append(char)
    parts = []
    for _, members in sorted(categories.items()):
        groups: dict[tuple[str, ...], list[str]] = {}
        for char in members:
            groups.setdefault(tuple(rests[char]), []).append(char)
        # Bigger groups first: they hold the digit and letter triggers, the common hits.
        ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
        alternatives = [f"(?<={_char_class(chars)})(?:{_factored(list(body))})" for body, chars in ordered]
        parts.append(f"(?<={_char_class(members)})(?:{'|'.join(alternatives)})")
    return re.compile(f"{_char_class(list(rests))}(?:{'|'.join(parts)})")


def _category(char: str) -> int:
    # Digits, lowercase, uppercase, other ASCII, the rest: a hit looks at the
    # groups of its own category only (one look-behind per other category).
    if char.isascii():
        if char.isdigit():
            return 0
        if char.islower():
            return 1
        return 2 if char.isupper() else 3
    return 4


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(set(chars))) + "]"


# A one-character look-behind guard at the start of a rest, e.g. "(?<![0-9].)".
_GUARD = re.compile(r"\(\?<[!=]\[[^\]]*\]\.\)")


def _factored(alternatives: list[str]) -> str:
    # re does not factor a shared look-behind out of an alternation (its parser
    # compares them by identity), so "g(?:a|b)" is written here instead of
    # "ga|gb": inside a digit run one failed test then rejects every digit trigger.
    groups: dict[str, list[str]] = {}
    for rest in alternatives:
        found = _GUARD.match(rest)
        key = found.group() if found else ""
        groups.setdefault(key, []).append(rest[len(key) :])
    parts = []
    for guard, rests in groups.items():
        if guard:
            parts.append(f"{guard}(?:{'|'.join(rests)})")
        else:
            parts.extend(rests)
    return "|".join(parts)


def caseless_words(words: Iterable[str]) -> list[Trigger]:
    """Return triggers for ``words``, ASCII letters in either case."""
    out: list[Trigger] = []
    for word in words:
        first = word[0]
        chars = first.lower() + first.upper() if first.isascii() and first.isalpha() else first
        rest = "".join(
            f"[{c.lower()}{c.upper()}]" if c.isascii() and c.isalpha() else re.escape(c) for c in word[1:]
        )
        out.append((chars, rest))
    return out


# --- The coarse stage: bytes-level tests at C speed ---------------------------
#
# The trigger regex costs ~60-100 ns at every character that may start a
# trigger, and log lines are full of digits (timestamps, durations): ~17 MB/s.
# Before it, a coarse stage works on the UTF-8 bytes, where ``bytes.translate``
# (2.5 GB/s) folds every digit to "0" and separators to "-", so that each
# digit trigger reduces to a literal substring that ``bytes.find`` locates at
# memchr speed. It is a superset of the built-in recognizers' triggers on
# ASCII lines; lines with any non-ASCII byte (Chinese text, full-width digits)
# always go on to the trigger regex. Only used when every wanted recognizer is
# a built-in one (see Detector): a custom recognizer's triggers are unknown here.

_FOLD = bytes.maketrans(b"0123456789 ", b"0000000000-")
# The built-in digit triggers, rewritten for folded ASCII bytes. Each regex
# starts with a literal of two or more bytes, which re finds with a substring
# search instead of trying a match at every digit; triggers sharing a literal
# start share one pass.
_FOLDED_PATTERNS = (
    re.compile(
        # Every branch starts at most two digits into a run: inside the long
        # runs of order and trade numbers one look-behind turns them all away.
        rb"000000(?<!000000000)(?:"
        # A whole run of 10-19 digits (an ID may end in X).
        rb"0000(?<!00000000000)(?<![A-Za-z.@_]0000000000)0{0,9}[Xx]?(?![0-9])"
        # Grouping 6-7|4.
        rb"|0?-0000"
        # A USCC's six-digit block, its two leading code characters and ten after.
        rb"|(?<=(?<![0-9A-Za-z])[0-9A-Z]{2}000000)[0-9A-HJ-NP-RTUW-Y]{10}(?![0-9A-Za-z])"
        # A passport's seven or eight digits after its series letter(s).
        rb"|0(?:(?<=[EGDSPegdsp]0000000)|(?<=[EGDSPegdsp][A-Za-z]0000000))0?(?![0-9A-Za-z])"
        rb")"
    ),
    # Groupings 2-6|4|4 and 2-6|7+ (also after "(0755)").
    re.compile(rb"0-0000(?:-0|000)"),
    re.compile(rb"\)-?0000000"),
    # A dotted quad, and a dotted mobile (3.4.4).
    re.compile(rb"0\.0{1,3}\.0{1,3}\.0"),
    re.compile(rb"000\.0000\.0000"),
)
# Latin names ("Zhang Wei", "Mr-Li"), with letters folded to "A"/"a": a literal
# start instead of a class-led pattern that stops at every capital.
_LETTERS = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", b"A" * 26 + b"a" * 26)
_LETTER_PATTERN = re.compile(rb"Aa+[ \-]Aa")
# Non-digit triggers on ASCII text: e-mail, IPv6 (compressed or full). (ASCII
# birth cues come from the cue book and are searched in the lowercased bytes.)
_BYTE_PATTERNS = (
    re.compile(rb"@"),
    re.compile(rb"::"),
    re.compile(rb":[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){5}:"),
)
# Full-width digits, plus and hyphen (U+FF10-FF19, U+FF0B, U+FF0D in UTF-8): an
# ASCII-led digit trigger may continue with them, which the folded patterns
# cannot see, so such lines get every trigger.
_FULLWIDTH = re.compile(rb"\xef\xbc[\x8b\x8d\x90-\x99]")


def coarse_lines(lines: list[bytes], lower_needles: Iterable[bytes]) -> tuple[set[int], set[int]]:
    """Return the indices of the ``lines`` that may hold a trigger.

    :param lines: the UTF-8 text split at ``\\n``.
    :param lower_needles: lowercase ASCII words that trigger on their own (birth cues).
    :returns: the lines where an ASCII-led trigger may match, and the other
        lines with non-ASCII text (where only the triggers led by a non-ASCII
        character remain to be tried: the ASCII-led ones were all tried here).
    """
    data = b"\n".join(lines)
    line_ends = [end - 1 for end in accumulate(len(line) + 1 for line in lines)]
    found: set[int] = set()
    last = len(line_ends) - 1

    def collect(haystack: bytes, pattern: re.Pattern[bytes]) -> None:
        m = pattern.search(haystack)
        while m is not None:
            line = bisect_left(line_ends, m.start())
            found.add(line)
            if line >= last:
                return
            m = pattern.search(haystack, line_ends[line] + 1)  # On to the next line.

    folded = data.translate(_FOLD)
    for pattern in _FOLDED_PATTERNS:
        collect(folded, pattern)
    for pattern in (*_BYTE_PATTERNS, _FULLWIDTH):
        collect(data, pattern)
    collect(data.translate(_LETTERS), _LETTER_PATTERN)
    lowered = data.lower()
    for word in lower_needles:
        collect(lowered, re.compile(re.escape(word)))
    # bytes.isascii is a C loop: cheaper than a regex search per line.
    non_ascii = {index for index, line in enumerate(lines) if not line.isascii()}
    return found, non_ascii - found
