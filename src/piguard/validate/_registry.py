"""The table of value kinds: name -> normalizer and option schema."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from piguard.errors import ValidationError
from piguard.validate import (
    _options,
    bank_card,
    email,
    landline,
    mobile,
    passport,
    phone,
    resident_id,
    scalars,
    uscc,
)


@dataclass(frozen=True, slots=True)
class Kind:
    """One value kind.

    :param normalize: ``normalize(raw, **options) -> canonical``.
    :param options: option name -> check.
    :param required: options that must be given.
    :param cross_check: checks combinations of options (e.g. ``min <= max``).
    """

    normalize: Callable[..., str]
    options: Mapping[str, _options.OptionCheck] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    cross_check: Callable[[Mapping[str, Any]], str | None] | None = None


def _min_le_max(options: Mapping[str, Any]) -> str | None:
    low, high = options.get("min"), options.get("max")
    if low is not None and high is not None and low > high:
        return "options 'min' and 'max' of value type 'integer' are reversed"
    return None


KINDS: Mapping[str, Kind] = {
    "text": Kind(scalars.normalize_text, {"max_length": _options.length, "multiline": _options.is_bool}),
    "name": Kind(
        scalars.normalize_name,
        {
            "max_length": _options.length,
            "extra_chars": _options.printable_chars,
            "allow_symbols": _options.is_bool,
        },
    ),
    "gender": Kind(scalars.normalize_gender),
    "date": Kind(scalars.normalize_date, {"not_future": _options.is_bool, "min_year": _options.year}),
    "resident_id": Kind(resident_id.normalize),
    "mobile": Kind(mobile.normalize),
    "landline": Kind(landline.normalize),
    "phone": Kind(phone.normalize),
    "bank_card": Kind(bank_card.normalize, {"on_bad_checksum": _options.one_of(*bank_card.ON_BAD_CHECKSUM)}),
    "email": Kind(email.normalize),
    "uscc": Kind(uscc.normalize),
    "passport": Kind(passport.normalize, {"country": _options.country}),
    "money": Kind(
        scalars.normalize_money, {"max_digits": _options.money_digits, "allow_negative": _options.is_bool}
    ),
    "integer": Kind(
        scalars.normalize_integer,
        {"min": _options.optional_int, "max": _options.optional_int},
        cross_check=_min_le_max,
    ),
    "enum": Kind(scalars.normalize_enum, {"values": _options.string_list}, required=frozenset({"values"})),
    "address": Kind(scalars.normalize_address, {"max_length": _options.length}),
    "boolean": Kind(scalars.normalize_boolean),
}

_KNOWN = frozenset(KINDS)


def known_types() -> frozenset[str]:
    """Return the names of every value kind."""
    return _KNOWN


def _kind(type_name: str) -> Kind:
    try:
        return KINDS[type_name]
    except (KeyError, TypeError):
        raise ValidationError(f"unknown value type {type_name!r}") from None


def check_options(type_name: str, options: Mapping[str, Any]) -> None:
    """Check the ``type_options`` a catalog gives a value kind.

    :raises ValidationError: for an unknown type, an unknown option, a missing
        required option or an unusable option value.
    """
    kind = _kind(type_name)
    _options.check(type_name, kind.options, kind.required, options)
    if kind.cross_check is not None:
        reason = kind.cross_check(options)
        if reason is not None:
            raise ValidationError(reason)


def normalize(type_name: str, raw: str, **options: Any) -> str:
    """Return the canonical form of ``raw`` as a value of ``type_name``.

    :param type_name: one of :func:`known_types`.
    :param raw: the value as received.
    :param options: the kind's options (see :func:`check_options`).
    :returns: the canonical form.
    :raises ValidationError: if the type or options are unknown or unusable, or
        the value is invalid; the reason never contains the value.
    """
    kind = _kind(type_name)
    if options or kind.required:
        check_options(type_name, options)
    return kind.normalize(raw, **options)


def normalizer(type_name: str, **options: Any) -> Callable[[str], str]:
    """Return ``normalize`` bound to one type and its options, checked once.

    Bulk import normalises millions of values of a handful of fields; checking the
    options on every call cost as much as the check of the value itself.

    :raises ValidationError: if the type or options are unknown or unusable.
    """
    kind = _kind(type_name)
    if options or kind.required:
        check_options(type_name, options)
    if not options:
        return kind.normalize
    return functools.partial(kind.normalize, **options)
