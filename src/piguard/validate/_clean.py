"""Input hygiene shared by every value kind.

Every normalizer starts here: the value must be a ``str``, must not contain NUL
bytes, lone surrogates or control characters, and loses its surrounding
whitespace. Number kinds also fold full-width forms (``１３８``, ``－``) to ASCII,
because Chinese input methods produce them by default.
"""

from __future__ import annotations

import re

from piguard.errors import ValidationError

#: Upper bound on the raw length of any number-like value (resident ID, phone,
#: bank card ...). It bounds the work done on hostile input before parsing.
NUMBER_MAX_LENGTH = 64

# Full-width ASCII variants U+FF01..U+FF5E sit exactly 0xFEE0 above ASCII;
# U+3000 is the ideographic (full-width) space.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

# Cc (C0, DEL, C1) and the surrogate block. Tab and newline are in the set too;
# multiline text removes them from consideration with the second pattern.
_BAD_SINGLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")
_BAD_MULTI = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

# Only these are stripped from the ends; str.strip() would also eat the
# information separators U+001C..U+001F, which must be rejected instead.
_EDGE_SPACE = " \t\n\r\x0b\x0c\u00a0\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))


def _reason_for(char: str, position: int) -> str:
    # The position (from 1) and the code point tell the user what to fix; the character itself
    # is not printed, as it would not show (and a terminal may act on it).
    at = f" at position {position}"
    if char == "\x00":
        return "contains a NUL character" + at
    if "\ud800" <= char <= "\udfff":
        return "contains invalid unicode (a lone surrogate)" + at
    return f"contains control characters (U+{ord(char):04X}{at})"


def offending(char: str, position: int) -> str:
    """How a message names one character the user must fix: the character itself if it prints
    (``'<'``), else its code point; with its position counted from 1. Never the whole value."""
    shown = f"'{char}'" if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
    return f"{shown} at position {position}"


def clean(raw: object, *, max_length: int, multiline: bool = False) -> str:
    """Check basic hygiene of ``raw`` and strip surrounding whitespace.

    :param raw: the value as received.
    :param max_length: the longest value accepted, counted after stripping.
    :param multiline: allow ``\\n`` and ``\\t`` inside (``\\r\\n`` becomes ``\\n``).
    :returns: the stripped value.
    :raises ValidationError: if ``raw`` is not a string, contains NUL, a lone
        surrogate or a control character, or is longer than ``max_length``.
    """
    if not isinstance(raw, str):
        raise ValidationError("value must be a string")
    value = raw.strip(_EDGE_SPACE)
    lead = len(raw) - len(raw.lstrip(_EDGE_SPACE))  # positions count in the value as given
    if multiline:
        # Browsers submit textarea content with CRLF line breaks.
        value = value.replace("\r\n", "\n")
    # Length first, so oversize input costs no more than the strip.
    if len(value) > max_length:
        raise ValidationError("too long")
    bad = (_BAD_MULTI if multiline else _BAD_SINGLE).search(value)
    if bad is not None:
        raise ValidationError(_reason_for(bad.group(), lead + bad.start() + 1))
    return value


def clean_number(raw: object) -> str:
    """:func:`clean` for number-like kinds, with full-width forms folded to ASCII.

    :raises ValidationError: as :func:`clean`, or if the value is empty.
    """
    value = clean(raw, max_length=NUMBER_MAX_LENGTH).translate(_FULLWIDTH).strip()
    if not value:
        raise ValidationError("value is empty")
    return value


def not_digits(raw: str, allowed: str = "") -> str:
    """The reason a number-like value is refused for holding something other than digits, naming
    the first such character as typed and its position (full-width digits and ``allowed``
    separators are fine); the generic reason when only an allowed character is misplaced."""
    lead = len(raw) - len(raw.lstrip(_EDGE_SPACE))
    text = raw.strip(_EDGE_SPACE).translate(_FULLWIDTH)
    for index, char in enumerate(text):
        if not ("0" <= char <= "9" or char in allowed):
            return f"contains {offending(raw[lead + index], lead + index + 1)}, not a digit"
    return "contains characters other than digits"


def without(value: str, separators: str) -> str:
    """Return ``value`` without any of the characters in ``separators``."""
    for sep in separators:
        value = value.replace(sep, "")
    return value
