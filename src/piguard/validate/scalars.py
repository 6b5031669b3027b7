"""Scalar kinds: text, name, gender, date, money, integer, enum, address, boolean.

Text-like kinds are NFC-normalized so that the same name typed on two systems
has one canonical form (blind indexes depend on it).

>>> normalize_date("2024年1月2日")
'2024-01-02'
>>> normalize_money("￥1,234.5")
'1234.50'
>>> normalize_money("-¥1,234.50", allow_negative=True)
'-1234.50'
>>> format_money("-1234.5")
'-¥1,234.50'
>>> normalize_gender("女")
'F'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date

from piguard.errors import ValidationError
from piguard.validate._clean import clean, clean_number, offending, without
from piguard.validate.resident_id import today_in_china

__all__ = [
    "format_money",
    "name_match_key",
    "normalize_address",
    "normalize_boolean",
    "normalize_date",
    "normalize_enum",
    "normalize_gender",
    "normalize_integer",
    "normalize_money",
    "normalize_name",
    "normalize_text",
]

_SPACES = re.compile(r"\s+")

# Letters and marks of any script, spaces, and the separators real names use:
# the middle dots of transliterated minority and foreign names (阿沛·阿旺晋美),
# apostrophes and hyphens (O'Brien, Jean-Luc) and the period of initials.
_NAME_PUNCT = frozenset(" ·・•‧･∙⋅.'’-")

#: The middle dots people type between the parts of a transliterated name, all one for search:
#: U+00B7 (the standard one), U+30FB katakana, U+FF65 half-width katakana, U+2022 bullet,
#: U+2027 hyphenation point, U+2219 bullet operator, U+22C5 dot operator.
_MIDDLE_DOTS = str.maketrans(dict.fromkeys("・•‧･∙⋅", "·"))
#: Spaces around a middle dot carry no meaning for matching ("阿卜杜 · 热合曼").
_SPACED_DOT = re.compile(r"\s*·\s*")


def _nfc(value: str) -> str:
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


def _nonempty(value: str) -> str:
    if not value:
        raise ValidationError("value is empty")
    return value


def normalize_text(raw: str, *, max_length: int = 1000, multiline: bool = True) -> str:
    """Return free text, stripped and NFC-normalized.

    :param max_length: the longest text accepted, in characters.
    :param multiline: allow ``\\n`` and ``\\t`` inside.
    :raises ValidationError: ``"too long"`` or a hygiene reason (NUL, control characters).
    """
    # NFC never lengthens text enough to matter; the length is checked again after it.
    value = _nfc(clean(raw, max_length=max_length, multiline=multiline))
    if len(value) > max_length:
        raise ValidationError("too long")
    return value


def normalize_name(
    raw: str, *, max_length: int = 64, extra_chars: str = "", allow_symbols: bool = False
) -> str:
    """Return a person's name: NFC, inner whitespace runs collapsed to one space.

    By default a name holds letters and marks of any script and the separators of
    ``_NAME_PUNCT`` (space, middle dots, period, apostrophes, hyphen). That allow-list is a
    policy, set per field in the catalog's ``type_options``:

    :param extra_chars: further characters allowed, e.g. ``"()"`` for names with a bracketed
        alias, or digits for names with a generation number.
    :param allow_symbols: allow every printable character (only control characters, NUL and
        lone surrogates stay refused): a name such as ``Robert'); DROP TABLE customers;--``
        is then stored as given, which is safe, since values never reach SQL as text.
    :raises ValidationError: ``"value is empty"``, ``"too long"`` or
        ``"contains '<' at position 3, not allowed in a name"``.
    """
    value = _nonempty(_SPACES.sub(" ", _nfc(clean(raw, max_length=max_length))))
    if allow_symbols:
        return value
    for position, char in enumerate(value, 1):
        if char not in _NAME_PUNCT and char not in extra_chars and unicodedata.category(char)[0] not in "LM":
            raise ValidationError(f"contains {offending(char, position)}, not allowed in a name")
    return value


def name_match_key(value: str) -> str:
    """The key a normalised name is indexed and searched by (issue 11, item 16): NFKC (full-width
    letters and the ideographic space become their ASCII forms), every middle-dot variant folded
    to U+00B7 with the spaces around it dropped, whitespace collapsed, and case folded.

    The stored (displayed) name keeps what the customer typed; only the search key folds, so
    ``阿卜杜・热合曼`` finds ``阿卜杜·热合曼`` and ``john smith`` finds ``ＪＯＨＮ　ＳＭＩＴＨ``.

    >>> name_match_key("ＪＯＨＮ　ＳＭＩＴＨ") == name_match_key("john smith")
    True
    >>> name_match_key("阿卜杜•热合曼") == name_match_key("阿卜杜·热合曼")
    True
    """
    folded = unicodedata.normalize("NFKC", value).translate(_MIDDLE_DOTS)
    folded = _SPACED_DOT.sub("·", _SPACES.sub(" ", folded).strip())
    return folded.casefold()


def normalize_address(raw: str, *, max_length: int = 200) -> str:
    """Return a postal address on one line: NFC, inner whitespace runs collapsed.

    :raises ValidationError: ``"value is empty"``, ``"too long"`` or a hygiene reason.
    """
    return _nonempty(_SPACES.sub(" ", _nfc(clean(raw, max_length=max_length))))


_GENDERS = {
    "m": "M", "male": "M", "男": "M", "man": "M",
    "f": "F", "female": "F", "女": "F", "woman": "F",
    "u": "U", "unknown": "U", "未知": "U",
}  # fmt: skip


def normalize_gender(raw: str) -> str:
    """Return ``"M"``, ``"F"`` or ``"U"`` (unknown) from 男/女/未知, M/F/U or male/female/unknown.

    :raises ValidationError: ``"not a recognised gender"``.
    """
    found = _GENDERS.get(clean(raw, max_length=16).casefold())
    if found is None:
        raise ValidationError("not a recognised gender")
    return found


_DATE_FORMS = (
    re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})"),
    re.compile(r"([0-9]{4})()([0-9]{2})([0-9]{2})"),
    re.compile(r"([0-9]{4})(年)([0-9]{1,2})月([0-9]{1,2})日?"),
)


def normalize_date(
    raw: str, *, not_future: bool = True, min_year: int = 1900, today: date | None = None
) -> str:
    """Return an ISO date ``yyyy-mm-dd``.

    Accepts ``2024-01-02``, ``2024-1-2``, ``2024/01/02``, ``2024.01.02``,
    ``20240102`` and ``2024年1月2日``.

    :param not_future: reject dates after ``today``.
    :param min_year: reject dates before this year.
    :param today: the date to compare with; defaults to today in China.
    :raises ValidationError: ``"not a date in a known format"``, ``"invalid date"``,
        ``"date is before the earliest allowed year"`` or ``"date is in the future"``.
    """
    value = without(clean_number(raw), " ")
    for form in _DATE_FORMS:
        match = form.fullmatch(value)
        if match is not None:
            break
    else:
        raise ValidationError("not a date in a known format")
    try:
        parsed = date(int(match[1]), int(match[3]), int(match[4]))
    except ValueError:
        raise ValidationError("invalid date") from None
    if parsed.year < min_year:
        raise ValidationError("date is before the earliest allowed year")
    if not_future and parsed > (today if today is not None else today_in_china()):
        raise ValidationError("date is in the future")
    return parsed.isoformat()


_MONEY = re.compile(r"(-?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]*))?")


def normalize_money(raw: str, *, max_digits: int = 15, allow_negative: bool = False) -> str:
    """Return an amount with exactly two decimals, e.g. ``"1234.50"``.

    Accepts an optional ``¥``/``￥`` sign, a trailing ``元``, and correctly placed
    thousands commas. Amounts with more than two decimals are refused, not rounded.

    :param max_digits: total digits allowed, the two decimals included (like SQL ``NUMERIC(p, 2)``).
    :param allow_negative: accept a leading minus (balances, refunds).
    :raises ValidationError: ``"not an amount"``, ``"more than two decimal places"``,
        ``"negative amounts are not allowed"`` or ``"too many digits"``.
    """
    value = without(clean_number(raw), " ").removesuffix("元")
    # The minus may come before the yen sign, as amounts are displayed ("-¥1,234.50"), or after it.
    minus = "-" if value.startswith(("-¥", "-￥")) else ""
    value = minus + value.removeprefix(minus).removeprefix("¥").removeprefix("￥")  # Half- and full-width.
    match = _MONEY.fullmatch(value)
    if match is None:
        raise ValidationError("not an amount")
    sign, whole, cents = match[1], match[2].replace(",", "").lstrip("0") or "0", match[3] or ""
    if len(cents) > 2:
        raise ValidationError("more than two decimal places")
    if len(whole) + 2 > max_digits:
        raise ValidationError("too many digits")
    cents = cents.ljust(2, "0")
    if whole == "0" and cents == "00":
        sign = ""
    if sign and not allow_negative:
        raise ValidationError("negative amounts are not allowed")
    return f"{sign}{whole}.{cents}"


def format_money(value: str) -> str:
    """An amount as people read it: ``"-1234.5"`` → ``"-¥1,234.50"`` (what :func:`normalize_money`
    reads back). A value that is not a plain amount (a masked one, say) is returned unchanged."""
    match = re.fullmatch(r"(-?)([0-9]+)(?:\.([0-9]{1,2}))?", value)
    if match is None:
        return value
    return f"{match[1]}¥{int(match[2]):,}.{(match[3] or '').ljust(2, '0')}"


_INTEGER = re.compile(r"([-+]?)([0-9]+)")


def normalize_integer(raw: str, *, min: int | None = None, max: int | None = None) -> str:
    """Return a decimal integer without sign clutter or leading zeros.

    :param min: the smallest value allowed, if any.
    :param max: the largest value allowed, if any.
    :raises ValidationError: ``"not an integer"``, ``"below the minimum"`` or
        ``"above the maximum"``. (Bounds are left out of messages on purpose.)
    """
    value = without(clean_number(raw), " ,")
    match = _INTEGER.fullmatch(value)
    if match is None:
        raise ValidationError("not an integer")
    number = int(match[1] + match[2])
    if min is not None and number < min:
        raise ValidationError("below the minimum")
    if max is not None and number > max:
        raise ValidationError("above the maximum")
    return str(number)


def normalize_enum(raw: str, *, values: Sequence[str]) -> str:
    """Return the declared value that ``raw`` names, matched exactly or else case-insensitively.

    :param values: the declared values.
    :raises ValidationError: ``"not one of the allowed values"``.
    """
    value = clean(raw, max_length=1000)
    if value in values:
        return value
    folded = value.casefold()
    matches = [declared for declared in values if declared.casefold() == folded]
    if len(matches) != 1:
        raise ValidationError("not one of the allowed values")
    return matches[0]


_BOOLEANS = {
    "true": "true", "t": "true", "yes": "true", "y": "true", "1": "true", "on": "true", "是": "true",
    "false": "false", "f": "false", "no": "false", "n": "false", "0": "false", "off": "false", "否": "false",
}  # fmt: skip


def normalize_boolean(raw: str) -> str:
    """Return ``"true"`` or ``"false"`` from true/false, yes/no, 1/0, on/off, 是/否.

    :raises ValidationError: ``"not a boolean"``.
    """
    found = _BOOLEANS.get(clean_number(raw).casefold())
    if found is None:
        raise ValidationError("not a boolean")
    return found
