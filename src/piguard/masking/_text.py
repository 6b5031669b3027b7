"""Character-level helpers shared by the operators.

Masking works on *slots*: the characters a rule counts (digits of a phone
number, alphanumerics of an ID). Formatting characters between slots are kept,
and everything else is hidden. The mask character ``*`` counts as a slot, so
masking an already masked value gives the same result (idempotence) and a
masked value never looks shorter than it is.
"""

from __future__ import annotations

from collections.abc import Callable, Container

MASK = "*"

#: Characters that only format a number ("138 0013-8000", "(+86)").
FORMATTING = frozenset(" \t-()./+")

_HAN_RANGES = (
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x3134F),  # Extensions B-G: rare surname characters live here
)


def is_han(ch: str) -> bool:
    """Whether ``ch`` is a Han (Chinese) character."""
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _HAN_RANGES)


def is_digit_slot(ch: str) -> bool:
    """A decimal digit (any script, e.g. full-width) or an already masked slot."""
    return ch.isdecimal() or ch == MASK


def is_alnum_slot(ch: str) -> bool:
    """A letter or digit (any script) or an already masked slot."""
    return ch.isalnum() or ch == MASK


def is_formatting(ch: str) -> bool:
    """A separator that carries no information about the value."""
    return ch in FORMATTING or ch.isspace()


def fit(first: int, last: int, max_kept: int) -> tuple[int, int]:
    """Shrink ``first``, then ``last``, until at most ``max_kept`` slots are kept.

    The leading slots go first because the trailing ones are what people read
    back to confirm a value ("the card ending 0128").

    >>> fit(3, 4, 5)
    (1, 4)
    >>> fit(3, 4, 2)
    (0, 2)
    """
    max_kept = max(max_kept, 0)
    excess = first + last - max_kept
    if excess > 0:
        cut = min(first, excess)
        first -= cut
        last -= excess - cut
    return first, last


def slots(value: str, is_slot: Callable[[str], bool]) -> list[int]:
    """Indexes of the characters of ``value`` that are slots."""
    return [i for i, ch in enumerate(value) if is_slot(ch)]


def render(
    value: str,
    slot_index: list[int],
    first: int,
    last: int,
    *,
    keep_as_is: Callable[[str], bool] = is_formatting,
    hidden: Container[int] = (),
    char: str = MASK,
) -> str:
    """Keep the first and last slots, hide the rest; length is preserved.

    :param slot_index: result of :func:`slots`.
    :param first: slots kept at the start.
    :param last: slots kept at the end.
    :param keep_as_is: non-slot characters shown unchanged; other non-slots are hidden.
    :param hidden: slot numbers (0-based, counted over slots) hidden whatever
        ``first`` and ``last`` say.
    :param char: the mask character.
    """
    out = [ch if keep_as_is(ch) else char for ch in value]
    n = len(slot_index)
    for k, i in enumerate(slot_index):
        visible = (k < first or k >= n - last) and k not in hidden
        out[i] = value[i] if visible else char
    return "".join(out)
