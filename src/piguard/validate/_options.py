"""Option schemas of the value kinds, checked when a catalog is loaded.

Each option is a name and a check that returns a reason when the given value is
unusable. Unknown options are errors, as in Vault's policy parser: a typo in a
catalog must not silently fall back to a default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from piguard.errors import ValidationError

#: A check returns ``None`` when the option value is fine, else the reason.
OptionCheck = Callable[[Any], "str | None"]


def is_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _int_in(low: int, high: int) -> OptionCheck:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        return None if low <= value <= high else f"must be between {low} and {high}"

    return check


def optional_int(value: Any) -> str | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return None
    return "must be an integer"


def one_of(*choices: str) -> OptionCheck:
    def check(value: Any) -> str | None:
        return None if value in choices else "must be one of " + ", ".join(repr(c) for c in choices)

    return check


def string_list(value: Any) -> str | None:
    if not isinstance(value, list | tuple) or not value:
        return "must be a non-empty list of strings"
    if not all(isinstance(item, str) and item and item == item.strip() for item in value):
        return "must contain non-empty strings without surrounding spaces"
    if len({item.casefold() for item in value}) != len(value):
        return "must not repeat a value (case-insensitively)"
    return None


def printable_chars(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string of characters"
    if not value.isprintable() or len(value) > 100:
        return "must be at most 100 printable characters"
    return None


_COUNTRY = re.compile(r"[A-Z]{2}")


def country(value: Any) -> str | None:
    ok = isinstance(value, str) and _COUNTRY.fullmatch(value)
    return None if ok else "must be an ISO 3166-1 alpha-2 code such as 'CN'"


length = _int_in(1, 1_000_000)
year = _int_in(1, 9999)
money_digits = _int_in(3, 30)


def check(
    type_name: str, schema: Mapping[str, OptionCheck], required: frozenset[str], options: Mapping[str, Any]
) -> None:
    """Check ``options`` against ``schema``.

    :raises ValidationError: naming the first unknown, missing or unusable option.
    """
    for name in sorted(options):
        if name not in schema:
            raise ValidationError(f"unknown option {name!r} for value type {type_name!r}")
        reason = schema[name](options[name])
        if reason is not None:
            raise ValidationError(f"option {name!r} of value type {type_name!r} {reason}")
    for name in sorted(required - options.keys()):
        raise ValidationError(f"value type {type_name!r} needs option {name!r}")
