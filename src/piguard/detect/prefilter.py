"""The bulk-mode prefilter: one cheap scan that says which lines may hold PI.

Each recognizer declares *triggers*: necessary conditions for any finding it
can report, as ``(first characters, rest of a regex)`` pairs (a digit run of
ten digits always contains seven in a row, or groups such as ``138 0013``; an
address always has a number followed by 号/栋/座; a birth date always has a birth
cue). Bulk mode runs the full path only on lines where some trigger matches,
so for line-split text it reports what the default path reports, faster on
text that is mostly not PI (logs, exports).

The triggers are joined into one alternation whose every branch starts with a
literal character (``a(?:…)|b(?:…)|…``): for that shape :mod:`re` computes the
set of first characters and skips, in C, to the next position that can start a
trigger. With any other first item (a class, a look-behind) it tries every
alternative at every position, several times slower.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["Trigger", "compile_triggers"]

#: ``(characters a trigger may start with, regex for what follows that character)``.
Trigger = tuple[str, str]


def compile_triggers(triggers: Iterable[Trigger]) -> re.Pattern[str]:
    """Return one regex matching wherever any of ``triggers`` matches."""
    rests: dict[str, list[str]] = {}
    for chars, rest in triggers:
        for char in chars:
            bucket = rests.setdefault(char, [])
            if rest not in bucket:
                bucket.append(rest)
    branches = []
    for char in sorted(rests):
        alternatives = rests[char]
        # An empty rest means the character alone is a trigger; the others add nothing.
        body = "" if "" in alternatives else "(?:" + "|".join(alternatives) + ")"
        branches.append(re.escape(char) + body)
    return re.compile("|".join(branches) if branches else "(?!)")


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
